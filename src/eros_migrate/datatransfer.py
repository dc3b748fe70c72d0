"""The Data Transfer Service: every call that reads or changes BigQuery's scheduled queries.

Only `schedules plan` and `schedules apply` import this module, and it imports the client
library lazily, so the rest of the tool never pays for it. Scheduled queries are transfer
configs of the data source `scheduled_query`; their `schedule` string is read by the service
in UTC (the config has no time-zone field), so callers hand in a schedule already converted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from eros_migrate.config import TargetConfig
from eros_migrate.errors import InputError, TargetError, TargetNotFoundError

log = logging.getLogger(__name__)

DATA_SOURCE_ID = "scheduled_query"
# The fields `update` may change; the service wants them named in the request's update mask.
UPDATABLE = ("display_name", "params", "schedule", "disabled")


@dataclass(frozen=True)
class ConfigSpec:
    """A scheduled query as it should be on the service."""

    display_name: str
    params: dict[str, Any]
    schedule: str
    disabled: bool
    service_account_name: str | None = None

    @property
    def query(self) -> str:
        return str(self.params.get("query", ""))


@dataclass(frozen=True)
class RemoteConfig:
    """A scheduled query as the service returned it."""

    name: str
    display_name: str
    params: dict[str, Any] = field(default_factory=dict)
    schedule: str = ""
    disabled: bool = False
    state: str = ""
    next_run_time: str | None = None

    @property
    def query(self) -> str:
        return str(self.params.get("query", ""))


def parent_of(target: TargetConfig) -> str:
    """The resource the target's scheduled queries live under: project and location."""
    if target.location:
        return f"projects/{target.project}/locations/{target.location.lower()}"
    return f"projects/{target.project}"


class TransferService:
    """List, create, update and delete scheduled queries under one parent."""

    def __init__(self, client: Any, parent: str, where: str) -> None:
        self.client = client
        self.parent = parent
        self.where = where

    def list_scheduled_queries(self) -> list[RemoteConfig]:
        request = {"parent": self.parent, "data_source_ids": [DATA_SOURCE_ID]}
        with self._translated("list the scheduled queries"):
            pager = self.client.list_transfer_configs(request=request)
            return [_remote(config) for config in pager]

    def create(self, spec: ConfigSpec) -> RemoteConfig:
        request: dict[str, Any] = {
            "parent": self.parent,
            "transfer_config": _message(spec),
        }
        if spec.service_account_name:
            request["service_account_name"] = spec.service_account_name
        with self._translated(f"create {spec.display_name!r}"):
            return _remote(self.client.create_transfer_config(request=request))

    def update(self, name: str, spec: ConfigSpec, fields: list[str]) -> RemoteConfig:
        config = _message(spec)
        config.name = name
        paths = [path for path in UPDATABLE if path in fields]
        request: dict[str, Any] = {"transfer_config": config}
        if spec.service_account_name:
            # The service changes the account only when the mask names it.
            request["service_account_name"] = spec.service_account_name
            paths.append("service_account_name")
        request["update_mask"] = {"paths": paths}
        with self._translated(f"update {spec.display_name!r}"):
            return _remote(self.client.update_transfer_config(request=request))

    def delete(self, name: str) -> None:
        with self._translated(f"delete {name}"):
            self.client.delete_transfer_config(request={"name": name})

    @contextmanager
    def _translated(self, doing: str) -> Iterator[None]:
        """Turn the client's errors into `TargetError`s that say what to check."""
        from google.api_core import exceptions as gexc

        try:
            yield
        except gexc.GoogleAPIError as error:
            raise _target_error(error, f"could not {doing} on {self.where}") from error


def _target_error(error: Any, what: str) -> TargetError:
    from google.api_core import exceptions as gexc

    message = f"{what}: {str(getattr(error, 'message', None) or error).splitlines()[0]}"
    if isinstance(error, gexc.PermissionDenied | gexc.Forbidden | gexc.Unauthenticated):
        return TargetError(
            message,
            hint="the account needs bigquery.transfers.get and bigquery.transfers.update "
            "(BigQuery Admin), and the BigQuery Data Transfer API must be enabled",
        )
    if isinstance(error, gexc.NotFound):
        return TargetNotFoundError(message, hint="check the project and location of the target")
    if isinstance(error, gexc.InvalidArgument):
        return TargetError(
            message, hint="the service refused the declaration; fix it in schedules.toml"
        )
    return TargetError(message, hint="run the command again once the service answers")


def connect(target: TargetConfig, client: Any = None) -> TransferService:
    """A service for the target; `client` replaces the one built from the target's credentials."""
    if target.engine != "bigquery":
        raise InputError(
            f"target {target.name!r} is the local engine, which has no scheduler",
            hint="plan and apply need a BigQuery target (--target NAME); "
            "`eros-migrate schedules run` runs the declared queries locally",
        )
    return TransferService(client or _client(target), parent_of(target), target.describe())


def _client(target: TargetConfig) -> Any:
    from google.cloud import bigquery_datatransfer

    if target.credentials is None:
        return bigquery_datatransfer.DataTransferServiceClient()

    from eros_migrate.credentials import service_account_credentials

    credentials = service_account_credentials(target)
    return bigquery_datatransfer.DataTransferServiceClient(credentials=credentials)


def _message(spec: ConfigSpec) -> Any:
    from google.cloud import bigquery_datatransfer

    config = bigquery_datatransfer.TransferConfig(
        display_name=spec.display_name,
        data_source_id=DATA_SOURCE_ID,
        schedule=spec.schedule,
        disabled=spec.disabled,
    )
    # Assigning a dict fills the protobuf Struct field by field.
    config.params = dict(spec.params)
    return config


def _remote(config: Any) -> RemoteConfig:
    params = dict(config.params.items()) if config.params else {}
    next_run = config.next_run_time
    return RemoteConfig(
        name=config.name,
        display_name=config.display_name,
        params=params,
        schedule=config.schedule,
        disabled=bool(config.disabled),
        state=config.state.name if config.state else "",
        next_run_time=next_run.isoformat() if next_run else None,
    )
