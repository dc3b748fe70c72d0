"""The `eros-migrate` command line: parse options, call one function, print the result.

Work happens in `commands.py`; this module only turns options into arguments, results into
text or JSON, and errors into a message and an exit code (0 success, 1 the target failed,
2 invalid input, 3 an internal error of eros-migrate). Heavy modules are imported inside the
commands so that `--help` starts at once.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from eros_migrate import __version__, console
from eros_migrate.errors import MigrateError

if TYPE_CHECKING:
    from eros_migrate.commands import RunReport
    from eros_migrate.config import Settings
    from eros_migrate.plan import Step

EXIT_INTERNAL = 3
F = TypeVar("F", bound=Callable[..., Any])


class State:
    def __init__(self, project_dir: Path | None, target: str | None, debug: bool) -> None:
        self.project_dir = project_dir
        self.target = target
        self.debug = debug

    def settings(self) -> Settings:
        from eros_migrate.config import load_settings

        return load_settings(self.project_dir)


def format_option(*choices: str) -> Callable[[F], F]:
    return click.option(
        "--format",
        "output",
        type=click.Choice(choices or ("text", "json")),
        default="text",
        show_default=True,
        help="Text for people, JSON for machines.",
    )


def target_option(function: F) -> F:
    return click.option(
        "--target",
        "-t",
        "target",
        default=None,
        help="Target name from the configuration (default: EROS_MIGRATE_TARGET or the first).",
    )(function)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--project-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder with eros-migrate.toml or pyproject.toml (default: search upwards from here).",
)
@click.option("--target", "-t", default=None, help="Target name from the configuration.")
@click.option("--debug", is_flag=True, help="Show diagnostics and tracebacks.")
@click.option("--verbose", "-v", is_flag=True, help="Show progress diagnostics.")
@click.version_option(__version__, prog_name="eros-migrate")
@click.pass_context
def cli(
    context: click.Context, project_dir: Path | None, target: str | None, debug: bool,
    verbose: bool,
) -> None:
    """Versioned, linted, ledgered schema migrations for Google BigQuery.

    Without configuration, migrations in ./migrations are applied to an embedded local
    engine kept in ./.eros/local.
    """
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    context.obj = State(project_dir, target, debug)


def _state() -> State:
    state = click.get_current_context().find_object(State)
    assert state is not None
    return state


def _target(local: str | None) -> str | None:
    return local or _state().target


def _show_step(step: Step) -> None:
    console.progress(f"  {step.direction:<4} {step.migration.name}")


def _print_run(report: RunReport, output: str, verb: str) -> None:
    if output == "json":
        console.emit_json(report.to_dict())
        return

    plan = report.plan
    for notice in plan.notices:
        console.warn(f"note: {notice}")
    if not plan.steps:
        console.say(f"nothing to {verb}: target {report.target} is at version "
                    f"{plan.from_version if plan.from_version is not None else 0}")
        return
    if report.dry_run:
        console.say(f"plan for target {report.target} (dry run, nothing applied):")
        for step in plan.steps:
            console.say(f"  {step.direction:<4} {step.migration.name}")
        return

    for result in report.results:
        console.ok(f"  {result.direction:<4} {result.name}  ({result.statements} statements, "
                   f"{result.duration_ms} ms)")
        for backup in result.backups:
            console.say(f"       kept a copy of the data in {backup} (expires in 7 days)")
    console.say(f"target {report.target} is now at version {plan.to_version}")


@cli.command()
@click.option("--to", "to", default=None, help="Version number or tag to stop at.")
@click.option("--dry-run", is_flag=True, help="Print the plan; apply nothing.")
@click.option("--wait", "wait", type=float, default=0.0, help="Seconds to wait for the lock.")
@click.option(
    "--check", "run_check", is_flag=True,
    help="Run `eros-migrate check` first; refuse to apply on any error.",
)
@target_option
@format_option()
def up(
    to: str | None, dry_run: bool, wait: float, run_check: bool, target: str | None, output: str
) -> None:
    """Apply pending migrations, in order, up to the head (or --to)."""
    from eros_migrate import commands

    if run_check:
        from eros_migrate.check import check_project, refuse_errors

        refuse_errors(check_project(_state().settings(), _target(target), to))

    on_step = _show_step if output == "text" else None
    report = commands.up(
        _state().settings(), _target(target), to, dry_run=dry_run, wait_seconds=wait,
        on_step=on_step,
    )
    _print_run(report, output, "apply")


@cli.command()
@click.option("--to", "to", default=None, help="Version number or tag to go down to (0: all).")
@click.option("--steps", type=int, default=None, help="Number of migrations to undo.")
@click.option("--yes", is_flag=True, help="Confirm a down on a protected target.")
@click.option(
    "--allow-data-loss",
    is_flag=True,
    help="Do not keep a clone of tables that the down migrations drop or empty.",
)
@click.option("--dry-run", is_flag=True, help="Print the plan; undo nothing.")
@click.option("--wait", "wait", type=float, default=0.0, help="Seconds to wait for the lock.")
@target_option
@format_option()
def down(
    to: str | None, steps: int | None, yes: bool, allow_data_loss: bool, dry_run: bool,
    wait: float, target: str | None, output: str,
) -> None:
    """Undo applied migrations, newest first, down to --to or by --steps."""
    from eros_migrate import commands

    on_step = _show_step if output == "text" else None
    report = commands.down(
        _state().settings(), _target(target), to, steps, yes=yes, dry_run=dry_run,
        wait_seconds=wait, on_step=on_step, allow_data_loss=allow_data_loss,
    )
    _print_run(report, output, "undo")


@cli.command()
@target_option
@format_option()
def status(target: str | None, output: str) -> None:
    """Show the applied version, pending migrations and the lock holder."""
    from eros_migrate import commands

    result = commands.status(_state().settings(), _target(target))
    if output == "json":
        console.emit_json(result.to_dict())
        return

    current = result.state.current_version
    tags = {version: tag for tag, version in result.tags.items()}
    label = f" ({tags[current]})" if current in tags else ""
    console.say(f"target:   {result.target}")
    console.say(f"version:  {current if current is not None else 'none'}{label} "
                f"of {result.chain_head} in the chain")
    console.say(f"pending:  {', '.join(map(str, result.pending)) or 'none'}")
    if result.changed_files:
        names = ", ".join(changed.name for changed in result.changed_files)
        console.warn(f"drift:    applied file(s) changed since applied: {names} "
                     "(`eros-migrate drift` shows more)")
    if result.state.failed:
        for _version, event in sorted(result.state.failed.items()):
            console.warn(f"failed:   {event.name} {event.direction} at "
                         f"{event.finished_at:%Y-%m-%d %H:%M:%S}: {event.error}")
    console.say(f"lock:     {result.holder.describe() if result.holder else 'free'}")


@cli.command()
@click.option("--version", "version", type=int, default=None, help="Only this version.")
@click.option("--direction", type=click.Choice(["up", "down", "baseline"]), default=None,
              help="Only events of this direction.")
@click.option("--status", "status_", type=click.Choice(["applied", "failed"]), default=None,
              help="Only applied or only failed attempts.")
@click.option("--who", default=None, help="Only events whose applied_by contains TEXT.")
@click.option("--since", default=None, help="Only events finished at or after this ISO date "
              "or date-time (UTC unless a zone is given).")
@click.option("--until", default=None, help="Only events finished before this date-time, or "
              "on or before this date.")
@click.option("--bytes", "with_bytes", is_flag=True, help="Look up the bytes each job "
              "processed (one BigQuery API call per job).")
@target_option
@format_option("text", "json", "csv")
def history(
    version: int | None, direction: str | None, status_: str | None, who: str | None,
    since: str | None, until: str | None, with_bytes: bool, target: str | None, output: str,
) -> None:
    """List ledger events: who applied what, when, with which checksum and jobs."""
    from eros_migrate import audit

    filters = audit.HistoryFilter(
        version=version,
        direction=direction,
        status=status_,
        who=who,
        since=audit.parse_moment(since, "--since") if since else None,
        until=audit.parse_moment(until, "--until", end_of_day=True) if until else None,
    )
    result = audit.history(_state().settings(), _target(target), filters, with_bytes=with_bytes)
    if output == "json":
        console.emit_json(result.to_dicts())
        return
    if output == "csv":
        click.echo(result.to_csv(), nl=False)
        return

    rows = []
    for event in result.events:
        row: dict[str, Any] = {
            "finished_at": event.finished_at,
            "version": event.version,
            "name": event.name,
            "direction": event.direction,
            "status": event.status,
            "by": event.applied_by,
            "ms": event.duration_ms,
            "checksum": event.checksum[:12],
            "jobs": " ".join(event.job_ids),
        }
        if with_bytes:
            row["bytes"] = result.bytes_of(event)
        rows.append(row)
    console.say(console.table(rows))


@cli.command()
@click.argument("version")
@target_option
def baseline(version: str, target: str | None) -> None:
    """Record VERSION (and all below it) as applied without running them."""
    from eros_migrate import commands

    recorded = commands.baseline(_state().settings(), version, _target(target))
    if recorded:
        console.ok(f"recorded versions {recorded[0]} to {recorded[-1]} as baseline")
    else:
        console.say("nothing to record: those versions are already applied")


@cli.command()
@target_option
def unlock(target: str | None) -> None:
    """Break the lock on the target (only when its holder is gone)."""
    from eros_migrate import commands

    holder = commands.unlock(_state().settings(), _target(target))
    if holder is None:
        console.say("the lock was free")
    else:
        console.ok(f"broke the lock held by {holder.describe()}")


@cli.command()
@click.argument("slug")
def new(slug: str) -> None:
    """Write the next pair of migration files, NNNN_SLUG.up.sql and .down.sql."""
    from eros_migrate import commands

    up_path, down_path = commands.new(_state().settings(), slug)
    console.ok(f"created {up_path}")
    console.ok(f"created {down_path}")


@cli.command(name="sql")
@click.argument("query", required=False)
@click.option("-f", "--file", "file", type=click.Path(dir_okay=False, path_type=Path))
@target_option
@format_option()
def sql_command(query: str | None, file: Path | None, target: str | None, output: str) -> None:
    """Run QUERY (or -f FILE) on the target, placeholders rendered; print the last rows."""
    from eros_migrate import commands
    from eros_migrate.errors import InputError

    if (query is None) == (file is None):
        raise InputError("give a QUERY or -f FILE (one of them)")
    if file is not None:
        if not file.is_file():
            raise InputError(f"{file} does not exist", file=file)
        query = file.read_text(encoding="utf-8")
    assert query is not None

    rows = commands.sql(
        _state().settings(), query, _target(target), str(file) if file else "<query>"
    )
    if output == "json":
        console.emit_json(rows)
    else:
        console.say(console.table(rows))


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=9050, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of the engine's data (default: .eros/local of the project).")
def serve(port: int, data_dir: Path | None) -> None:
    """Serve the local engine so several processes share one target, until Ctrl-C.

    Point a target at it with engine = "bigquery" and endpoint = "http://127.0.0.1:PORT".
    """
    from eros_migrate.config import DEFAULT_LOCAL_DIR
    from eros_migrate.local_engine import serve as serve_engine

    folder = data_dir or _state().settings().root / DEFAULT_LOCAL_DIR
    _require_free_port(port)

    def ready(url: str) -> None:
        console.say(f"endpoint: {url}")
        console.say(f"ready: serving the local engine from {folder}; stop with Ctrl-C")

    serve_engine(folder, "127.0.0.1", port, on_ready=ready)
    console.say("stopped")


def _require_free_port(port: int) -> None:
    """Refuse a busy port here: the engine's server would exit with a bare traceback."""
    import socket

    from eros_migrate.errors import TargetError

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise TargetError(
                f"cannot serve on 127.0.0.1:{port}: {error.strerror}",
                hint="another program (perhaps another `eros-migrate serve`) uses that port; "
                "pick another with --port",
            ) from error


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@format_option("text", "json", "sarif")
def lint(paths: tuple[Path, ...], output: str) -> None:
    """Lint migration files (default: the whole chain). Exit 2 on any error."""
    from eros_migrate import commands

    findings = commands.lint(_state().settings(), list(paths))
    if output == "json":
        console.emit_json([finding.to_dict() for finding in findings])
    elif output == "sarif":
        from eros_migrate.lint import to_sarif

        console.emit_json(to_sarif(findings))
    else:
        for finding in findings:
            line = str(finding)
            (console.fail if finding.severity == "error" else console.warn)(line)
        errors = sum(finding.severity == "error" for finding in findings)
        console.say(f"{errors} error(s), {len(findings) - errors} warning(s)")

    if any(finding.severity == "error" for finding in findings):
        sys.exit(2)


@cli.command()
@click.option("--to", "to", default=None, help="Version number or tag to stop at.")
@target_option
@format_option()
def check(to: str | None, target: str | None, output: str) -> None:
    """Analyse the chain with GoogleSQL's analyzer, offline. Exit 2 on any error."""
    from eros_migrate.check import check_project, require

    def compiling() -> None:
        console.progress("compiling GoogleSQL's analyzer once (up to a minute); later runs "
                         "load it from the cache")

    require()
    findings = check_project(_state().settings(), _target(target), to, on_compile=compiling)
    if output == "json":
        console.emit_json([finding.to_dict() for finding in findings])
    else:
        for finding in findings:
            (console.fail if finding.severity == "error" else console.warn)(str(finding))
        errors = sum(finding.severity == "error" for finding in findings)
        console.say(f"{errors} error(s), {len(findings) - errors} warning(s)")

    if any(finding.severity == "error" for finding in findings):
        sys.exit(2)


@cli.command()
@click.option("--tag", default=None, help="Run the checks of this tag (default: the current).")
@target_option
@format_option()
def verify(tag: str | None, target: str | None, output: str) -> None:
    """Run the project's checks against the target; exit 1 on any FAIL."""
    from eros_migrate.verify import verify as run_verify

    report = run_verify(_state().settings(), _target(target), tag)
    if output == "json":
        console.emit_json(report.to_dict())
    else:
        for result in report.results:
            mark = "PASS" if result.passed else "FAIL"
            text = f"{mark}  {result.check_id}  {result.description}"
            if result.detail and not result.passed:
                text += f"  ({result.detail})"
            (console.ok if result.passed else console.fail)(text)
        failed = sum(not result.passed for result in report.results)
        console.say(f"{len(report.results) - failed} passed, {failed} failed "
                    f"(checks of {report.tag})")
    if not report.passed:
        sys.exit(1)


@cli.command()
@click.option("--keep", is_flag=True, help="Keep the sandbox dataset for inspection.")
@target_option
@format_option()
def rehearse(keep: bool, target: str | None, output: str) -> None:
    """Apply the chain up, down and up again in a throwaway sandbox; exit 1 on any FAIL."""
    from eros_migrate.rehearse import FAILED, PASSED, StepReport
    from eros_migrate.rehearse import rehearse as run_rehearsal

    def show(step: StepReport) -> None:
        mark = {PASSED: "PASS", FAILED: "FAIL"}.get(step.status, "SKIP")
        text = f"{mark}  {step.name:<18} {step.duration_ms:>7} ms  {step.detail}"
        {PASSED: console.ok, FAILED: console.fail}.get(step.status, console.warn)(text)

    report = run_rehearsal(
        _state().settings(), _target(target), keep=keep, on_step=show if output == "text" else None
    )
    if output == "json":
        console.emit_json(report.to_dict())
    else:
        for item in report.dry_runs:
            size = f"{item.bytes_processed:,} bytes" if item.bytes_processed is not None else ""
            console.say(f"dry run  {item.file}:{item.line}  {size}{item.note}")
        for note in report.notes:
            console.say(f"note: {note}")
        verdict = "passed" if report.passed else "FAILED"
        console.say(f"rehearsal of {report.target} in {report.sandbox}: {verdict}")
    if not report.passed:
        sys.exit(1)


@cli.group()
def schedules() -> None:
    """Scheduled queries declared in schedules.toml: plan, apply, run."""


@schedules.command(name="plan")
@target_option
@format_option()
def schedules_plan(target: str | None, output: str) -> None:
    """Show what apply would create, change or remove on a BigQuery target."""
    from eros_migrate import schedules as scheduled

    result = scheduled.plan(_state().settings(), _target(target))
    if output == "json":
        console.emit_json(result.to_dict())
        return

    _print_schedule_findings(result.findings)
    console.say(f"scheduled queries on {result.target} ({result.parent}):")
    for change in result.changes:
        console.say(_describe_change(change))
    for note in result.notes:
        console.warn(f"note: {note}")
    if not result.pending:
        console.say("nothing to change")


@schedules.command(name="apply")
@click.option("--yes", is_flag=True, help="Confirm removals on a protected target.")
@target_option
@format_option()
def schedules_apply(yes: bool, target: str | None, output: str) -> None:
    """Make the target's scheduled queries match schedules.toml (only those it owns)."""
    from eros_migrate import schedules as scheduled

    def show(change: scheduled.Change) -> None:
        console.ok(_describe_change(change))

    report = scheduled.apply(
        _state().settings(), _target(target), yes=yes,
        on_change=show if output == "text" else None,
    )
    if output == "json":
        console.emit_json(report.to_dict())
        return

    for note in report.plan.notes:
        console.warn(f"note: {note}")
    console.say(f"{len(report.applied)} change(s) applied to {report.plan.target}")


@schedules.command(name="run")
@click.argument("names", nargs=-1)
@target_option
@format_option()
def schedules_run(names: tuple[str, ...], target: str | None, output: str) -> None:
    """Run declared queries (default: every enabled one) now, and record the runs."""
    from eros_migrate import schedules as scheduled

    def show(result: scheduled.RunResult) -> None:
        if result.succeeded:
            console.ok(f"  succeeded  {result.schedule}  (job {result.job_id})")
        else:
            console.fail(f"  failed     {result.schedule}  (job {result.job_id}): {result.error}")

    results = scheduled.run_schedules(
        _state().settings(), list(names), target_name=_target(target),
        on_result=show if output == "text" else None,
    )
    if output == "json":
        console.emit_json([result.to_dict() for result in results])
    if any(not result.succeeded for result in results):
        sys.exit(1)


def _describe_change(change: Any) -> str:
    text = f"  {change.action:<9} {change.display_name}"
    if change.fields:
        text += f"  ({', '.join(change.fields)})"
    if change.desired is not None and change.action in ("create", "update"):
        text += f"  [sent in UTC: {change.desired.schedule}]"
    if change.reason:
        text += f"  - {change.reason}"
    return text


def _print_schedule_findings(findings: list[Any]) -> None:
    for finding in findings:
        (console.fail if finding.severity == "error" else console.warn)(str(finding))


@cli.command()
@target_option
@format_option()
def drift(target: str | None, output: str) -> None:
    """Find changed migration files and objects changed outside the chain; exit 1 on drift."""
    from eros_migrate.drift import drift as find_drift

    report = find_drift(_state().settings(), _target(target))
    if output == "json":
        console.emit_json(report.to_dict())
    else:
        for changed in report.changed_files:
            console.fail(f"changed file  {changed.describe()}")
        for difference in report.objects:
            console.fail(f"{difference.problem:<13} {difference.kind} {difference.name}"
                         + (f": {difference.detail}" if difference.detail else ""))
        for note in report.notes:
            console.warn(f"note: {note}")
        if report.drift:
            console.say(f"drift on {report.target}: {len(report.changed_files)} changed "
                        f"file(s), {len(report.objects)} object(s)")
        else:
            console.ok(f"no drift on {report.target} (version {report.version or 0})")
    if report.drift:
        sys.exit(1)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn errors into messages and exit codes."""
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    as_json = _wants_json(sys.argv[1:] if argv is None else argv)
    try:
        cli.main(args=argv, prog_name="eros-migrate", standalone_mode=False)
    except click.exceptions.Abort:
        console.fail("aborted")
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(2)
    except MigrateError as error:
        if debug:
            raise
        console.report_error(error, as_json)
        sys.exit(error.exit_code)
    except Exception as error:
        if debug:
            raise
        console.fail(
            f"internal error in eros-migrate: {type(error).__name__}: {error}\n"
            "  hint: run again with --debug for the traceback, and report it"
        )
        sys.exit(EXIT_INTERNAL)


def _wants_json(argv: list[str]) -> bool:
    for index, arg in enumerate(argv):
        following = argv[index + 1 : index + 2]
        if arg == "--format=json" or (arg == "--format" and following == ["json"]):
            return True
    return False


if __name__ == "__main__":
    main()
