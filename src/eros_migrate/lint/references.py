"""Rules on names: hardcoded-name and unqualified-reference."""

from __future__ import annotations

from sqlglot import exp

from eros_migrate.lint.context import StatementVisit
from eros_migrate.lint.names import BUILTIN_FUNCTIONS, Reference, text_reference
from eros_migrate.lint.source import UNKNOWN_VALUE_PREFIX
from eros_migrate.lint.walk import Checks


def register(checks: Checks) -> None:
    checks.statement.append(check_routine_statement)
    checks.root.append(check_schema)
    checks.finish.append(check_references)


def check_references(visit: StatementVisit) -> None:
    lint = visit.lint
    local = (
        visit.ctes
        | visit.aliases
        | lint.temp_tables
        | lint.temp_functions
        | set(visit.scope.variables)
    )
    paths = visit.aliases | visit.ctes
    for table, reference in visit.tables:
        first = reference.project or reference.dataset or reference.region
        if first is not None and first.lower() in paths:
            # `FROM orders AS o, o.items`: a path through an alias, not a dataset.
            continue
        if not reference.qualified and reference.name.lower() in local:
            continue
        if isinstance(table.this, exp.Anonymous) and _builtin(reference):
            # A built-in table function: FROM EXTERNAL_QUERY(...), APPENDS(...).
            continue
        _judge(visit, table, reference, "table")

    for call, reference in visit.routines:
        if _builtin(reference) or (
            not reference.qualified and reference.name.lower() in lint.temp_functions
        ):
            continue
        _judge(visit, call, reference, "routine")


def _builtin(reference: Reference) -> bool:
    return not reference.qualified and reference.name.lower() in BUILTIN_FUNCTIONS


def check_routine_statement(visit: StatementVisit) -> None:
    """The name of a CREATE PROCEDURE, which the script parser keeps as text.

    CALL needs nothing here: its `name(arguments)` fragment is walked like any call.
    """
    statement = visit.statement
    if statement.kind != "create_procedure" or not statement.name:
        return
    header = statement.text[: statement.text.find(statement.name)]
    if "TEMP" in header.upper():
        return

    reference = text_reference(statement.name)
    if reference is not None:
        _judge_at(visit, visit.base + len(header), reference, "routine")


def check_schema(root: exp.Expression, visit: StatementVisit) -> None:
    """CREATE SCHEMA / DROP SCHEMA name a dataset, which should be the placeholder."""
    if not isinstance(root, exp.Create | exp.Drop):
        return
    if str(root.args.get("kind") or "").upper() != "SCHEMA" or not isinstance(root.this, exp.Table):
        return

    table = root.this
    dataset = table.args.get("db")
    project = table.args.get("catalog")
    if isinstance(dataset, exp.Identifier):
        reference = Reference(project.name if project is not None else None, dataset.name, "")
        part = reference.hardcoded_part()
        if part is not None:
            visit.report(
                "hardcoded-name",
                table,
                f"schema names the literal {part}: write ${{dataset}} (and ${{project}}) so "
                "each target gets its own",
            )


def _judge(visit: StatementVisit, node: exp.Expression, reference: Reference, what: str) -> None:
    _judge_at(visit, visit.offset_of(node), reference, what)


def _judge_at(visit: StatementVisit, offset: int, reference: Reference, what: str) -> None:
    lint = visit.lint
    if reference.name.startswith(UNKNOWN_VALUE_PREFIX):
        return

    part = reference.hardcoded_part()
    if part is not None:
        lint.report(
            "hardcoded-name",
            offset,
            f"{what} `{_written(reference)}` names the literal {part}: write "
            f"`${{project}}.${{dataset}}.{reference.name}` so the migration runs on every target",
        )
        return

    if not reference.qualified:
        lint.report(
            "unqualified-reference",
            offset,
            f"{what} `{reference.name}` is not qualified: it resolves against whatever default "
            f"dataset the job has; write `${{dataset}}.{reference.name}`",
        )


def _written(reference: Reference) -> str:
    parts = [reference.project, reference.region or reference.dataset, reference.name]
    return ".".join(part for part in parts if part)
