"""Audit of the ledger: filtered history and its exports (text, JSON, CSV).

Filters become the WHERE clause of one ledger query, with query parameters for every value a
user typed, so a filtered history costs one job whatever the size of the ledger.

Bytes processed: the ledger row is written inside the migration's own job, so it cannot know
that job's bytes. `history --bytes` asks BigQuery for each job an event lists
(`jobs.get`, one API call per job id, no bytes billed), only for the events shown.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from eros_migrate import ledger
from eros_migrate.errors import InputError, TargetNotFoundError
from eros_migrate.ledger import LedgerEvent

if TYPE_CHECKING:
    from eros_migrate.commands import Session
    from eros_migrate.config import Settings

log = logging.getLogger(__name__)

CSV_COLUMNS = (
    "finished_at",
    "version",
    "name",
    "direction",
    "status",
    "applied_by",
    "duration_ms",
    "statements_applied",
    "statements_total",
    "checksum",
    "run_id",
    "job_ids",
    "error",
)


@dataclass(frozen=True)
class HistoryFilter:
    """Which ledger events to show; every field left None matches all events."""

    version: int | None = None
    direction: str | None = None
    status: str | None = None
    who: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def where(self) -> tuple[str, dict[str, Any]]:
        """The WHERE clause (empty without filters) and its query parameters."""
        conditions: list[str] = []
        params: dict[str, Any] = {}
        if self.version is not None:
            conditions.append("version = @version")
            params["version"] = self.version
        if self.direction is not None:
            conditions.append("direction = @direction")
            params["direction"] = self.direction
        if self.status is not None:
            conditions.append("status = @status")
            params["status"] = self.status
        if self.who:
            conditions.append("STRPOS(LOWER(IFNULL(applied_by, '')), LOWER(@who)) > 0")
            params["who"] = self.who
        if self.since is not None:
            conditions.append("finished_at >= TIMESTAMP(@since)")
            params["since"] = self.since.isoformat()
        if self.until is not None:
            conditions.append("finished_at < TIMESTAMP(@until)")
            params["until"] = self.until.isoformat()
        clause = f"WHERE {' AND '.join(conditions)}\n" if conditions else ""
        return clause, params


def parse_moment(text: str, option: str, *, end_of_day: bool = False) -> datetime:
    """An ISO date or date-time; a date alone means its start (or, for --until, its end).

    Times without a zone are UTC, like the ledger's timestamps.
    """
    try:
        if "T" not in text and " " not in text.strip():
            day = date.fromisoformat(text.strip())
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return moment + timedelta(days=1) if end_of_day else moment
        moment = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise InputError(
            f"{option} {text!r} is not an ISO date or date-time",
            hint=f"e.g. {option} 2026-01-31 or {option} 2026-01-31T18:00:00+01:00",
        ) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def select_sql(project: str, dataset: str, filters: HistoryFilter) -> tuple[str, dict[str, Any]]:
    names = ", ".join(name for name, _ in ledger.COLUMNS)
    clause, params = filters.where()
    sql = (
        f"SELECT {names} FROM {ledger.table_ref(project, dataset)}\n"
        f"{clause}ORDER BY finished_at, seq"
    )
    return sql, params


def read_events(session: Session, filters: HistoryFilter) -> list[LedgerEvent]:
    sql, params = select_sql(session.project, session.dataset, filters)
    try:
        rows = session.connection.query(sql, params=params)
    except TargetNotFoundError:
        return []
    return [LedgerEvent.from_row(row) for row in rows]


def job_bytes(session: Session, events: list[LedgerEvent]) -> dict[str, int | None]:
    """Bytes processed per job id of the events, as BigQuery reports them (None if unknown)."""
    from google.api_core import exceptions as gexc

    client = session.connection.client
    location = session.target.location
    found: dict[str, int | None] = {}
    for event in events:
        for job_id in event.job_ids:
            if job_id in found:
                continue
            try:
                job = client.get_job(job_id, location=location, retry=None)
            except gexc.NotFound:
                # Job metadata is kept for a limited time; older jobs are gone.
                found[job_id] = None
                continue
            except gexc.GoogleAPIError as error:
                raise session.connection.translate(error) from error
            found[job_id] = getattr(job, "total_bytes_processed", None)
    return found


@dataclass
class History:
    """Ledger events as filtered, with bytes per job when they were looked up."""

    events: list[LedgerEvent]
    bytes_by_job: dict[str, int | None] | None = None
    filters: HistoryFilter = field(default_factory=HistoryFilter)

    def bytes_of(self, event: LedgerEvent) -> int | None:
        if self.bytes_by_job is None:
            return None
        known = [self.bytes_by_job.get(job_id) for job_id in event.job_ids]
        values = [value for value in known if value is not None]
        return sum(values) if values else None

    def to_dicts(self) -> list[dict[str, object]]:
        rows = []
        for event in self.events:
            row = event.to_dict()
            if self.bytes_by_job is not None:
                row["bytes_processed"] = self.bytes_of(event)
            rows.append(row)
        return rows

    def to_csv(self) -> str:
        columns = list(CSV_COLUMNS)
        if self.bytes_by_job is not None:
            columns.insert(columns.index("job_ids") + 1, "bytes_processed")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for event, row in zip(self.events, self.to_dicts(), strict=True):
            row["job_ids"] = " ".join(event.job_ids)
            row["finished_at"] = event.finished_at.isoformat()
            writer.writerow(["" if row.get(name) is None else row[name] for name in columns])
        return out.getvalue()


def history(
    settings: Settings,
    target_name: str | None = None,
    filters: HistoryFilter | None = None,
    *,
    with_bytes: bool = False,
) -> History:
    """One ledger query for the filtered events; with `with_bytes`, one jobs.get per job."""
    from eros_migrate.commands import open_session

    chosen = filters or HistoryFilter()
    with open_session(settings, target_name) as session:
        events = read_events(session, chosen)
        bytes_by_job = job_bytes(session, events) if with_bytes else None
    return History(events, bytes_by_job, chosen)
