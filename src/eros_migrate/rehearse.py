"""`rehearse`: run the whole chain up, down and up again in a throwaway sandbox dataset.

The sandbox lives in the target's project, is named `<dataset>_rehearse_<run id>`, carries the
labels `tool=eros-migrate, purpose=rehearsal, run=<id>` and a default table expiration, so a
crashed run leaves nothing behind for long. It is dropped at the end, whatever failed, unless
the caller asks to keep it.

A rehearsal is an ordered list of named steps (`STEPS`). Each step gets the shared
`Rehearsal` and either returns an `Outcome` or raises: a `MigrateError` (or `StepFailed`) marks
the step failed, and the steps after a failed `blocking` step are not run. More steps (a
semantic check, running declared schedules) are added with `add_step`, placed after a named
step::

    def run_schedules(rehearsal: Rehearsal) -> Outcome:
        ...
        return passed("3 schedules ran")

    add_step(RehearsalStep("schedules", run_schedules), after="verify")

A step can reach the sandbox through `rehearsal.sandbox_settings` (target name
`rehearsal.sandbox.name`) with any function of `commands`, or open a connection with
`rehearsal.session()`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from eros_migrate import commands
from eros_migrate.chain import Chain, Migration, load_chain
from eros_migrate.config import ENV_PREFIX, Settings, TargetConfig
from eros_migrate.errors import InputError, MigrateError, TargetError
from eros_migrate.fingerprint import Fingerprint, compare, is_tool_table
from eros_migrate.placeholders import validate_dataset

if TYPE_CHECKING:
    from eros_migrate.bigquery import Connection
    from eros_migrate.commands import Session
    from eros_migrate.plan import Step

log = logging.getLogger(__name__)

# Tables a crashed rehearsal leaves behind expire by themselves after this long.
SANDBOX_EXPIRATION_MS = 24 * 60 * 60 * 1000
SANDBOX_INFIX = "_rehearse_"

# Environment overrides that would point the sandbox's settings back at the real dataset.
_TARGET_OVERRIDES = ("TARGET", "PROJECT", "DATASET", "LOCATION", "ENDPOINT", "CREDENTIALS")

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


class StepFailed(Exception):
    """A step found a problem; its message is the step's detail in the report."""


@dataclass(frozen=True)
class Outcome:
    status: str
    detail: str = ""


def passed(detail: str = "") -> Outcome:
    return Outcome(PASSED, detail)


def skipped(reason: str) -> Outcome:
    return Outcome(SKIPPED, reason)


@dataclass(frozen=True)
class StepReport:
    name: str
    status: str
    duration_ms: int
    detail: str

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "status": self.status,
            "duration_ms": self.duration_ms,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class DryRun:
    """A dry run of one statement of an up migration, or why it was not dry-run."""

    file: str
    line: int
    bytes_processed: int | None
    note: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "bytes_processed": self.bytes_processed,
            "note": self.note,
        }


@dataclass
class Rehearsal:
    """What the steps share: the real target, the sandbox, the chain and what was found."""

    settings: Settings
    target: TargetConfig
    sandbox: TargetConfig
    chain: Chain
    fingerprints: dict[str, Fingerprint] = field(default_factory=dict)
    dry_runs: list[DryRun] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def sandbox_settings(self) -> Settings:
        return sandbox_settings(self.settings, self.sandbox)

    def session(self) -> AbstractContextManager[Session]:
        return commands.open_session(self.sandbox_settings, self.sandbox.name)


@dataclass(frozen=True)
class RehearsalStep:
    """A named step; when a `blocking` step fails, the steps after it are not run."""

    name: str
    run: Callable[[Rehearsal], Outcome]
    blocking: bool = True


@dataclass
class RehearsalReport:
    target: str
    sandbox: str
    steps: list[StepReport]
    fingerprints: dict[str, Fingerprint]
    dry_runs: list[DryRun]
    notes: list[str]

    @property
    def passed(self) -> bool:
        return all(step.status != FAILED for step in self.steps)

    def to_dict(self) -> dict[str, object]:
        first = self.fingerprints.get("first_up")
        second = self.fingerprints.get("second_up")
        return {
            "status": PASSED if self.passed else FAILED,
            "target": self.target,
            "sandbox": self.sandbox,
            "steps": [step.to_dict() for step in self.steps],
            "fingerprints": {
                "first_up": first.digest if first else None,
                "second_up": second.digest if second else None,
                "equal": bool(first and second and first.digest == second.digest),
            },
            "dry_run": [item.to_dict() for item in self.dry_runs],
            "notes": self.notes,
        }


# -- the sandbox ---------------------------------------------------------------------------


def sandbox_target(target: TargetConfig, run_id: str) -> TargetConfig:
    """The target's configuration pointed at a fresh sandbox dataset of the same project."""
    name = validate_dataset(
        f"{target.dataset}{SANDBOX_INFIX}{run_id.lower()}", "sandbox dataset"
    )
    labels = {**target.labels, "purpose": "rehearsal"}
    return replace(target, dataset=name, labels=labels, protected=False)


def sandbox_settings(settings: Settings, sandbox: TargetConfig) -> Settings:
    """Settings whose only target is the sandbox, immune to the real target's overrides."""
    keys = {f"{ENV_PREFIX}{key}" for key in _TARGET_OVERRIDES}
    environment = {key: value for key, value in settings.environment.items() if key not in keys}
    return replace(
        settings,
        targets={sandbox.name: sandbox},
        default_target=sandbox.name,
        environment=environment,
    )


def create_sandbox(settings: Settings, sandbox: TargetConfig, run_id: str) -> None:
    from google.cloud import bigquery

    with commands.open_session(settings, sandbox.name) as session:
        dataset = bigquery.Dataset(session.connection.dataset_ref)
        dataset.labels = {
            "tool": "eros-migrate",
            "purpose": "rehearsal",
            "run": _label_value(run_id),
        }
        dataset.default_table_expiration_ms = SANDBOX_EXPIRATION_MS
        dataset.description = "eros-migrate rehearsal sandbox; safe to delete"
        if sandbox.location:
            dataset.location = sandbox.location
        _call(session, lambda client: client.create_dataset(dataset, retry=None))


def drop_sandbox(settings: Settings, sandbox: TargetConfig) -> None:
    with commands.open_session(settings, sandbox.name) as session:
        ref = session.connection.dataset_ref
        _call(
            session,
            lambda client: client.delete_dataset(
                ref, delete_contents=True, not_found_ok=True, retry=None
            ),
        )


def _call(session: Session, action: Callable[[Any], object]) -> None:
    """Run one client call, turning client errors into the adapter's TargetErrors."""
    from google.api_core import exceptions as gexc

    connection = session.connection
    try:
        action(connection.client)
    except gexc.GoogleAPIError as error:
        raise connection.translate(error) from error


def _label_value(value: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "_-" else "-" for ch in value.lower())
    return cleaned[:63]


# -- steps ---------------------------------------------------------------------------------


def step_create(rehearsal: Rehearsal) -> Outcome:
    settings = rehearsal.sandbox_settings
    create_sandbox(settings, rehearsal.sandbox, _run_id(rehearsal))
    return passed(f"created {rehearsal.sandbox.project}.{rehearsal.sandbox.dataset}")


def step_up(rehearsal: Rehearsal) -> Outcome:
    settings, name = rehearsal.sandbox_settings, rehearsal.sandbox.name
    count = len(rehearsal.chain.migrations)
    if not _dry_runs_mean_something(rehearsal.sandbox):
        commands.up(settings, name)
        rehearsal.fingerprints["first_up"] = _fingerprint(rehearsal)
        return passed(f"applied {count} migration(s)")

    # Each migration is dry-run just before it is applied, on a second connection: a dry run
    # sees only the objects that exist when it runs.
    render = commands.renderer(settings, rehearsal.sandbox)
    with rehearsal.session() as session:

        def dry_run_first(step: Step) -> None:
            found = dry_run_migration(session.connection, step.migration, render)
            rehearsal.dry_runs.extend(found)

        commands.up(settings, name, on_step=dry_run_first)
    rehearsal.fingerprints["first_up"] = _fingerprint(rehearsal)
    return passed(f"applied {count} migration(s), each dry-run first")


def step_verify(rehearsal: Rehearsal) -> Outcome:
    from eros_migrate.verify import verify

    tag = checks_tag(rehearsal.chain, rehearsal.settings)
    if tag is None:
        return skipped(
            "no checks to run: the chain has no tag with a folder of check files in "
            f"{rehearsal.settings.checks_dir}"
        )

    report = verify(rehearsal.sandbox_settings, rehearsal.sandbox.name, tag)
    failed = [result for result in report.results if not result.passed]
    if failed:
        shown = "; ".join(
            f"{result.check_id}: {result.detail or result.description}" for result in failed[:5]
        )
        raise StepFailed(f"{len(failed)} of {len(report.results)} check(s) of {tag} failed: "
                         f"{shown}")
    return passed(f"{len(report.results)} check(s) of {tag} passed")


def step_down(rehearsal: Rehearsal) -> Outcome:
    report = commands.down(rehearsal.sandbox_settings, rehearsal.sandbox.name, "0")
    return passed(f"undid {len(report.results)} migration(s)")


def step_nothing_left(rehearsal: Rehearsal) -> Outcome:
    with rehearsal.session() as session:
        left = leftovers(session)
    if left:
        raise StepFailed(
            "down --to 0 left " + ", ".join(left)
            + "; the down migration that should drop each of them is incomplete"
        )
    return passed("only eros-migrate's own tables (ledger, lock, backups) remain")


def step_up_again(rehearsal: Rehearsal) -> Outcome:
    commands.up(rehearsal.sandbox_settings, rehearsal.sandbox.name)
    rehearsal.fingerprints["second_up"] = _fingerprint(rehearsal)
    return passed(f"applied {len(rehearsal.chain.migrations)} migration(s) again")


def step_same_fingerprint(rehearsal: Rehearsal) -> Outcome:
    first = rehearsal.fingerprints["first_up"]
    second = rehearsal.fingerprints["second_up"]
    if first.digest != second.digest:
        differences = compare(first, second)
        shown = "; ".join(str(difference) for difference in differences[:10])
        raise StepFailed(f"the second up built another schema than the first: {shown}")
    return passed(f"{len(first.objects)} object(s), fingerprint {first.digest[:12]}")


def step_check(rehearsal: Rehearsal) -> Outcome:
    """GoogleSQL's analyzer over the whole chain, offline, when the `check` extra is installed."""
    from eros_migrate import check

    if not check.available():
        return skipped("the semantic check needs the extra: pip install 'eros-migrate[check]'")

    findings = check.check_chain(rehearsal.settings, rehearsal.chain, rehearsal.target)
    errors = [finding for finding in findings if finding.severity == "error"]
    if errors:
        shown = "; ".join(str(finding) for finding in errors[:5])
        raise StepFailed(f"{len(errors)} semantic error(s): {shown}")
    return passed(f"{len(findings)} finding(s), no error")


def step_schedules(rehearsal: Rehearsal) -> Outcome:
    """Run each declared scheduled query once in the sandbox; any failure fails the step."""
    from eros_migrate import schedules

    declared = schedules.declared(rehearsal.settings)
    if not declared:
        return skipped("no scheduled queries are declared")

    with rehearsal.session() as session:
        results = schedules.run_schedules(session, schedules=declared)
    failed = [result for result in results if not result.succeeded]
    if failed:
        shown = "; ".join(f"{result.schedule}: {result.error}" for result in failed)
        raise StepFailed(f"{len(failed)} of {len(results)} scheduled query(ies) failed: {shown}")
    return passed(f"{len(results)} scheduled query(ies) ran: "
                  + ", ".join(result.schedule for result in results))


STEPS: list[RehearsalStep] = [
    RehearsalStep("check", step_check),
    RehearsalStep("create sandbox", step_create),
    RehearsalStep("up", step_up),
    # Checks say nothing about whether the chain goes down and up again: keep going.
    RehearsalStep("verify", step_verify, blocking=False),
    RehearsalStep("schedules", step_schedules, blocking=False),
    RehearsalStep("down to 0", step_down),
    RehearsalStep("nothing left", step_nothing_left),
    RehearsalStep("up again", step_up_again),
    RehearsalStep("same fingerprint", step_same_fingerprint),
]


def add_step(step: RehearsalStep, *, after: str | None = None) -> None:
    """Register a step after the named one (default: at the end)."""
    if any(existing.name == step.name for existing in STEPS):
        raise ValueError(f"a rehearsal step named {step.name!r} exists already")
    if after is None:
        STEPS.append(step)
        return

    names = [existing.name for existing in STEPS]
    if after not in names:
        raise ValueError(f"no rehearsal step named {after!r}; steps: {', '.join(names)}")
    STEPS.insert(names.index(after) + 1, step)


# -- dry runs ------------------------------------------------------------------------------

_TEMP_TABLE = re.compile(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?TEMP(?:ORARY)?\s+TABLE\b", re.I)


def dry_run_migration(
    connection: Connection, migration: Migration, render: commands.Renderer
) -> list[DryRun]:
    """Dry-run each statement of an up migration that BigQuery can plan on its own."""
    from eros_migrate.script import split_statements

    file = str(migration.up.path)
    statements = split_statements(render(migration.up.text, file), file)
    if not statements:
        return []

    first = statements[0].line
    if any(statement.kind == "declare" for statement in statements):
        return [DryRun(file, first, None, "not dry-run: a script with variables; its "
                       "statements cannot be planned one by one")]
    if any(_TEMP_TABLE.search(statement.text) for statement in statements):
        return [DryRun(file, first, None, "not dry-run: the script uses a temporary table, "
                       "which exists only inside its own job")]

    found: list[DryRun] = []
    for statement in statements:
        if statement.kind != "sql":
            kind = statement.kind.replace("_", " ")
            found.append(DryRun(file, statement.line, None,
                                f"not dry-run: {kind} is part of a script, not a single "
                                "statement"))
            continue

        try:
            result = connection.run(statement.text, dry_run=True)
        except TargetError as error:
            found.append(DryRun(file, statement.line, None,
                                f"dry run refused (it may need an earlier statement of this "
                                f"migration): {error.message}"))
            continue
        found.append(DryRun(file, statement.line, result.bytes_processed))
    return found


# -- helpers the steps share ---------------------------------------------------------------


def leftovers(session: Session) -> list[str]:
    """Tables, views and routines of the session's dataset besides the tool's own tables."""
    client = session.connection.client
    ref = session.connection.dataset_ref
    found = [
        f"{_kind_word(item.table_type)} {item.table_id}"
        for item in client.list_tables(ref, retry=None)
        if not is_tool_table(item.table_id)
    ]
    found += [
        f"{str(item.type_ or 'routine').lower().replace('_', ' ')} {item.routine_id}"
        for item in client.list_routines(ref, retry=None)
    ]
    return sorted(found)


def checks_tag(chain: Chain, settings: Settings) -> str | None:
    """The highest tag of the chain that has check files, or None."""
    with_checks = [
        (version, tag)
        for tag, version in chain.tags.items()
        if any((settings.checks_dir / tag).glob("*.sql"))
    ]
    return max(with_checks)[1] if with_checks else None


def _kind_word(table_type: str | None) -> str:
    return str(table_type or "table").lower().replace("_", " ")


def _fingerprint(rehearsal: Rehearsal) -> Fingerprint:
    from eros_migrate.fingerprint import take

    with rehearsal.session() as session:
        return take(session.connection)


def _run_id(rehearsal: Rehearsal) -> str:
    return rehearsal.sandbox.dataset.rsplit(SANDBOX_INFIX, 1)[-1]


def _dry_runs_mean_something(target: TargetConfig) -> bool:
    """Only real BigQuery plans a dry run; emulators behind an endpoint may execute it."""
    return target.engine == "bigquery" and not target.endpoint


def _dry_run_note(target: TargetConfig) -> str:
    if target.engine == "local":
        return ("dry runs skipped: the local engine executes dry-run jobs for real, so they "
                "would change the sandbox")
    return (f"dry runs skipped: the target goes through the endpoint {target.endpoint}, which "
            "may not plan dry runs the way BigQuery does")


# -- the command ---------------------------------------------------------------------------


def rehearse(
    settings: Settings,
    target_name: str | None = None,
    *,
    keep: bool = False,
    steps: list[RehearsalStep] | None = None,
    on_step: Callable[[StepReport], None] | None = None,
) -> RehearsalReport:
    """Run every step on a fresh sandbox; drop the sandbox at the end unless `keep`."""
    target = settings.target(target_name)
    chain = load_chain(settings.migrations_dir)
    if not chain.migrations:
        raise InputError(
            f"no migrations in {settings.migrations_dir} to rehearse",
            hint="write one with `eros-migrate new SLUG`",
        )

    # Lint and render everything before a sandbox exists: bad input costs nothing.
    commands.prepare_chain(settings, target)
    sandbox = sandbox_target(target, commands.new_run_id())
    rehearsal = Rehearsal(settings, target, sandbox, chain)
    if not _dry_runs_mean_something(target):
        rehearsal.notes.append(_dry_run_note(target))

    reports: list[StepReport] = []
    try:
        reports.extend(_run_steps(rehearsal, steps if steps is not None else STEPS, on_step))
    finally:
        reports.append(_finish(rehearsal, keep, on_step))

    first = rehearsal.fingerprints.get("first_up")
    if first is not None:
        rehearsal.notes.extend(first.gaps)
    return RehearsalReport(
        target.name,
        f"{sandbox.project}.{sandbox.dataset}",
        reports,
        rehearsal.fingerprints,
        rehearsal.dry_runs,
        rehearsal.notes,
    )


def _run_steps(
    rehearsal: Rehearsal,
    steps: list[RehearsalStep],
    on_step: Callable[[StepReport], None] | None,
) -> Iterator[StepReport]:
    failed_step: str | None = None
    for step in steps:
        if failed_step is not None:
            report = StepReport(step.name, SKIPPED, 0, f"not run: {failed_step} failed")
        else:
            report = _run_step(rehearsal, step)
            if report.status == FAILED and step.blocking:
                failed_step = step.name
        if on_step is not None:
            on_step(report)
        yield report


def _run_step(rehearsal: Rehearsal, step: RehearsalStep) -> StepReport:
    started = time.monotonic()
    try:
        outcome = step.run(rehearsal)
    except (MigrateError, StepFailed) as error:
        log.debug("rehearsal step %s failed", step.name, exc_info=True)
        outcome = Outcome(FAILED, _one_line(error))
    duration_ms = int((time.monotonic() - started) * 1000)
    return StepReport(step.name, outcome.status, duration_ms, outcome.detail)


def _finish(
    rehearsal: Rehearsal, keep: bool, on_step: Callable[[StepReport], None] | None
) -> StepReport:
    sandbox = rehearsal.sandbox
    where = f"{sandbox.project}.{sandbox.dataset}"
    started = time.monotonic()
    if keep:
        outcome = passed(f"kept {where}; drop it with `bq rm -r -f -d {sandbox.project}:"
                         f"{sandbox.dataset}`")
        name = "keep sandbox"
    else:
        name = "drop sandbox"
        try:
            drop_sandbox(rehearsal.sandbox_settings, sandbox)
            outcome = passed(f"dropped {where}")
        except MigrateError as error:
            outcome = Outcome(
                FAILED,
                f"could not drop {where}: {_one_line(error)}; its tables expire within a day, "
                "drop the dataset by hand",
            )
    report = StepReport(name, outcome.status, int((time.monotonic() - started) * 1000),
                        outcome.detail)
    if on_step is not None:
        on_step(report)
    return report


def _one_line(error: BaseException) -> str:
    if isinstance(error, MigrateError):
        return f"{error.where}: {error.message}" if error.where else error.message
    return str(error)
