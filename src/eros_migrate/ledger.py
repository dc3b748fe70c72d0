"""The ledger: an append-only table in the target dataset, one row per attempt and direction.

The current state is derived from it, never stored: a version is applied when its latest
successful event is `up` or `baseline`. Rows are written with query jobs (never streaming
inserts), so they are visible to the very next query and are part of the migration's own job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eros_migrate import sqltext

LEDGER_TABLE = "_eros_migrate_ledger"
DIRECTIONS = ("up", "down", "baseline")
STATUSES = ("applied", "failed")

COLUMNS = (
    ("event_id", "STRING NOT NULL"),
    ("seq", "INT64 NOT NULL"),
    ("version", "INT64 NOT NULL"),
    ("name", "STRING NOT NULL"),
    ("direction", "STRING NOT NULL"),
    ("checksum", "STRING NOT NULL"),
    ("status", "STRING NOT NULL"),
    ("started_at", "TIMESTAMP NOT NULL"),
    ("finished_at", "TIMESTAMP NOT NULL"),
    ("duration_ms", "INT64"),
    ("statements_applied", "INT64"),
    ("statements_total", "INT64"),
    ("applied_by", "STRING"),
    ("tool_version", "STRING"),
    ("run_id", "STRING NOT NULL"),
    ("job_ids", "ARRAY<STRING>"),
    ("error", "STRING"),
    ("failed_statement", "STRING"),
    ("backups", "ARRAY<STRING>"),
)


def table_ref(project: str, dataset: str) -> str:
    return f"`{project}.{dataset}.{LEDGER_TABLE}`"


def create_sql(project: str, dataset: str) -> str:
    columns = ",\n  ".join(f"{name} {kind}" for name, kind in COLUMNS)
    return (
        f"CREATE TABLE IF NOT EXISTS {table_ref(project, dataset)} (\n  {columns}\n)\n"
        "CLUSTER BY version\n"
        "OPTIONS (description = 'eros-migrate ledger: one row per migration attempt; "
        "append-only')"
    )


def select_sql(project: str, dataset: str) -> str:
    names = ", ".join(name for name, _ in COLUMNS)
    return f"SELECT {names} FROM {table_ref(project, dataset)} ORDER BY finished_at, seq"


def state_and_lock_sql(project: str, dataset: str, lock_table: str, lock_name: str) -> str:
    """Every ledger event and the lock row in one query, told apart by `record`."""
    lock_columns = (
        ("holder", "STRING"),
        ("holder_identity", "STRING"),
        ("command", "STRING"),
        ("host", "STRING"),
        ("pid", "INT64"),
        ("acquired_at", "TIMESTAMP"),
        ("expires_at", "TIMESTAMP"),
    )
    events = ", ".join(
        [name for name, _ in COLUMNS]
        + [f"CAST(NULL AS {kind}) AS {name}" for name, kind in lock_columns]
    )
    locks = ", ".join(
        [f"CAST(NULL AS {kind.removesuffix(' NOT NULL')})" for _, kind in COLUMNS]
        + [name for name, _ in lock_columns]
    )
    return (
        f"SELECT 'event' AS record, {events} FROM {table_ref(project, dataset)}\n"
        "UNION ALL\n"
        f"SELECT 'lock', {locks} FROM `{project}.{dataset}.{lock_table}`\n"
        f"WHERE lock_name = {sqltext.string(lock_name)}"
    )


@dataclass
class EventDraft:
    """What the tool knows about an event before its job runs; the job fills in the rest."""

    event_id: str
    seq: int
    version: int
    name: str
    direction: str
    checksum: str
    started_at: datetime
    statements_total: int
    applied_by: str
    tool_version: str
    run_id: str
    job_ids: list[str] = field(default_factory=list)
    backups: list[str] = field(default_factory=list)


def insert_sql(
    project: str,
    dataset: str,
    draft: EventDraft,
    *,
    status: str,
    statements_applied: str,
    error: str = "NULL",
    failed_statement: str = "NULL",
    backups: str | None = None,
) -> str:
    """An INSERT of one event; the SQL-valued arguments may be expressions evaluated in-job."""
    started = sqltext.timestamp(draft.started_at)
    values = {
        "event_id": sqltext.string(draft.event_id),
        "seq": sqltext.integer(draft.seq),
        "version": sqltext.integer(draft.version),
        "name": sqltext.string(draft.name),
        "direction": sqltext.string(draft.direction),
        "checksum": sqltext.string(draft.checksum),
        "status": sqltext.string(status),
        "started_at": started,
        "finished_at": "CURRENT_TIMESTAMP()",
        "duration_ms": f"TIMESTAMP_DIFF(CURRENT_TIMESTAMP(), {started}, MILLISECOND)",
        "statements_applied": statements_applied,
        "statements_total": sqltext.integer(draft.statements_total),
        "applied_by": sqltext.string(draft.applied_by),
        "tool_version": sqltext.string(draft.tool_version),
        "run_id": sqltext.string(draft.run_id),
        "job_ids": sqltext.string_array(draft.job_ids),
        "error": error,
        "failed_statement": failed_statement,
        "backups": backups or sqltext.string_array(draft.backups),
    }
    names = ", ".join(values)
    return (
        f"INSERT INTO {table_ref(project, dataset)} ({names})\n"
        f"VALUES ({', '.join(values.values())})"
    )


@dataclass(frozen=True)
class LedgerEvent:
    event_id: str
    seq: int
    version: int
    name: str
    direction: str
    checksum: str
    status: str
    started_at: datetime
    finished_at: datetime
    duration_ms: int | None
    statements_applied: int | None
    statements_total: int | None
    applied_by: str | None
    tool_version: str | None
    run_id: str
    job_ids: tuple[str, ...]
    error: str | None
    failed_statement: str | None
    backups: tuple[str, ...]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> LedgerEvent:
        return cls(
            event_id=row["event_id"],
            seq=int(row["seq"]),
            version=int(row["version"]),
            name=row["name"],
            direction=row["direction"],
            checksum=row["checksum"],
            status=row["status"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            duration_ms=row.get("duration_ms"),
            statements_applied=row.get("statements_applied"),
            statements_total=row.get("statements_total"),
            applied_by=row.get("applied_by"),
            tool_version=row.get("tool_version"),
            run_id=row["run_id"],
            job_ids=tuple(row.get("job_ids") or ()),
            error=row.get("error"),
            failed_statement=row.get("failed_statement"),
            backups=tuple(row.get("backups") or ()),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "version": self.version,
            "name": self.name,
            "direction": self.direction,
            "status": self.status,
            "checksum": self.checksum,
            "applied_by": self.applied_by,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "duration_ms": self.duration_ms,
            "statements_applied": self.statements_applied,
            "statements_total": self.statements_total,
            "run_id": self.run_id,
            "job_ids": list(self.job_ids),
            "tool_version": self.tool_version,
            "error": self.error,
            "failed_statement": self.failed_statement,
            "backups": list(self.backups),
        }


@dataclass
class LedgerState:
    """What the ledger says about each version."""

    events: list[LedgerEvent]
    applied: dict[int, LedgerEvent]
    failed: dict[int, LedgerEvent]

    @property
    def current_version(self) -> int | None:
        return max(self.applied) if self.applied else None


def derive_state(events: list[LedgerEvent]) -> LedgerState:
    """Replay events in order: the last successful event of a version decides its state."""
    ordered = sorted(events, key=lambda event: (event.finished_at, event.seq))
    applied: dict[int, LedgerEvent] = {}
    failed: dict[int, LedgerEvent] = {}
    for event in ordered:
        if event.status == "failed":
            failed[event.version] = event
            continue

        failed.pop(event.version, None)
        if event.direction in ("up", "baseline"):
            applied[event.version] = event
        else:
            applied.pop(event.version, None)
    return LedgerState(ordered, applied, failed)
