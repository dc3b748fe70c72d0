"""The lock: one row in a table of the target dataset, taken by compare-and-set.

BigQuery enforces no keys, so inserting a row excludes nobody. Taking the lock is a single
MERGE that inserts the row when there is none, or takes it over when the holder's lease has
expired; BigQuery serialises concurrent MERGEs on one table, and the job's affected-row count
(1 or 0) says whether this run won. Each migration job renews the lease and fails if this run
no longer holds it, so an expired and retaken lock can never let two runs interleave.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eros_migrate import sqltext

LOCK_TABLE = "_eros_migrate_lock"
LOCK_NAME = "migrate"
DEFAULT_LEASE_MINUTES = 30


def table_ref(project: str, dataset: str) -> str:
    return f"`{project}.{dataset}.{LOCK_TABLE}`"


def create_sql(project: str, dataset: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {table_ref(project, dataset)} (\n"
        "  lock_name STRING NOT NULL,\n"
        "  holder STRING NOT NULL,\n"
        "  holder_identity STRING,\n"
        "  command STRING,\n"
        "  host STRING,\n"
        "  pid INT64,\n"
        "  acquired_at TIMESTAMP NOT NULL,\n"
        "  expires_at TIMESTAMP NOT NULL\n"
        ")\n"
        "CLUSTER BY lock_name\n"
        "OPTIONS (description = 'eros-migrate lock: at most one row, held by one run')"
    )


@dataclass(frozen=True)
class LockHolder:
    holder: str
    identity: str | None
    command: str | None
    acquired_at: datetime
    expires_at: datetime
    host: str | None = None
    pid: int | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> LockHolder:
        return cls(
            holder=row["holder"],
            identity=row.get("holder_identity"),
            command=row.get("command"),
            acquired_at=row["acquired_at"],
            expires_at=row["expires_at"],
            host=row.get("host"),
            pid=row.get("pid"),
        )

    def is_dead_on(self, host: str) -> bool:
        """True when the holder ran on this host and its process no longer exists."""
        if self.host != host or self.pid is None:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def describe(self) -> str:
        who = self.identity or "unknown"
        return (
            f"run {self.holder} by {who} ({self.command or 'unknown command'}), "
            f"since {self.acquired_at:%Y-%m-%d %H:%M:%S} UTC, "
            f"lease until {self.expires_at:%Y-%m-%d %H:%M:%S} UTC"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "holder": self.holder,
            "identity": self.identity,
            "command": self.command,
            "acquired_at": self.acquired_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "host": self.host,
            "pid": self.pid,
        }


@dataclass(frozen=True)
class Claim:
    """Who asks for the lock."""

    run_id: str
    identity: str
    command: str
    host: str
    pid: int
    lease_minutes: int = DEFAULT_LEASE_MINUTES


def _set_holder(claim: Claim) -> str:
    expires = f"TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL {int(claim.lease_minutes)} MINUTE)"
    return (
        f"holder = {sqltext.string(claim.run_id)}, "
        f"holder_identity = {sqltext.string(claim.identity)},\n"
        f"  command = {sqltext.string(claim.command)}, host = {sqltext.string(claim.host)}, "
        f"pid = {sqltext.integer(claim.pid)},\n"
        f"  acquired_at = CURRENT_TIMESTAMP(), expires_at = {expires}"
    )


def acquire_sql(project: str, dataset: str, claim: Claim) -> str:
    expires = f"TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL {int(claim.lease_minutes)} MINUTE)"
    values = ", ".join(
        [
            "wanted.lock_name",
            sqltext.string(claim.run_id),
            sqltext.string(claim.identity),
            sqltext.string(claim.command),
            sqltext.string(claim.host),
            sqltext.integer(claim.pid),
            "CURRENT_TIMESTAMP()",
            expires,
        ]
    )
    return (
        f"MERGE {table_ref(project, dataset)} AS held\n"
        f"USING (SELECT {sqltext.string(LOCK_NAME)} AS lock_name) AS wanted\n"
        "ON held.lock_name = wanted.lock_name\n"
        f"WHEN MATCHED AND held.expires_at < CURRENT_TIMESTAMP() THEN UPDATE SET\n"
        f"  {_set_holder(claim)}\n"
        "WHEN NOT MATCHED THEN INSERT\n"
        "  (lock_name, holder, holder_identity, command, host, pid, acquired_at, expires_at)\n"
        f"  VALUES ({values})"
    )


def take_over_sql(project: str, dataset: str, claim: Claim, previous: str) -> str:
    """Replace a holder known to be gone; the holder condition keeps it a compare-and-set."""
    return (
        f"UPDATE {table_ref(project, dataset)} SET\n"
        f"  {_set_holder(claim)}\n"
        f"WHERE lock_name = {sqltext.string(LOCK_NAME)} AND holder = {sqltext.string(previous)}"
    )


def release_sql(project: str, dataset: str, run_id: str) -> str:
    return (
        f"DELETE FROM {table_ref(project, dataset)}\n"
        f"WHERE lock_name = {sqltext.string(LOCK_NAME)} AND holder = {sqltext.string(run_id)}"
    )


def break_sql(project: str, dataset: str) -> str:
    condition = f"lock_name = {sqltext.string(LOCK_NAME)}"
    return f"DELETE FROM {table_ref(project, dataset)} WHERE {condition}"


def holder_sql(project: str, dataset: str) -> str:
    return (
        "SELECT holder, holder_identity, command, host, pid, acquired_at, expires_at\n"
        f"FROM {table_ref(project, dataset)} WHERE lock_name = {sqltext.string(LOCK_NAME)}"
    )


def guard_sql(project: str, dataset: str, run_id: str, lease_minutes: int) -> list[str]:
    """Statements that open each migration job: fail unless this run holds the lock, renew it."""
    condition = f"lock_name = {sqltext.string(LOCK_NAME)} AND holder = {sqltext.string(run_id)}"
    table = table_ref(project, dataset)
    return [
        f"IF NOT EXISTS (SELECT 1 FROM {table} WHERE {condition}) THEN\n"
        "  RAISE USING MESSAGE = 'eros-migrate: this run no longer holds the lock';\n"
        "END IF",
        f"UPDATE {table} SET expires_at = "
        f"TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL {int(lease_minutes)} MINUTE)\n"
        f"WHERE {condition}",
    ]
