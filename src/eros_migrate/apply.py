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
from dataclasses import dataclass
from datetime import UTC, datetime

from eros_migrate import __version__, ledger, lock, sqltext
from eros_migrate.bigquery import Connection, new_job_id
from eros_migrate.errors import MigrationFailedError, TargetError
from eros_migrate.ledger import EventDraft
from eros_migrate.plan import Plan, Step
from eros_migrate.script import Statement, split_statements

log = logging.getLogger(__name__)

STEP_VARIABLE = "_eros_migrate_step"


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


@dataclass
class RunContext:
    connection: Connection
    run_id: str
    identity: str
    lease_minutes: int = lock.DEFAULT_LEASE_MINUTES
    seq: int = 0

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq


def render_step(step: Step, render: Callable[[str, str], str]) -> RenderedStep:
    migration_file = step.migration.file(step.direction)
    text = render(migration_file.text, str(migration_file.path))
    return RenderedStep(step, text, split_statements(text, str(migration_file.path)))


def build_script(rendered: RenderedStep, context: RunContext, draft: EventDraft) -> str:
    """The whole job for one migration: guard, statements, ledger row, failure handling."""
    target = context.connection.target
    project, dataset = target.project, target.dataset
    statements = rendered.statements
    declares = [statement.text for statement in statements if statement.kind == "declare"]
    body = [statement for statement in statements if statement.kind != "declare"]
    guard = lock.guard_sql(project, dataset, context.run_id, context.lease_minutes)
    applied = ledger.insert_sql(
        project, dataset, draft, status="applied", statements_applied=str(len(statements))
    )

    if rendered.has_transaction:
        parts = [*declares, *guard, *(statement.text for statement in body), applied]
        return ";\n".join(parts) + ";\n"

    lines = [f"DECLARE {STEP_VARIABLE} INT64 DEFAULT 0;", "BEGIN"]
    lines += [f"{text}\n;" for text in declares]
    lines += [f"{text};" for text in guard]
    for number, statement in enumerate(body, start=len(declares) + 1):
        lines.append(f"SET {STEP_VARIABLE} = {number};")
        lines.append(f"{statement.text}\n;")
    lines.append(f"{applied};")
    failed = ledger.insert_sql(
        project,
        dataset,
        draft,
        status="failed",
        statements_applied=f"GREATEST({STEP_VARIABLE} - 1, 0)",
        error="@@error.message",
        failed_statement="@@error.statement_text",
    )
    lines += ["EXCEPTION WHEN ERROR THEN", f"{failed};", "RAISE USING MESSAGE = @@error.message;"]
    lines.append("END;")
    return "\n".join(lines) + "\n"


def apply_step(rendered: RenderedStep, context: RunContext) -> StepResult:
    step = rendered.step
    migration_file = step.migration.file(step.direction)
    job_id = new_job_id(context.run_id)
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
        job_ids=[job_id],
    )
    script = build_script(rendered, context, draft)
    log.debug("job %s for %s %s:\n%s", job_id, step.direction, step.migration.name, script)

    started = datetime.now(UTC)
    try:
        context.connection.run(script, job_id=job_id)
    except TargetError as error:
        raise _failure(rendered, context, draft, error) from error

    elapsed = int((datetime.now(UTC) - started).total_seconds() * 1000)
    return StepResult(
        step.version, step.migration.name, step.direction, job_id, len(rendered.statements),
        elapsed,
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
