"""The adapter: every use of google-cloud-bigquery lives here.

Imported lazily by the commands that talk to a target, so `--help` and `lint` never pay for
google-cloud-bigquery or the embedded engine. Errors of the client library are turned into
`TargetError`s that say what to check; transient ones (rate limits, 5xx, dropped connections)
are retried a bounded number of times with jittered backoff.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from google.api_core import exceptions as gexc
from google.cloud import bigquery

from eros_migrate import __version__
from eros_migrate.config import TargetConfig
from eros_migrate.errors import TargetError, TargetNotFoundError

log = logging.getLogger(__name__)

# Reasons BigQuery gives for failures that a later attempt can get past.
RETRYABLE_REASONS = frozenset(
    {"rateLimitExceeded", "backendError", "internalError", "jobRateLimitExceeded"}
)
RETRYABLE_EXCEPTIONS: tuple[type[BaseException], ...] = (
    gexc.TooManyRequests,
    gexc.InternalServerError,
    gexc.BadGateway,
    gexc.ServiceUnavailable,
    gexc.GatewayTimeout,
    ConnectionError,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
)
MAX_ATTEMPTS = 5
BASE_DELAY_S = 0.5


@dataclass
class JobResult:
    job_id: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    affected_rows: int | None = None
    bytes_processed: int | None = None


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

        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return self._run_once(sql, job_id, config)
            except RETRYABLE_EXCEPTIONS as error:
                if attempt == MAX_ATTEMPTS or not _transient(error):
                    raise self._translate(error) from error
                delay = BASE_DELAY_S * 2 ** (attempt - 1) * (0.5 + random.random())
                log.warning("transient error on job %s (attempt %s): %s", job_id, attempt, error)
                time.sleep(delay)
            except gexc.GoogleAPIError as error:
                raise self._translate(error) from error
            except Exception as error:
                if _is_auth_error(error):
                    raise self._translate(error) from error
                raise
        raise AssertionError("unreachable")

    def _run_once(self, sql: str, job_id: str, config: Any) -> JobResult:
        # A job id chosen here makes a retry safe: if the first insert did reach BigQuery, the
        # retry finds the job instead of running the script a second time.
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

        rows = [dict(row.items()) for row in job.result(retry=None)]
        return JobResult(
            job_id=job_id,
            rows=rows,
            affected_rows=job.num_dml_affected_rows,
            bytes_processed=job.total_bytes_processed,
        )

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return self.run(sql, params=params).rows

    def dataset_exists(self) -> bool:
        try:
            self.client.get_dataset(self.dataset_ref, retry=None)
        except gexc.NotFound:
            return False
        except gexc.GoogleAPIError as error:
            raise self._translate(error) from error
        except Exception as error:
            if _is_auth_error(error):
                raise self._translate(error) from error
            raise
        return True

    def create_dataset(self) -> None:
        dataset = bigquery.Dataset(self.dataset_ref)
        if self.target.location:
            dataset.location = self.target.location
        try:
            self.client.create_dataset(dataset, exists_ok=True, retry=None)
        except gexc.GoogleAPIError as error:
            raise self._translate(error) from error

    def _translate(self, error: BaseException) -> TargetError:
        """A message that says what failed on which target and what to check."""
        where = self.target.describe()
        message = _error_message(error)
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
                f"{where} did not answer after {MAX_ATTEMPTS} attempts: {message}",
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


def _transient(error: BaseException) -> bool:
    if isinstance(error, gexc.GoogleAPIError):
        reasons = {item.get("reason") for item in getattr(error, "errors", []) or []}
        if reasons and not reasons & RETRYABLE_REASONS and not isinstance(
            error, gexc.TooManyRequests | gexc.ServiceUnavailable | gexc.BadGateway
        ):
            return isinstance(error, gexc.InternalServerError | gexc.GatewayTimeout)
    return True


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
def connect(target: TargetConfig, run_id: str) -> Iterator[Connection]:
    """Open a connection to the target, starting the embedded engine when it is local."""
    if target.engine == "local":
        from eros_migrate.local_engine import LocalEngine

        engine = LocalEngine(target.data_dir, project=target.project)
        engine.start()
        try:
            connection = Connection(target, engine.client(), run_id)
            yield connection
            connection.close()
        finally:
            engine.stop()
        return

    connection = Connection(target, _bigquery_client(target), run_id)
    try:
        yield connection
    finally:
        connection.close()


def _bigquery_client(target: TargetConfig) -> Any:
    from google.api_core.client_options import ClientOptions

    options = ClientOptions(api_endpoint=target.endpoint) if target.endpoint else None
    if target.credentials is not None:
        from google.oauth2 import service_account

        if not target.credentials.is_file():
            raise TargetError(
                f"credentials file {target.credentials} does not exist",
                hint=f"fix `credentials` of target {target.name!r} or unset it to use "
                "application default credentials",
            )
        try:
            credentials = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
                str(target.credentials)
            )
        except (ValueError, KeyError) as error:
            raise TargetError(
                f"credentials file {target.credentials} is not a service-account key: {error}",
                hint="download a JSON key for the service account, or unset `credentials`",
            ) from error
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
