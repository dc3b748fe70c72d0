"""The adapter: every use of google-cloud-bigquery lives here.

Imported lazily by the commands that talk to a target, so `--help` and `lint` never pay for
google-cloud-bigquery or the embedded engine. Errors of the client library are turned into
`TargetError`s that say what to check; transient ones (rate limits, 5xx, dropped connections,
timeouts) are retried a bounded number of times with exponential backoff and jitter.

A retried job keeps its job id and is looked up before it is sent again, so a job insert whose
answer was lost is found instead of being run twice. A job that ran and failed is never sent
again: the same id would only fetch the same failure.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from google.api_core import exceptions as gexc
from google.cloud import bigquery
from requests.adapters import HTTPAdapter

from eros_migrate import __version__
from eros_migrate.config import TargetConfig
from eros_migrate.errors import ConfigError, TargetError, TargetNotFoundError

log = logging.getLogger(__name__)

# Reasons BigQuery gives for failures that a later attempt can get past. They decide before the
# HTTP status does: BigQuery reports rate limits as 403 rateLimitExceeded as well as 429.
RETRYABLE_REASONS = frozenset(
    {"rateLimitExceeded", "backendError", "internalError", "jobRateLimitExceeded"}
)
# Reasons that no retry fixes, whatever the status they come with.
PERMANENT_REASONS = frozenset(
    {"accessDenied", "quotaExceeded", "billingNotEnabled", "invalid", "invalidQuery", "notFound"}
)
# Statuses that are transient when BigQuery gives no reason that says otherwise.
RETRYABLE_STATUSES: tuple[type[gexc.GoogleAPICallError], ...] = (
    gexc.TooManyRequests,
    gexc.InternalServerError,
    gexc.BadGateway,
    gexc.ServiceUnavailable,
    gexc.GatewayTimeout,
)
# Failures of the connection itself: refused, reset, dropped after sending, timed out.
RETRYABLE_EXCEPTIONS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
)
# The retry budget. Module attributes read at each call, so tests can shrink the delays.
MAX_ATTEMPTS = 5
BASE_DELAY_S = 0.5
MAX_DELAY_S = 20.0

# A seam for tests: when set, clients of `bigquery` targets send their HTTP requests through
# the transport adapter it returns (one that injects faults, say), mounted on the client's
# authorized session so credentials still apply. None in production.
transport_adapter: Callable[[], HTTPAdapter] | None = None

T = TypeVar("T")


@dataclass
class JobResult:
    job_id: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    affected_rows: int | None = None
    bytes_processed: int | None = None


class JobFailedError(Exception):
    """A job that ran on the target and failed: sending it again would only fetch it again."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class Connection:
    """A client bound to one target dataset, counting the jobs it sends."""

    def __init__(self, target: TargetConfig, client: Any, run_id: str) -> None:
        self.target = target
        self.client = client
        self.run_id = run_id
        self.jobs_sent = 0

    @property
    def dataset_ref(self) -> str:
        return f"{self.target.project}.{self.target.dataset}"

    def labels(self) -> dict[str, str]:
        labels = {
            "tool": "eros-migrate",
            "tool_version": _label_value(__version__),
            "run": _label_value(self.run_id),
        }
        labels.update({key: _label_value(value) for key, value in self.target.labels.items()})
        return labels

    def run(
        self,
        sql: str,
        *,
        job_id: str | None = None,
        params: Mapping[str, Any] | None = None,
        dry_run: bool = False,
    ) -> JobResult:
        """Send one query job (a single statement or a whole script) and wait for it."""
        job_id = job_id or new_job_id(self.run_id)
        config = bigquery.QueryJobConfig(
            labels=self.labels(),
            dry_run=dry_run,
            use_query_cache=False,
        )
        if self.target.maximum_bytes_billed:
            config.maximum_bytes_billed = self.target.maximum_bytes_billed
        if params:
            config.query_parameters = [_parameter(name, value) for name, value in params.items()]

        return self._with_retries(
            f"job {job_id}", lambda attempt: self._run_once(sql, job_id, config, attempt)
        )

    def _with_retries(self, what: str, call: Callable[[int], T]) -> T:
        """Call until it succeeds, a failure is not transient, or the attempts run out."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return call(attempt)
            except JobFailedError as failed:
                raise self.translate(failed.error) from failed.error
            except Exception as error:
                if not _transient(error):
                    if isinstance(error, gexc.GoogleAPIError) or _is_auth_error(error):
                        raise self.translate(error) from error
                    raise
                if attempt == MAX_ATTEMPTS:
                    raise self.translate(error, attempts=attempt) from error
                log.warning("transient failure of %s (attempt %s of %s): %s",
                            what, attempt, MAX_ATTEMPTS, _error_message(error))
                time.sleep(backoff_delay(attempt))
        raise AssertionError("unreachable")

    def _run_once(self, sql: str, job_id: str, config: Any, attempt: int) -> JobResult:
        # A job id chosen by the caller makes a retry safe: if an earlier insert did reach the
        # target and only its answer was lost, the retry finds that job instead of running the
        # script a second time. BigQuery answers a second insert of one id with 409 Conflict;
        # the local engine runs it again, so a retry looks for the job before inserting.
        job = self._find_job(job_id) if attempt > 1 else None
        if job is None:
            try:
                self.jobs_sent += 1
                job = self.client.query(
                    sql,
                    job_config=config,
                    job_id=job_id,
                    location=self.target.location,
                    retry=None,
                    job_retry=None,
                )
            except gexc.Conflict:
                job = self.client.get_job(job_id, location=self.target.location, retry=None)

        if config.dry_run:
            return JobResult(job_id, bytes_processed=job.total_bytes_processed)

        try:
            rows = [dict(row.items()) for row in job.result(retry=None)]
        except gexc.GoogleAPIError as error:
            # The job's own status says it failed, as opposed to a call about it failing.
            if job.error_result is not None:
                raise JobFailedError(error) from error
            raise
        return JobResult(
            job_id=job_id,
            rows=rows,
            affected_rows=job.num_dml_affected_rows,
            bytes_processed=job.total_bytes_processed,
        )

    def _find_job(self, job_id: str) -> Any:
        try:
            return self.client.get_job(job_id, location=self.target.location, retry=None)
        except gexc.NotFound:
            return None

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return self.run(sql, params=params).rows

    def dataset_exists(self) -> bool:
        def exists(_attempt: int) -> bool:
            try:
                self.client.get_dataset(self.dataset_ref, retry=None)
            except gexc.NotFound:
                return False
            return True

        return self._with_retries(f"reading dataset {self.dataset_ref}", exists)

    def create_dataset(self) -> None:
        dataset = bigquery.Dataset(self.dataset_ref)
        if self.target.location:
            dataset.location = self.target.location
        self._with_retries(
            f"creating dataset {self.dataset_ref}",
            lambda _attempt: self.client.create_dataset(dataset, exists_ok=True, retry=None),
        )

    def translate(self, error: BaseException, attempts: int = 1) -> TargetError:
        """A message that says what failed on which target and what to check."""
        where = self.target.describe()
        message = _error_message(error)
        if attempts > 1:
            failed = "still failed" if isinstance(error, gexc.GoogleAPIError) else "did not answer"
            return TargetError(
                f"{where} {failed} after {attempts} attempts: {message}",
                hint="the failure looked transient (a rate limit, a server error or the "
                "network); check the network and the endpoint, then run the command again",
            )
        if "quotaExceeded" in _reasons(error):
            return TargetError(
                f"quota exceeded on {where}: {message}",
                hint="wait for the quota to reset or raise it in the Cloud console; retrying "
                "at once does not help",
            )
        if isinstance(error, gexc.Forbidden):
            return TargetError(
                f"permission denied on {where}: {message}",
                hint="the account needs BigQuery Data Editor and Job User on the dataset; "
                "check `credentials` in the target",
            )
        if isinstance(error, gexc.NotFound):
            return TargetNotFoundError(
                f"not found on {where}: {message}",
                hint="check the project and dataset of the target",
            )
        if _is_auth_error(error) or isinstance(error, gexc.Unauthorized):
            return TargetError(
                f"cannot authenticate to {where}: {message}",
                hint="run `gcloud auth application-default login`, or set `credentials` to a "
                "service-account key file",
            )
        if isinstance(error, RETRYABLE_EXCEPTIONS):
            return TargetError(
                f"{where} did not answer: {message}",
                hint="check the network and the endpoint, then run the command again",
            )
        return TargetError(f"{where}: {message}")

    def close(self) -> None:
        close = getattr(self.client, "close", None)
        if close is not None:
            close()


def new_job_id(run_id: str) -> str:
    return f"eros_migrate_{run_id}_{uuid.uuid4().hex[:12]}"


def _label_value(value: str) -> str:
    """Label values: lowercase letters, digits, underscores and dashes, at most 63 characters."""
    cleaned = "".join(ch if ch.isalnum() or ch in "_-" else "-" for ch in value.lower())
    return cleaned[:63]


def _parameter(name: str, value: Any) -> Any:
    if isinstance(value, list):
        kind = "INT64" if all(isinstance(item, int) for item in value) else "STRING"
        return bigquery.ArrayQueryParameter(name, kind, value)
    if isinstance(value, bool):
        return bigquery.ScalarQueryParameter(name, "BOOL", value)
    if isinstance(value, int):
        return bigquery.ScalarQueryParameter(name, "INT64", value)
    if isinstance(value, float):
        return bigquery.ScalarQueryParameter(name, "FLOAT64", value)
    return bigquery.ScalarQueryParameter(name, "STRING", None if value is None else str(value))


def backoff_delay(attempt: int) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based): doubling, jittered by half."""
    ceiling = min(MAX_DELAY_S, BASE_DELAY_S * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)


def _reasons(error: BaseException) -> set[str]:
    items = getattr(error, "errors", None) or []
    return {str(item.get("reason")) for item in items if isinstance(item, dict)}


def _transient(error: BaseException) -> bool:
    """Whether a later attempt of the same call can succeed."""
    if isinstance(error, gexc.GoogleAPIError):
        reasons = _reasons(error)
        if reasons & RETRYABLE_REASONS:
            return True
        if reasons & PERMANENT_REASONS:
            return False
        return isinstance(error, RETRYABLE_STATUSES)
    if _is_auth_error(error):
        # A token refresh that could not reach the token server is a network failure.
        from google.auth import exceptions as auth_exceptions

        return isinstance(error, auth_exceptions.TransportError)
    return isinstance(error, RETRYABLE_EXCEPTIONS)


def _is_auth_error(error: BaseException) -> bool:
    from google.auth import exceptions as auth_exceptions

    return isinstance(error, auth_exceptions.GoogleAuthError)


def _error_message(error: BaseException) -> str:
    message = str(getattr(error, "message", None) or error).strip()
    # The client appends the job location and id on separate lines, and repeats the message
    # after "; reason: ..."; the first part alone is what BigQuery said.
    first = message.splitlines()[0] if message else type(error).__name__
    return first.split("; reason: ")[0]


@contextmanager
def connect(
    target: TargetConfig, run_id: str, *, adapter: HTTPAdapter | None = None
) -> Iterator[Connection]:
    """Open a connection to the target, starting the embedded engine when it is local.

    `adapter` (else one from the module's `transport_adapter`) carries the HTTP requests of a
    `bigquery` target's client; the embedded engine is always reached directly.
    """
    if target.engine == "local":
        from eros_migrate.local_engine import LocalEngine

        engine = LocalEngine(target.data_dir, project=target.project)
        try:
            engine.start()
        except RuntimeError as error:
            raise _engine_failed(target, error) from error
        try:
            connection = Connection(target, engine.client(), run_id)
            yield connection
            connection.close()
        finally:
            engine.stop()
        return

    client = _bigquery_client(target)
    if adapter is None and transport_adapter is not None:
        adapter = transport_adapter()
    if adapter is not None:
        client._http.mount("http://", adapter)
        client._http.mount("https://", adapter)
    connection = Connection(target, client, run_id)
    try:
        yield connection
    finally:
        connection.close()


def _engine_failed(target: TargetConfig, error: RuntimeError) -> TargetError:
    if "Could not set lock" in str(error):
        # DuckDB lets one process at a time open the engine's folder.
        return TargetError(
            f"the local engine's folder {target.data_dir} is in use by another process",
            hint="if `eros-migrate serve` runs on it, point a target at that server "
            '(engine = "bigquery", endpoint = "http://127.0.0.1:PORT"); otherwise wait for '
            "the other run to finish",
        )
    return TargetError(
        f"{target.describe()}: {error}",
        hint="run again with --debug to see what the engine reported",
    )


def _bigquery_client(target: TargetConfig) -> Any:
    from google.api_core.client_options import ClientOptions

    if target.endpoint and not target.endpoint.startswith(("http://", "https://")):
        # requests would reject it on the first call, as an internal error.
        raise ConfigError(
            f"target {target.name!r}: endpoint {target.endpoint!r} is not an http(s) URL",
            hint=f"write it with its scheme, e.g. endpoint = \"http://{target.endpoint}\"",
        )

    options = ClientOptions(api_endpoint=target.endpoint) if target.endpoint else None
    if target.credentials is not None:
        from eros_migrate.credentials import service_account_credentials

        credentials = service_account_credentials(target)
        return bigquery.Client(
            project=target.project,
            credentials=credentials,
            location=target.location,
            client_options=options,
        )

    if target.endpoint:
        from google.auth.credentials import AnonymousCredentials

        return bigquery.Client(
            project=target.project,
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            location=target.location,
            client_options=options,
        )

    try:
        return bigquery.Client(project=target.project, location=target.location)
    except Exception as error:
        if _is_auth_error(error):
            raise TargetError(
                f"no credentials for target {target.name!r}: {_error_message(error)}",
                hint="run `gcloud auth application-default login`, or set `credentials` to a "
                "service-account key file",
            ) from error
        raise
