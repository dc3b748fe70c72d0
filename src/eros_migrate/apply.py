"""Executing a plan: each migration goes to the target as one script job.

The job opens with the lock guard, runs the migration's statements and ends with the ledger
INSERT, so a migration and its ledger row land together. An exception handler records a
`failed` row with the number of statements that ran, BigQuery's message and the failing
statement, then re-raises so the job fails. Migrations holding their own transaction run
without the handler (BigQuery does not let a transaction start inside one); their failure row
is written by a second job.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlglot import exp

from eros_migrate import __version__, ledger, lock, pacing, sqltext
from eros_migrate.bigquery import Connection, new_job_id
from eros_migrate.errors import MigrationFailedError, TargetError
from eros_migrate.ledger import EventDraft
from eros_migrate.plan import Plan, Step
from eros_migrate.script import Statement, iter_statements, parse_script

log = logging.getLogger(__name__)

STEP_VARIABLE = "_eros_migrate_step"
BACKUPS_VARIABLE = "_eros_migrate_backups"
BACKUP_PREFIX = "_eros_migrate_backup_"
BACKUP_DAYS = 7


@dataclass(frozen=True)
class RenderedStep:
    step: Step
    text: str
    statements: list[Statement]

    @property
    def has_transaction(self) -> bool:
        return any(statement.kind == "transaction" for statement in self.statements)


@dataclass(frozen=True)
class StepResult:
    version: int
    name: str
    direction: str
    job_id: str
    statements: int
    duration_ms: int
    backups: tuple[str, ...] = ()


@dataclass
class RunContext:
    connection: Connection
    run_id: str
    identity: str
    lease_minutes: int = lock.DEFAULT_LEASE_MINUTES
    allow_data_loss: bool = False
    seq: int = 0
    pacer: pacing.Pacer = field(default_factory=pacing.Pacer)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq


def render_step(step: Step, render: Callable[[str, str], str]) -> RenderedStep:
    migration_file = step.migration.file(step.direction)
    text = render(migration_file.text, str(migration_file.path))
    # Full parsing (not only splitting) gives the trees that pacing and backups look at.
    parsed = parse_script(text, str(migration_file.path))
    return RenderedStep(step, text, parsed.statements)


def tables_at_risk(rendered: RenderedStep) -> list[str]:
    """Permanent tables a down migration drops, truncates, empties or drops columns of."""
    if rendered.step.direction != "down":
        return []

    found: list[str] = []
    for statement in iter_statements(rendered.statements):
        table = _table_at_risk(statement.expression)
        if table is not None:
            name = _qualified(table)
            if name and name not in found:
                found.append(name)
    return found


def _table_at_risk(node: exp.Expression | None) -> exp.Table | None:
    kind = str(node.args.get("kind") or "").upper() if node is not None else ""
    target: exp.Expression | None = None
    if isinstance(node, exp.Drop) and kind == "TABLE" and not node.args.get("temporary"):
        target = node.this
    elif isinstance(node, exp.TruncateTable) and node.expressions:
        target = node.expressions[0]
    elif isinstance(node, exp.Delete) and node.args.get("where") is None:
        target = node.this
    elif isinstance(node, exp.Alter):
        actions = node.args.get("actions") or []
        target = node.this if any(isinstance(a, exp.Drop) for a in actions) else None
    elif isinstance(node, exp.Create) and node.args.get("replace") and kind == "TABLE":
        schema = node.this
        target = schema.this if isinstance(schema, exp.Schema) else schema
    return target if isinstance(target, exp.Table) else None


def _qualified(table: exp.Table) -> str | None:
    parts = [part for part in (table.catalog, table.db, table.name) if part]
    if len(parts) == 1 and "." in parts[0]:
        parts = parts[0].split(".")
    return ".".join(parts) if len(parts) == 3 else None


def backup_sql(table: str, version: int, run_id: str) -> str:
    """Keep a clone of `table` with an expiry when it exists and holds rows.

    A clone costs only the storage of what later changes; it restores with
    `CREATE OR REPLACE TABLE t CLONE backup`. Its name goes to the ledger row of the down step.
    """
    project, dataset, name = table.split(".")
    backup = f"{BACKUP_PREFIX}{name}_v{version}_{run_id}"[:1024]
    qualified = f"`{project}.{dataset}.{backup}`"
    description = f"eros-migrate backup of {table} before down {version}"
    statement = (
        f"IF EXISTS (SELECT 1 FROM `{project}.{dataset}`.INFORMATION_SCHEMA.TABLES "
        f"WHERE table_name = {sqltext.string(name)} AND table_type = 'BASE TABLE') THEN\n"
        f"  IF (SELECT COUNT(*) FROM `{table}`) > 0 THEN\n"
        f"    CREATE TABLE {qualified} CLONE `{table}`;\n"
        f"    ALTER TABLE {qualified} SET OPTIONS (\n"
        f"      expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), "
        f"INTERVAL {BACKUP_DAYS} DAY),\n"
        f"      description = {sqltext.string(description)});\n"
        f"    SET {BACKUPS_VARIABLE} = ARRAY_CONCAT({BACKUPS_VARIABLE}, "
        f"[{sqltext.string(f'{project}.{dataset}.{backup}')}]);\n"
        "  END IF;\n"
        "END IF"
    )
    return statement


@dataclass(frozen=True)
class Job:
    """One script job of a migration: its SQL and the statements of the migration it runs."""

    job_id: str
    script: str
    statements: list[Statement]


def build_jobs(
    rendered: RenderedStep, context: RunContext, draft: EventDraft, job_ids: list[str]
) -> list[Job]:
    """The jobs for one migration: guard, statements, ledger row, failure handling.

    Normally one job. A migration that changes one table more often than BigQuery allows in a
    window is split into several; only the last writes the `applied` row, and each records a
    `failed` row with the number of statements that ran before the failure.
    """
    declares = [statement for statement in rendered.statements if statement.kind == "declare"]
    body = [statement for statement in rendered.statements if statement.kind != "declare"]
    splittable = not declares and not rendered.has_transaction
    spans = pacing.chunk(body) if splittable else [(0, len(body))]
    ids = job_ids[: len(spans)]
    while len(ids) < len(spans):
        ids.append(new_job_id(context.run_id))
    draft.job_ids[:] = ids

    jobs: list[Job] = []
    for index, (start, end) in enumerate(spans):
        script = _job_script(
            rendered,
            context,
            draft,
            declares=declares,
            body=body[start:end],
            first_number=len(declares) + start + 1,
            first=index == 0,
            last=index == len(spans) - 1,
        )
        jobs.append(Job(ids[index], script, body[start:end]))
    return jobs


def _job_script(
    rendered: RenderedStep,
    context: RunContext,
    draft: EventDraft,
    *,
    declares: list[Statement],
    body: list[Statement],
    first_number: int,
    first: bool,
    last: bool,
) -> str:
    target = context.connection.target
    project, dataset = target.project, target.dataset
    guard = lock.guard_sql(project, dataset, context.run_id, context.lease_minutes)

    backups: list[str] = []
    if first and not context.allow_data_loss:
        backups = [backup_sql(table, draft.version, context.run_id)
                   for table in tables_at_risk(rendered)]
    applied = ledger.insert_sql(
        project,
        dataset,
        draft,
        status="applied",
        statements_applied=str(len(rendered.statements)),
        backups=BACKUPS_VARIABLE,
    )
    finish = [applied, f"SELECT {BACKUPS_VARIABLE} AS backups"] if last else []

    if rendered.has_transaction:
        parts = [
            f"DECLARE {BACKUPS_VARIABLE} ARRAY<STRING> DEFAULT []",
            *(statement.text for statement in declares),
            *guard,
            *backups,
            *(statement.text for statement in body),
            *finish,
        ]
        return ";\n".join(parts) + ";\n"

    lines = [
        f"DECLARE {STEP_VARIABLE} INT64 DEFAULT {first_number - 1};",
        f"DECLARE {BACKUPS_VARIABLE} ARRAY<STRING> DEFAULT [];",
        "BEGIN",
    ]
    lines += [f"{statement.text}\n;" for statement in declares]
    lines += [f"{text};" for text in guard]
    lines += [f"{text};" for text in backups]
    for number, statement in enumerate(body, start=first_number):
        lines.append(f"SET {STEP_VARIABLE} = {number};")
        lines.append(f"{statement.text}\n;")
    lines += [f"{text};" for text in finish]
    failed = ledger.insert_sql(
        project,
        dataset,
        draft,
        status="failed",
        statements_applied=f"GREATEST({STEP_VARIABLE} - 1, 0)",
        error="@@error.message",
        failed_statement="@@error.statement_text",
        backups=BACKUPS_VARIABLE,
    )
    lines += ["EXCEPTION WHEN ERROR THEN", f"{failed};", "RAISE USING MESSAGE = @@error.message;"]
    lines.append("END;")
    return "\n".join(lines) + "\n"


def apply_step(rendered: RenderedStep, context: RunContext) -> StepResult:
    step = rendered.step
    migration_file = step.migration.file(step.direction)
    draft = EventDraft(
        event_id=uuid.uuid4().hex,
        seq=context.next_seq(),
        version=step.version,
        name=step.migration.name,
        direction=step.direction,
        checksum=migration_file.checksum,
        started_at=datetime.now(UTC),
        statements_total=len(rendered.statements),
        applied_by=context.identity,
        tool_version=__version__,
        run_id=context.run_id,
    )
    jobs = build_jobs(rendered, context, draft, [new_job_id(context.run_id)])

    started = datetime.now(UTC)
    backups: tuple[str, ...] = ()
    for job in jobs:
        context.pacer.wait_for(job.statements)
        log.debug("job %s for %s %s:\n%s", job.job_id, step.direction, step.migration.name,
                  job.script)
        try:
            result = context.connection.run(job.script, job_id=job.job_id)
        except TargetError as error:
            raise _failure(rendered, context, draft, error) from error
        finally:
            context.pacer.record(job.statements)
        if result.rows:
            backups += tuple(result.rows[0].get("backups") or ())

    elapsed = int((datetime.now(UTC) - started).total_seconds() * 1000)
    return StepResult(
        step.version,
        step.migration.name,
        step.direction,
        jobs[-1].job_id,
        len(rendered.statements),
        elapsed,
        backups,
    )


def _failure(
    rendered: RenderedStep, context: RunContext, draft: EventDraft, error: TargetError
) -> MigrationFailedError:
    """Turn a failed job into an error naming the statement, its line and BigQuery's message."""
    connection = context.connection
    target = connection.target
    applied: int | None = None

    if rendered.has_transaction:
        record = ledger.insert_sql(
            target.project,
            target.dataset,
            draft,
            status="failed",
            statements_applied="NULL",
            error=sqltext.string(error.message),
        )
        try:
            connection.run(record)
        except TargetError as second:
            log.warning("could not record the failure in the ledger: %s", second)
    else:
        try:
            rows = connection.query(
                f"SELECT statements_applied FROM {ledger.table_ref(target.project, target.dataset)}"
                f" WHERE event_id = '{draft.event_id}'"
            )
            if rows:
                applied = rows[0]["statements_applied"]
        except TargetError as second:
            log.warning("could not read the failure back from the ledger: %s", second)

    step = rendered.step
    path = step.migration.file(step.direction).path
    line: int | None = None
    where = ""
    if applied is not None and applied < len(rendered.statements):
        failing = rendered.statements[applied]
        line = failing.line
        where = f" at statement {applied + 1} of {len(rendered.statements)}"

    return MigrationFailedError(
        f"{step.direction} {step.migration.name} failed{where}: {error.message}",
        file=path,
        line=line,
        version=step.version,
        hint="statements before the failing one stay applied; fix the migration and run "
        f"`eros-migrate {step.direction}` again: it re-runs {step.migration.name} from its "
        "first statement (`eros-migrate history` shows the failed attempt)",
    )


def execute(
    plan: Plan,
    context: RunContext,
    render: Callable[[str, str], str],
    on_step: Callable[[Step], None] | None = None,
) -> list[StepResult]:
    """Apply every step in order; stop at the first failure (it raises)."""
    rendered = [render_step(step, render) for step in plan.steps]
    results: list[StepResult] = []
    for item in rendered:
        if on_step is not None:
            on_step(item.step)
        results.append(apply_step(item, context))
    return results
