"""One plain function per command; the CLI only parses options and prints what these return.

Everything here can be called from Python and tests. Nothing is sent to a target before the
chain is read, rendered, split and linted.
"""

from __future__ import annotations

import getpass
import logging
import os
import random
import re
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eros_migrate import ledger, lock
from eros_migrate.chain import Chain, load_chain
from eros_migrate.config import Settings, TargetConfig
from eros_migrate.errors import (
    ConfirmationRequired,
    InputError,
    LintError,
    LockHeldError,
    TargetError,
    TargetNotFoundError,
)
from eros_migrate.findings import Finding
from eros_migrate.ledger import LedgerEvent, LedgerState
from eros_migrate.lock import LockHolder
from eros_migrate.placeholders import render
from eros_migrate.plan import Plan, Step, check_applied, plan_down, plan_up

if TYPE_CHECKING:
    from eros_migrate.apply import StepResult
    from eros_migrate.audit import HistoryFilter
    from eros_migrate.bigquery import Connection
    from eros_migrate.drift import ChangedFile
    from eros_migrate.pacing import Pacer

log = logging.getLogger(__name__)

Renderer = Callable[[str, str], str]


@dataclass
class Session:
    """A connection to one target with the run's identity."""

    settings: Settings
    target: TargetConfig
    connection: Connection
    run_id: str
    identity: str

    @property
    def project(self) -> str:
        return self.target.project

    @property
    def dataset(self) -> str:
        return self.target.dataset


@dataclass
class RunReport:
    """What `up` or `down` did, for people and for machines."""

    target: str
    run_id: str
    plan: Plan
    dry_run: bool
    results: list[StepResult] = field(default_factory=list)
    jobs_sent: int = 0

    def to_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "plan": self.plan.to_dict(),
            "applied": [
                {
                    "version": result.version,
                    "name": result.name,
                    "direction": result.direction,
                    "job_id": result.job_id,
                    "statements": result.statements,
                    "duration_ms": result.duration_ms,
                    "backups": list(result.backups),
                }
                for result in self.results
            ],
            "jobs_sent": self.jobs_sent,
        }


@dataclass
class Status:
    target: str
    chain_head: int
    state: LedgerState
    pending: list[int]
    holder: LockHolder | None
    tags: dict[str, int]
    changed_files: list[ChangedFile] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "current_version": self.state.current_version,
            "applied": sorted(self.state.applied),
            "pending": self.pending,
            "failed": sorted(self.state.failed),
            "lock": self.holder.to_dict() if self.holder else None,
            "chain_head": self.chain_head,
            "tags": self.tags,
            "changed_files": [changed.to_dict() for changed in self.changed_files],
        }


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S") + "_" + uuid.uuid4().hex[:8]


def identity(settings: Settings) -> str:
    """Who applies: an explicit actor (CI sets one), else the OS user on this host."""
    actor = settings.environment.get("EROS_MIGRATE_ACTOR")
    if actor:
        return actor
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def renderer(settings: Settings, target: TargetConfig) -> Renderer:
    values = settings.placeholder_values(target)

    def render_file(text: str, file: str) -> str:
        return render(text, values, file)

    return render_file


def prepare_chain(settings: Settings, target: TargetConfig, *, run_lint: bool = True) -> Chain:
    """Read, render, split and lint the whole chain; raise before anything reaches a target."""
    from eros_migrate.script import split_statements

    chain = load_chain(settings.migrations_dir)
    render_file = renderer(settings, target)
    for migration in chain.migrations:
        for direction in ("up", "down"):
            migration_file = migration.file(direction)
            text = render_file(migration_file.text, str(migration_file.path))
            split_statements(text, str(migration_file.path))

    if run_lint:
        require_clean_lint(settings, chain)
    return chain


def require_clean_lint(settings: Settings, chain: Chain) -> None:
    """Refuse to go on when lint reports an error anywhere in the chain."""
    findings = lint_findings(settings, chain)
    errors = [finding for finding in findings if finding.severity == "error"]
    if errors:
        shown = "\n  ".join(str(finding) for finding in errors[:10])
        more = f"\n  ... and {len(errors) - 10} more" if len(errors) > 10 else ""
        raise LintError(
            f"lint reported {len(errors)} error(s); nothing was applied:\n  {shown}{more}",
            file=errors[0].file,
            line=errors[0].line,
            column=errors[0].column,
            hint="fix them, or suppress one with `-- eros-migrate: ignore RULE: reason`; "
            "`eros-migrate lint` shows every finding",
        )


def lint_findings(settings: Settings, chain: Chain) -> list[Finding]:
    from eros_migrate.lint import lint_chain

    return lint_chain(chain, settings)


@contextmanager
def open_session(settings: Settings, target_name: str | None) -> Iterator[Session]:
    from eros_migrate.bigquery import connect

    target = settings.target(target_name)
    run_id = new_run_id()
    with connect(target, run_id) as connection:
        yield Session(settings, target, connection, run_id, identity(settings))


def ensure_dataset(session: Session) -> None:
    """The local engine gets its dataset made; on BigQuery a missing dataset is an error."""
    connection = session.connection
    if connection.dataset_exists():
        return

    if session.target.engine == "local":
        connection.create_dataset()
        return

    raise TargetNotFoundError(
        f"dataset {session.project}.{session.dataset} does not exist",
        hint="create it first (bq mk --location=LOCATION "
        f"{session.project}:{session.dataset}) or fix `dataset` of target "
        f"{session.target.name!r}",
    )


def bootstrap(session: Session) -> None:
    """Create the ledger and lock tables if they are missing, in one job."""
    ensure_dataset(session)
    script = ";\n".join(
        [
            ledger.create_sql(session.project, session.dataset),
            lock.create_sql(session.project, session.dataset),
        ]
    )
    session.connection.run(script + ";")


def read_state(session: Session) -> LedgerState:
    try:
        rows = session.connection.query(ledger.select_sql(session.project, session.dataset))
    except TargetNotFoundError:
        return ledger.derive_state([])
    return ledger.derive_state([LedgerEvent.from_row(row) for row in rows])


def read_holder(session: Session) -> LockHolder | None:
    try:
        rows = session.connection.query(lock.holder_sql(session.project, session.dataset))
    except TargetNotFoundError:
        return None
    return LockHolder.from_row(rows[0]) if rows else None


def read_state_and_holder(session: Session) -> tuple[LedgerState, LockHolder | None]:
    """The ledger and the lock holder in one query, for `status`."""
    sql = ledger.state_and_lock_sql(
        session.project, session.dataset, lock.LOCK_TABLE, lock.LOCK_NAME
    )
    try:
        rows = session.connection.query(sql)
    except TargetNotFoundError:
        return ledger.derive_state([]), None

    events = [LedgerEvent.from_row(row) for row in rows if row["record"] == "event"]
    holders = [LockHolder.from_row(row) for row in rows if row["record"] == "lock"]
    return ledger.derive_state(events), holders[0] if holders else None


def acquire_lock(session: Session, command: str, wait_seconds: float = 0.0) -> None:
    """Take the lock by compare-and-set; wait up to `wait_seconds` for a holder to finish.

    A holder that ran on this host and whose process is gone (a crash, a kill) is replaced at
    once instead of blocking until its lease ends.
    """
    host = socket.gethostname()
    claim = lock.Claim(session.run_id, session.identity, command, host, os.getpid())
    sql = lock.acquire_sql(session.project, session.dataset, claim)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            result = session.connection.run(sql)
        except TargetNotFoundError:
            bootstrap(session)
            result = session.connection.run(sql)
        if result.affected_rows == 1:
            return

        holder = read_holder(session)
        if holder is not None and holder.is_dead_on(host):
            log.warning("taking over the lock of run %s: its process %s is gone",
                        holder.holder, holder.pid)
            takeover = lock.take_over_sql(session.project, session.dataset, claim, holder.holder)
            if session.connection.run(takeover).affected_rows == 1:
                return
            continue

        if time.monotonic() >= deadline:
            held_by = holder.describe() if holder else "another run (it has just finished)"
            raise LockHeldError(
                f"the target {session.target.describe()} is locked by {held_by}",
                hint="wait for that run to finish (or pass --wait SECONDS); if it crashed, "
                "break the lock with `eros-migrate unlock` once you are sure it is gone",
            )
        time.sleep(1.0 + random.random())


def release_lock(session: Session) -> None:
    try:
        session.connection.run(lock.release_sql(session.project, session.dataset, session.run_id))
    except TargetError as error:
        log.warning("could not release the lock (its lease expires by itself): %s", error)


def _run_plan(
    session: Session,
    plan_for: Callable[[LedgerState], Plan],
    command: str,
    *,
    dry_run: bool,
    wait_seconds: float,
    on_step: Callable[[Step], None] | None,
    confirm: Callable[[Plan], None] | None = None,
    allow_data_loss: bool = False,
) -> RunReport:
    from eros_migrate.apply import RunContext, execute

    render_file = renderer(session.settings, session.target)
    if dry_run:
        plan = plan_for(read_state(session))
        return RunReport(session.target.name, session.run_id, plan, True)

    acquire_lock(session, command, wait_seconds)
    try:
        plan = plan_for(read_state(session))
        if confirm is not None:
            confirm(plan)
        report = RunReport(session.target.name, session.run_id, plan, False)
        context = RunContext(
            session.connection,
            session.run_id,
            session.identity,
            allow_data_loss=allow_data_loss,
            pacer=pacer_for(session.target),
        )
        report.results = execute(plan, context, render_file, on_step)
    finally:
        release_lock(session)
    report.jobs_sent = session.connection.jobs_sent
    return report


def pacer_for(target: TargetConfig) -> Pacer:
    """BigQuery's metadata limit is BigQuery's: the embedded engine has none, so nothing waits
    there (migrations are still split the same way, so the jobs sent are the same)."""
    from eros_migrate.pacing import Pacer

    return Pacer() if target.engine == "bigquery" else Pacer(window_s=0.0)


def up(
    settings: Settings,
    target_name: str | None = None,
    to: str | None = None,
    *,
    dry_run: bool = False,
    wait_seconds: float = 0.0,
    on_step: Callable[[Step], None] | None = None,
) -> RunReport:
    target = settings.target(target_name)
    chain = prepare_chain(settings, target, run_lint=False)
    version = chain.resolve(to) if to is not None else None
    require_clean_lint(settings, chain)

    with open_session(settings, target_name) as session:
        return _run_plan(
            session,
            lambda state: plan_up(chain, state, version),
            f"up --to {to}" if to else "up",
            dry_run=dry_run,
            wait_seconds=wait_seconds,
            on_step=on_step,
        )


def down(
    settings: Settings,
    target_name: str | None = None,
    to: str | None = None,
    steps: int | None = None,
    *,
    yes: bool = False,
    dry_run: bool = False,
    wait_seconds: float = 0.0,
    on_step: Callable[[Step], None] | None = None,
    allow_data_loss: bool = False,
) -> RunReport:
    """Undo migrations newest first; tables a down would empty are kept as clones first."""
    if to is None and steps is None:
        raise InputError(
            "down needs --to VERSION|TAG or --steps N",
            hint="`eros-migrate down --steps 1` undoes the last migration; `--to 0` undoes all",
        )
    if to is not None and steps is not None:
        raise InputError("give either --to or --steps, not both")
    if steps is not None and steps < 1:
        raise InputError("--steps must be at least 1")

    target = settings.target(target_name)
    chain = prepare_chain(settings, target, run_lint=False)
    version = chain.resolve(to) if to is not None else None
    require_clean_lint(settings, chain)

    def confirm(plan: Plan) -> None:
        if target.protected and plan.steps and not yes:
            names = ", ".join(step.migration.name for step in plan.steps)
            raise ConfirmationRequired(
                f"target {target.name!r} is protected; down would undo {names}",
                hint="run it again with --yes if you mean it",
            )

    if target.protected and not yes and not dry_run:
        # Refuse before taking the lock: a protected target is never touched without --yes.
        with open_session(settings, target_name) as session:
            confirm(plan_down(chain, read_state(session), version, steps))

    with open_session(settings, target_name) as session:
        return _run_plan(
            session,
            lambda state: plan_down(chain, state, version, steps),
            f"down --to {to}" if to is not None else f"down --steps {steps}",
            dry_run=dry_run,
            wait_seconds=wait_seconds,
            on_step=on_step,
            confirm=confirm,
            allow_data_loss=allow_data_loss,
        )


def status(settings: Settings, target_name: str | None = None) -> Status:
    from eros_migrate.drift import changed_files

    target = settings.target(target_name)
    chain = load_chain(settings.migrations_dir)
    with open_session(settings, target_name) as session:
        state, holder = read_state_and_holder(session)

    pending = [version for version in chain.versions if version not in state.applied]
    return Status(
        target.name, chain.head, state, pending, holder, dict(chain.tags),
        changed_files(chain, state),
    )


def history(
    settings: Settings, target_name: str | None = None, filters: HistoryFilter | None = None
) -> list[LedgerEvent]:
    """Ledger events, oldest first; `filters` narrow them in the ledger query itself."""
    from eros_migrate.audit import HistoryFilter, read_events

    with open_session(settings, target_name) as session:
        return read_events(session, filters or HistoryFilter())


def baseline(
    settings: Settings, version_spec: str, target_name: str | None = None
) -> list[int]:
    """Record versions 1..N as applied without running them, to adopt an existing dataset."""
    from datetime import UTC, datetime

    from eros_migrate import __version__

    target = settings.target(target_name)
    chain = prepare_chain(settings, target, run_lint=False)
    version = chain.resolve(version_spec)
    if version == 0:
        raise InputError("baseline needs a version of 1 or more")

    with open_session(settings, target_name) as session:
        acquire_lock(session, f"baseline {version_spec}")
        try:
            state = read_state(session)
            check_applied(chain, state)
            recorded = [v for v in range(1, version + 1) if v not in state.applied]
            statements = []
            for number in recorded:
                migration = chain.get(number)
                draft = ledger.EventDraft(
                    event_id=uuid.uuid4().hex,
                    seq=number,
                    version=number,
                    name=migration.name,
                    direction="baseline",
                    checksum=migration.up.checksum,
                    started_at=datetime.now(UTC),
                    statements_total=0,
                    applied_by=session.identity,
                    tool_version=__version__,
                    run_id=session.run_id,
                )
                statements.append(
                    ledger.insert_sql(
                        session.project, session.dataset, draft, status="applied",
                        statements_applied="0",
                    )
                )
            if statements:
                session.connection.run(";\n".join(statements) + ";")
        finally:
            release_lock(session)
    return recorded


def unlock(settings: Settings, target_name: str | None = None) -> LockHolder | None:
    with open_session(settings, target_name) as session:
        holder = read_holder(session)
        if holder is not None:
            session.connection.run(lock.break_sql(session.project, session.dataset))
    return holder


SLUG = re.compile(r"^[a-z0-9_]+$")


def new(settings: Settings, slug: str) -> tuple[Path, Path]:
    """Write the next pair of migration files from a template."""
    slug = slug.strip().lower().replace("-", "_").replace(" ", "_")
    if not SLUG.match(slug):
        raise InputError(
            f"slug {slug!r} may hold lower-case letters, digits and underscores only",
            hint="e.g. eros-migrate new add_holiday_calendar",
        )

    directory = settings.migrations_dir
    directory.mkdir(parents=True, exist_ok=True)
    head = load_chain(directory, check_scripts=False).head if any(directory.glob("*.sql")) else 0
    version = head + 1
    up_path = directory / f"{version:04d}_{slug}.up.sql"
    down_path = directory / f"{version:04d}_{slug}.down.sql"
    up_path.write_text(
        f"-- {version:04d} {slug}: what this migration does and why.\n"
        "-- Objects are named `${project}.${dataset}.name`.\n\n"
        "SELECT 1;\n",
        encoding="utf-8",
    )
    down_path.write_text(
        f"-- Undoes {version:04d} {slug}: restores the state before its up migration.\n\n"
        "SELECT 1;\n",
        encoding="utf-8",
    )
    return up_path, down_path


def sql(
    settings: Settings, query: str, target_name: str | None = None, file: str = "<query>"
) -> list[dict[str, Any]]:
    """Render placeholders, run on the target, return the rows of the last statement."""
    target = settings.target(target_name)
    text = renderer(settings, target)(query, file)
    with open_session(settings, target_name) as session:
        if target.engine == "local":
            ensure_dataset(session)
        return session.connection.query(text)


def lint(settings: Settings, paths: list[Path]) -> list[Finding]:
    from eros_migrate.lint import lint_paths

    if not paths:
        return lint_findings(settings, load_chain(settings.migrations_dir))
    missing = [path for path in paths if not path.exists()]
    if missing:
        raise InputError(f"{missing[0]} does not exist", file=missing[0])
    return lint_paths(paths, settings)
