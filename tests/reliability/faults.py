"""A fault-injecting HTTP transport for the google-cloud-bigquery client.

`FaultyAdapter` is a `requests` adapter: mounted on the client's session (through
`eros_migrate.bigquery.transport_adapter`), it decides before each request, with a seeded RNG,
whether to let it through or to fail it the way BigQuery and networks fail:

- ``rate_limit``, ``rate_limit_403``: HTTP 429 or 403 with reason rateLimitExceeded (BigQuery
  uses both), the request never reaches the server;
- ``backend_500``, ``backend_502``, ``backend_503``: HTTP 5xx with reason backendError;
- ``reset``: the connection is reset before anything is sent;
- ``lost_answer``: the server handles the request, then the answer is lost (the dangerous
  case: a job insert that did happen looks like one that did not);
- ``timeout``: the server handles the request, then the read times out.

A fault is transient by definition: one request (method, URL and body) is failed at most once,
so a retry gets past it. Persistent failures (403, 401) are `FixedFault`s.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter

TRANSIENT_KINDS = (
    "rate_limit",
    "rate_limit_403",
    "backend_500",
    "backend_502",
    "backend_503",
    "reset",
    "lost_answer",
    "timeout",
)

# Kinds that fail a request before it reaches the server, as an HTTP answer.
_ANSWERS: dict[str, tuple[int, str, str]] = {
    "rate_limit": (429, "rateLimitExceeded", "Exceeded rate limits: too many api requests"),
    "rate_limit_403": (403, "rateLimitExceeded", "Exceeded rate limits: too many table updates"),
    "backend_500": (500, "backendError", "Backend error. Job aborted."),
    "backend_502": (502, "backendError", "Bad gateway"),
    "backend_503": (503, "backendError", "The service is currently unavailable."),
    "forbidden": (403, "accessDenied", "Access Denied: the caller does not have permission"),
    "unauthorized": (401, "unauthorized", "Request had invalid authentication credentials."),
}


def error_response(request: requests.PreparedRequest, kind: str) -> requests.Response:
    """An answer shaped like BigQuery's error JSON, so the client raises what BigQuery causes."""
    status, reason, message = _ANSWERS[kind]
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
        }
    }
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers["Content-Type"] = "application/json; charset=UTF-8"
    response.request = request
    response.url = request.url or ""
    response.encoding = "utf-8"
    return response


def _key(request: requests.PreparedRequest) -> str:
    body = request.body or b""
    data = body.encode() if isinstance(body, str) else bytes(body)  # type: ignore[arg-type]
    return f"{request.method} {request.url} {hashlib.sha1(data).hexdigest()}"


def _is_job_insert(request: requests.PreparedRequest) -> bool:
    path = (request.path_url or "").split("?")[0]
    return request.method == "POST" and path.endswith("/jobs")


@dataclass
class FaultLog:
    """What was injected, by kind, and how many job inserts were lost after they ran."""

    requests: int = 0
    injected: Counter[str] = field(default_factory=Counter)
    lost_job_inserts: int = 0

    @property
    def total(self) -> int:
        return sum(self.injected.values())


class FaultyAdapter(HTTPAdapter):
    """Fails a fraction `rate` of requests with one of `kinds`, chosen by `rng`."""

    def __init__(
        self,
        rng: random.Random,
        rate: float,
        kinds: Sequence[str] = TRANSIENT_KINDS,
        log: FaultLog | None = None,
    ) -> None:
        super().__init__()
        self.rng = rng
        self.rate = rate
        self.kinds = tuple(kinds)
        self.log = log or FaultLog()
        self._faulted: set[str] = set()

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        self.log.requests += 1
        key = _key(request)
        if key in self._faulted or self.rng.random() >= self.rate:
            return super().send(request, **kwargs)

        kind = self.rng.choice(self.kinds)
        self._faulted.add(key)
        self.log.injected[kind] += 1
        if kind in _ANSWERS:
            return error_response(request, kind)
        if kind == "reset":
            raise requests.exceptions.ConnectionError(
                ConnectionResetError(104, "Connection reset by peer (injected)"), request=request
            )

        # The server handles the request; only its answer is lost.
        super().send(request, **kwargs)
        if _is_job_insert(request):
            self.log.lost_job_inserts += 1
        if kind == "timeout":
            raise requests.exceptions.ReadTimeout("read timed out (injected)", request=request)
        raise requests.exceptions.ConnectionError(
            "connection dropped after the request was sent (injected)", request=request
        )


class FixedFault(HTTPAdapter):
    """Answers every request matching `matches` with the same error (403, 401, ...)."""

    def __init__(
        self, kind: str, matches: Callable[[requests.PreparedRequest], bool] = lambda _: True
    ) -> None:
        super().__init__()
        self.kind = kind
        self.matches = matches
        self.hits = 0

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        if self.matches(request):
            self.hits += 1
            return error_response(request, self.kind)
        return super().send(request, **kwargs)


def job_inserts(request: requests.PreparedRequest) -> bool:
    return _is_job_insert(request)


def summary(log: FaultLog) -> Mapping[str, int]:
    return {"requests": log.requests, "faults": log.total, **log.injected}
