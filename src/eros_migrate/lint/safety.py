"""Rules on what a statement does to stored data: destructive-statement, not-idempotent."""

from __future__ import annotations

import re

from sqlglot import exp

from eros_migrate.lint.context import StatementVisit
from eros_migrate.lint.walk import Checks

# Kinds whose DROP loses data; views and routines hold none and are re-created from SQL.
_DATA_KINDS = frozenset({"TABLE", "SCHEMA"})
_PROCEDURE = re.compile(
    r"^\s*CREATE\s+(?P<replace>OR\s+REPLACE\s+)?(?P<temp>TEMP(?:ORARY)?\s+)?PROCEDURE\s+"
    r"(?P<exists>IF\s+NOT\s+EXISTS\s+)?",
    re.IGNORECASE,
)
_DROP_TABLE_FUNCTION = re.compile(
    r"^\s*DROP\s+TABLE\s+FUNCTION\s+(?P<exists>IF\s+EXISTS\s+)?", re.IGNORECASE
)


def register(checks: Checks) -> None:
    checks.root.append(check_root)
    checks.statement.append(check_text_statement)


def check_root(root: exp.Expression, visit: StatementVisit) -> None:
    if isinstance(root, exp.Create):
        _check_create(root, visit)
    elif isinstance(root, exp.Drop):
        _check_drop(root, visit)
    elif isinstance(root, exp.TruncateTable):
        _destructive(visit, root, "TRUNCATE TABLE deletes every row")
    elif isinstance(root, exp.Delete | exp.Update):
        where = root.args.get("where")
        if where is None or _always_true(where.this):
            verb = "DELETE" if isinstance(root, exp.Delete) else "UPDATE"
            _destructive(visit, root, f"{verb} without a real WHERE changes every row")
    elif isinstance(root, exp.Alter):
        _check_alter(root, visit)


def check_text_statement(visit: StatementVisit) -> None:
    """Statements judged from their text: CREATE PROCEDURE, and DROP TABLE FUNCTION, which
    sqlglot does not parse."""
    statement = visit.statement
    if statement.kind == "sql" and statement.expression is None:
        drop = _DROP_TABLE_FUNCTION.match(statement.text)
        if drop is not None and not drop.group("exists"):
            visit.lint.report(
                "not-idempotent",
                visit.base,
                "DROP TABLE FUNCTION fails when the function is already gone: "
                "write DROP TABLE FUNCTION IF EXISTS",
            )
        return
    if statement.kind != "create_procedure":
        return

    match = _PROCEDURE.match(statement.text)
    if match and not (match.group("replace") or match.group("temp") or match.group("exists")):
        visit.lint.report(
            "not-idempotent",
            visit.base,
            "CREATE PROCEDURE fails when the procedure exists: write CREATE OR REPLACE PROCEDURE",
        )


def is_temporary(root: exp.Create | exp.Drop, temp_tables: set[str]) -> bool:
    """TEMP objects live for one script; they hold nothing a migration must protect."""
    if isinstance(root, exp.Drop):
        if root.args.get("temporary"):
            return True
        table = root.this
        return isinstance(table, exp.Table) and not table.db and table.name.lower() in temp_tables

    properties = root.args.get("properties")
    return properties is not None and any(
        isinstance(prop, exp.TemporaryProperty) for prop in properties.expressions
    )


def _check_create(root: exp.Create, visit: StatementVisit) -> None:
    if is_temporary(root, visit.lint.temp_tables):
        return

    kind = str(root.args.get("kind") or "").upper()
    if kind == "TABLE" and root.args.get("replace"):
        _destructive(visit, root, "CREATE OR REPLACE TABLE replaces the table and its rows")
    if not root.args.get("replace") and not root.args.get("exists"):
        fix = "IF NOT EXISTS" if kind in _DATA_KINDS else "OR REPLACE (or IF NOT EXISTS)"
        visit.lint.report(
            "not-idempotent",
            visit.base,
            f"CREATE {kind} fails when the object exists, so a retried migration stops here: "
            f"add {fix}",
        )


def _check_drop(root: exp.Drop, visit: StatementVisit) -> None:
    if is_temporary(root, visit.lint.temp_tables):
        return

    kind = str(root.args.get("kind") or "").upper()
    if kind in _DATA_KINDS:
        _destructive(visit, root, f"DROP {kind} deletes its data")
    if not root.args.get("exists"):
        visit.lint.report(
            "not-idempotent",
            visit.base,
            f"DROP {kind} fails when the object is already gone: write DROP {kind} IF EXISTS",
        )


def _check_alter(root: exp.Alter, visit: StatementVisit) -> None:
    for action in root.args.get("actions") or ():
        if isinstance(action, exp.Drop) and str(action.args.get("kind")).upper() == "COLUMN":
            _destructive(visit, action.this, f"DROP COLUMN {action.this.name} deletes its data")
            if not action.args.get("exists"):
                visit.report(
                    "not-idempotent",
                    action.this,
                    f"DROP COLUMN {action.this.name} fails when the column is already gone: "
                    "write DROP COLUMN IF EXISTS",
                )
        elif isinstance(action, exp.ColumnDef) and not action.args.get("exists"):
            visit.report(
                "not-idempotent",
                action,
                f"ADD COLUMN {action.name} fails when the column exists: "
                "write ADD COLUMN IF NOT EXISTS",
            )


def _destructive(visit: StatementVisit, node: exp.Expression, what: str) -> None:
    lint = visit.lint
    if lint.direction == "down" or visit.scope.in_procedure:
        return
    if lint.allows_destructive(visit.statement.line):
        return

    offset = visit.base if node is visit.root else visit.offset_of(node)
    lint.report(
        "destructive-statement",
        offset,
        f"{what}: if that is intended, put `-- eros-migrate: allow destructive: <reason>` "
        "on the line before the statement",
    )


def _always_true(condition: exp.Expression) -> bool:
    while isinstance(condition, exp.Paren):
        condition = condition.this
    if isinstance(condition, exp.Boolean):
        return bool(condition.this)
    if isinstance(condition, exp.EQ):
        left, right = condition.this, condition.expression
        return isinstance(left, exp.Literal) and left == right
    return False
