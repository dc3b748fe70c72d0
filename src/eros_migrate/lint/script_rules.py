"""Rules on scripting: session-setting and variable-shadows-column (declare-position lives in
the statement pass, which knows where each block starts)."""

from __future__ import annotations

import re

from sqlglot import exp

from eros_migrate.lint.context import StatementVisit
from eros_migrate.lint.walk import Checks

_SYSTEM_VARIABLE = re.compile(r"^\s*SET\s*\(?\s*(?P<name>@@[\w.]+)", re.IGNORECASE)


def register(checks: Checks) -> None:
    checks.statement.append(check_session_setting)
    checks.finish.append(check_shadowing)


def check_session_setting(visit: StatementVisit) -> None:
    statement = visit.statement
    if statement.kind not in ("set", "sql"):
        return

    match = _SYSTEM_VARIABLE.match(statement.text)
    if match is None:
        return
    name = match.group("name")
    visit.lint.report(
        "session-setting",
        visit.base + match.start("name"),
        f"SET {name} changes the session the whole migration runs in (and the ledger write "
        "with it): configure the target instead, or qualify names with placeholders",
    )


def check_shadowing(visit: StatementVisit) -> None:
    """A variable named like a column of a table the statement reads: the column wins."""
    variables = visit.scope.variables
    if not variables or not visit.columns:
        return

    candidates = [
        column
        for column in visit.columns
        if not column.table
        and isinstance(column.this, exp.Identifier)
        and column.name.lower() in variables
    ]
    if not candidates:
        return

    qualified = {column.name.lower() for column in visit.columns if column.table}
    known = _columns_of_read_tables(visit)
    reported: set[str] = set()
    for column in candidates:
        name = column.name.lower()
        if name in reported or _in_values(column) or _assigned(column) or _inserted(column):
            continue

        if name in qualified:
            why = f"the statement also reads a column `{name}` through a table alias"
        elif name in known:
            why = f"`{known[name]}` has a column `{name}`"
        else:
            continue
        reported.add(name)
        visit.report(
            "variable-shadows-column",
            column,
            f"variable `{column.name}` has the name of a column and {why}, so here `{name}` "
            "means the column, not the variable: rename the variable (e.g. `v_" + name + "`)",
        )


def _columns_of_read_tables(visit: StatementVisit) -> dict[str, str]:
    """Column name to table name, for the tables of the statement whose columns are known."""
    knowledge = visit.lint.knowledge
    columns: dict[str, str] = {}
    for _table, reference in visit.tables:
        if not reference.qualified and reference.name.lower() in visit.lint.temp_tables:
            key = f"temp.{reference.name}".lower()
        else:
            key = reference.key().lower()
        schema = knowledge.tables.get(key)
        if schema is not None:
            for name in schema.columns:
                columns.setdefault(name, reference.name)
    return columns


def _assigned(column: exp.Expression) -> bool:
    """The target of `SET column = ...` in UPDATE is always a column."""
    parent = column.parent
    return (
        isinstance(parent, exp.EQ)
        and parent.this is column
        and isinstance(parent.parent, exp.Update)
    )


def _inserted(column: exp.Expression) -> bool:
    """The column list of MERGE's `INSERT (a, b)` names target columns, never variables."""
    parent = column.parent
    return (
        isinstance(parent, exp.Tuple)
        and isinstance(parent.parent, exp.Insert)
        and parent.arg_key == "this"
    )


def _in_values(column: exp.Expression) -> bool:
    """Inside INSERT ... VALUES no table is in scope, so a bare name is the variable (MERGE's
    VALUES still sees the source table)."""
    in_values = False
    parent = column.parent
    while parent is not None:
        if isinstance(parent, exp.Values):
            in_values = True
        elif isinstance(parent, exp.Merge):
            return False
        parent = parent.parent
    return in_values
