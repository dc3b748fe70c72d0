"""Lint runs: render and parse every file, learn what the files declare, then check them."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

from eros_migrate.chain import FILE_NAME, Chain
from eros_migrate.config import Settings
from eros_migrate.errors import InputError, ScriptSyntaxError
from eros_migrate.findings import Finding
from eros_migrate.lint import expressions, references, safety, script_rules, tables
from eros_migrate.lint.context import FileLint, Knowledge, Scope, StatementVisit
from eros_migrate.lint.names import table_reference
from eros_migrate.lint.pairs import Changes, apply_history, compare, record
from eros_migrate.lint.rules import RuleSelection, select_rules
from eros_migrate.lint.source import find_markers, lint_values, render
from eros_migrate.lint.walk import Checks, check_statements
from eros_migrate.script import Statement, iter_statements, parse_script

logger = logging.getLogger(__name__)

# sqlglot 30 has no DROP TABLE FUNCTION, which BigQuery needs to undo CREATE TABLE FUNCTION.
_DROP_TABLE_FUNCTION = re.compile(
    r"^DROP\s+TABLE\s+FUNCTION\s+(?:IF\s+EXISTS\s+)?(?:`[^`]+`|[\w.\-])+\s*$", re.IGNORECASE
)

_FAMILIES = (
    (references, ("hardcoded-name", "unqualified-reference")),
    (safety, ("destructive-statement", "not-idempotent")),
    (expressions, ("self-comparison", "unsafe-division", "time-zone")),
    (tables, ("table-without-partitioning", "select-star-view")),
    (script_rules, ("session-setting", "variable-shadows-column")),
)


@dataclass
class Unit:
    """One file of a run, with what lint learned about it."""

    lint: FileLint
    statements: list[Statement]
    changes: Changes
    # A partner read only so the pair can be compared; its other findings are not asked for.
    pair_only: bool = False


class LintRun:
    """Everything one lint command shares across its files."""

    def __init__(self, settings: Settings) -> None:
        self.selection: RuleSelection = select_rules(settings.lint)
        self.values = lint_values(settings.placeholders)
        self.time_zone = settings.lint.time_zone
        self.knowledge = Knowledge()
        self.checks = build_checks(self.selection)

    def prepare(self, text: str, file: str, direction: str, *, pair_only: bool = False) -> Unit:
        """Render, find markers and parse one file, and learn the tables it creates."""
        source, placeholder_findings = render(text, self.values, file)
        markers, marker_findings = find_markers(source)
        lint = FileLint(source, direction, self.selection, self.time_zone, self.knowledge, markers)
        for finding in (*placeholder_findings, *marker_findings):
            lint.report_at(finding.rule, finding.line, finding.column, finding.message)

        try:
            parsed = parse_script(source.rendered, file)
        except ScriptSyntaxError as error:
            # The file cannot be split into statements: report where, check nothing else.
            line, column = source.map_position(error.line or 1, error.column or 1)
            message = f"{error.message}; {error.hint}" if error.hint else error.message
            lint.report_at("parse-error", line, column, message)
            return Unit(lint, [], Changes(Path(file).name), pair_only)

        gaps = _sqlglot_gaps(parsed.statements)
        for finding in parsed.findings:
            if finding.rule == "parse-error" and (finding.line in gaps):
                continue
            line, column = source.map_position(finding.line, finding.column)
            lint.report_at(finding.rule, line, column, finding.message)

        _learn(iter_statements(parsed.statements), lint)
        return Unit(lint, parsed.statements, Changes(Path(file).name), pair_only)

    def check(self, unit: Unit) -> None:
        checks = Checks() if unit.pair_only else self.checks

        def on_statement(visit: StatementVisit) -> None:
            record(visit, unit.changes)

        check_statements(unit.lint, unit.statements, Scope(), checks, on_statement=on_statement)
        if not unit.pair_only and unit.lint.active("table-update-rate"):
            tables.check_update_rate(unit.lint, unit.statements)

    def findings(self, units: Iterable[Unit]) -> list[Finding]:
        found: set[Finding] = set()
        for unit in units:
            for finding in unit.lint.findings:
                if not unit.pair_only or finding.rule == "down-mismatch":
                    found.add(finding)
        return sorted(found)


def build_checks(selection: RuleSelection) -> Checks:
    checks = Checks()
    for family, rules in _FAMILIES:
        if any(selection.active(rule) for rule in rules):
            family.register(checks)
    return checks


def lint_text(
    text: str, file: str, settings: Settings, *, direction: str | None = None
) -> list[Finding]:
    """Lint one script; without a direction, a `.down.sql` name means down, anything else up."""
    run = LintRun(settings)
    unit = run.prepare(text, file, direction or _direction_of(Path(file)))
    run.check(unit)
    return run.findings([unit])


def lint_chain(chain: Chain, settings: Settings) -> list[Finding]:
    """Lint every migration of the chain, each up compared with its down."""
    run = LintRun(settings)
    pairs = [
        (
            run.prepare(migration.up.text, str(migration.up.path), "up"),
            run.prepare(migration.down.text, str(migration.down.path), "down"),
        )
        for migration in chain.migrations
    ]

    existing: dict[tuple[str, str], str] = {}
    for up, down in pairs:
        run.check(up)
        run.check(down)
        _compare(up, down, existing)
    return run.findings(unit for pair in pairs for unit in pair)


def lint_paths(paths: list[Path], settings: Settings) -> list[Finding]:
    """Lint files and folders (every *.sql below a folder); migrations are paired by name."""
    files = _expand(paths)
    listed = set(files)
    wanted: dict[Path, bool] = {path: False for path in files}
    for path in files:
        partner = _partner(path)
        if partner is not None and partner not in listed and partner.is_file():
            wanted[partner] = True

    run = LintRun(settings)
    units: dict[Path, Unit] = {}
    extra: list[Finding] = []
    for path in sorted(wanted, key=_order):
        text = _read(path, extra)
        if text is not None:
            units[path] = run.prepare(text, str(path), _direction_of(path), pair_only=wanted[path])

    for unit in units.values():
        run.check(unit)

    for folder, versions in _chains(units).items():
        history = _complete(versions)
        existing: dict[tuple[str, str], str] = {}
        for version in sorted(versions):
            up, down = versions[version].get("up"), versions[version].get("down")
            if up is not None and down is not None:
                _compare(up, down, existing if history else None)
            elif up is not None and history:
                apply_history(up.changes, existing)
        logger.debug("compared %d migrations in %s", len(versions), folder)

    return sorted(set(run.findings(units.values())) | set(extra))


def _compare(up: Unit, down: Unit, existing: dict[tuple[str, str], str] | None) -> None:
    compare(up.changes, down.changes, up.lint, down.lint, existing)
    if existing is not None:
        apply_history(up.changes, existing)


def _sqlglot_gaps(statements: list[Statement]) -> set[int]:
    """Lines of valid BigQuery statements that sqlglot cannot parse, which are no error.

    Lint still understands them from their text (down-mismatch reads DDL by pattern).
    """
    lines: set[int] = set()
    for statement in iter_statements(statements):
        if statement.kind == "sql" and _DROP_TABLE_FUNCTION.match(statement.text):
            lines.update(range(statement.line, statement.end_line + 1))
    return lines


def _learn(statements: Iterable[Statement], lint: FileLint) -> None:
    """Temp tables, temp functions and column lists of the tables the file creates."""
    for statement in statements:
        root = statement.expression
        if isinstance(root, exp.Create):
            _learn_create(root, lint)


def _learn_create(root: exp.Create, lint: FileLint) -> None:
    kind = str(root.args.get("kind") or "").upper()
    properties = root.args.get("properties")
    temporary = properties is not None and any(
        isinstance(prop, exp.TemporaryProperty) for prop in properties.expressions
    )
    target = root.this
    if kind == "FUNCTION" and temporary and isinstance(target, exp.UserDefinedFunction):
        lint.temp_functions.add(target.this.name.lower())
        return
    if kind != "TABLE":
        return

    schema = target if isinstance(target, exp.Schema) else None
    table = schema.this if schema is not None else target
    if not isinstance(table, exp.Table):
        return
    reference = table_reference(table)
    if reference is None:
        return
    if temporary:
        lint.temp_tables.add(reference.name.lower())
        key = f"temp.{reference.name}"
    else:
        key = reference.key()

    columns: dict[str, str] = {}
    if schema is not None:
        for column in schema.expressions:
            if isinstance(column, exp.ColumnDef):
                kind_node = column.args.get("kind")
                type_name = kind_node.this.name if isinstance(kind_node, exp.DataType) else ""
                columns[column.name.lower()] = type_name
    query = root.expression
    if isinstance(query, exp.Query):
        for projection in query.selects:
            name = projection.alias_or_name.lower()
            value = projection.unalias() if isinstance(projection, exp.Alias) else projection
            columns[name] = "TIMESTAMP" if isinstance(value, exp.CurrentTimestamp) else ""
    lint.knowledge.add_table(key, columns)


def _direction_of(path: Path) -> str:
    return "down" if path.name.endswith(".down.sql") else "up"


def _partner(path: Path) -> Path | None:
    match = FILE_NAME.match(path.name)
    if match is None:
        return None
    other = "down" if match["direction"] == "up" else "up"
    return path.with_name(f"{match['version']}_{match['slug']}.{other}.sql")


def _order(path: Path) -> tuple[str, int, int, str]:
    match = FILE_NAME.match(path.name)
    if match is None:
        return (str(path.parent), 1 << 30, 0, path.name)
    return (str(path.parent), int(match["version"]), 0 if match["direction"] == "up" else 1, "")


def _chains(units: dict[Path, Unit]) -> dict[Path, dict[int, dict[str, Unit]]]:
    chains: dict[Path, dict[int, dict[str, Unit]]] = {}
    for path, unit in units.items():
        match = FILE_NAME.match(path.name)
        if match is not None:
            slot = chains.setdefault(path.parent, {}).setdefault(int(match["version"]), {})
            slot[match["direction"]] = unit
    return chains


def _complete(versions: dict[int, dict[str, Unit]]) -> bool:
    """Whether the folder's migrations start at 1 without gaps, so history is known."""
    return sorted(versions) == list(range(1, len(versions) + 1))


def _expand(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(found for found in path.rglob("*.sql") if found.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(
                f"{path} does not exist",
                file=path,
                hint="pass .sql files or folders that hold them",
            )
    return list(dict.fromkeys(files))


def _read(path: Path, findings: list[Finding]) -> str | None:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        findings.append(
            Finding(
                str(path),
                1,
                1,
                "parse-error",
                "error",
                f"file is not UTF-8 text ({error.reason}): save it as UTF-8",
            )
        )
        return None
