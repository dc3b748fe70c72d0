"""One pass over a file's statements: scopes, then one walk per statement tree for all rules."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from eros_migrate.lint.context import (
    FileLint,
    NodeCheck,
    Scope,
    StatementVisit,
    VisitCheck,
)
from eros_migrate.lint.names import (
    FUNCTION_NAMESPACES,
    dotted_names,
    split_parts,
    table_reference,
)
from eros_migrate.script import Fragment, Statement

_DECLARE = re.compile(
    r"^\s*DECLARE\s+(?P<names>`?\w+`?(?:\s*,\s*`?\w+`?)*)(?P<rest>.*)$", re.IGNORECASE | re.DOTALL
)


@dataclass
class Checks:
    """The checks of the active rules, grouped by when they run."""

    statement: list[VisitCheck] = field(default_factory=list)
    root: list[NodeCheck] = field(default_factory=list)
    node: dict[type[exp.Expression], list[NodeCheck]] = field(default_factory=dict)
    finish: list[VisitCheck] = field(default_factory=list)

    def on(self, node_type: type[exp.Expression], check: NodeCheck) -> None:
        self.node.setdefault(node_type, []).append(check)


def check_statements(
    lint: FileLint,
    statements: list[Statement],
    scope: Scope,
    checks: Checks,
    *,
    block: bool = True,
    on_statement: Callable[[StatementVisit], None] | None = None,
) -> None:
    """Lint statements in order; `block` says whether DECLAREs may open this list."""
    declarations_open = block
    for statement in statements:
        if statement.kind == "declare":
            if not declarations_open:
                lint.report_at(
                    "declare-position",
                    *lint.source.map_position(statement.line, statement.column),
                    "DECLARE after other statements: BigQuery accepts DECLARE only at the start "
                    "of a script, a BEGIN block or a procedure body; move it up",
                )
            declare(statement, scope)
        else:
            declarations_open = False

        visit = check_statement(lint, statement, scope, checks)
        if on_statement is not None:
            on_statement(visit)

        if statement.kind == "create_procedure":
            inner = Scope(procedure_parameters(statement), in_procedure=True)
            check_statements(lint, statement.body, inner, checks, on_statement=on_statement)
            nested = [(statement.handler, inner.child())]
        elif statement.kind == "block":
            inner = scope.child()
            check_statements(lint, statement.body, inner, checks, on_statement=on_statement)
            nested = [(statement.handler, inner.child())]
        else:
            # IF, CASE and loop bodies are not blocks: BigQuery refuses a DECLARE in them.
            nested = [(statement.body, scope.child())]
            nested += [(branch.body, scope.child()) for branch in statement.branches]
            nested.append((statement.handler, scope.child()))
        for body, body_scope in nested:
            if body:
                check_statements(
                    lint, body, body_scope, checks, block=False, on_statement=on_statement
                )


def check_statement(
    lint: FileLint, statement: Statement, scope: Scope, checks: Checks
) -> StatementVisit:
    visit = StatementVisit(lint, statement, scope)
    for statement_check in checks.statement:
        statement_check(visit)

    root = statement.expression
    if root is not None and not isinstance(root, exp.Command):
        visit.root = root
        _prepare(root, visit)
        for root_check in checks.root:
            root_check(root, visit)
        _walk(root, visit, checks)

    for fragment in statement.fragments:
        tree = fragment.expression
        if tree is not None and not isinstance(tree, exp.Command | exp.DataType):
            visit.add_tree(tree, _fragment_offset(lint, fragment))
            _walk(tree, visit, checks)

    for finish in checks.finish:
        finish(visit)
    return visit


def declare(statement: Statement, scope: Scope) -> list[str]:
    """Add a DECLARE's variables to the scope, with their type when it can be read."""
    names = [name.strip("`").lower() for name in statement.names]
    kind = ""
    for fragment in statement.fragments:
        if fragment.role == "type":
            kind = " ".join(fragment.text.upper().split())
        elif (
            fragment.role == "default"
            and not kind
            and isinstance(fragment.expression, exp.CurrentTimestamp)
        ):
            kind = "TIMESTAMP"

    if not names:
        match = _DECLARE.match(statement.text)
        if match is not None:
            names = [name.strip().strip("`").lower() for name in match["names"].split(",")]
    for name in names:
        scope.variables[name] = kind
    return names


def procedure_parameters(statement: Statement) -> dict[str, str]:
    """Parameters of a CREATE PROCEDURE (IN, OUT, INOUT): lower name to type."""
    return {
        fragment.name.strip("`").lower(): " ".join(fragment.text.upper().split())
        for fragment in statement.fragments
        if fragment.role == "parameter" and fragment.name
    }


def _fragment_offset(lint: FileLint, fragment: Fragment) -> int:
    """Where the text sqlglot parsed for a fragment starts in the rendered file."""
    offset = lint.source.rendered_offset(fragment.line, fragment.column)
    if fragment.role == "using":
        # Parsed as `SELECT <list>`.
        return offset - len("SELECT ")
    if fragment.role == "sql" and not isinstance(fragment.expression, exp.Literal):
        # EXECUTE IMMEDIATE of a string literal: the statement inside the quotes was parsed.
        text = fragment.text
        unprefixed = text.lstrip("rR")
        quote = 3 if unprefixed[:3] in ("'''", '"""') else 1
        return offset + len(text) - len(unprefixed) + quote
    return offset


def _prepare(root: exp.Expression, visit: StatementVisit) -> None:
    """Note what the walk must treat specially before it starts."""
    if isinstance(root, exp.Create | exp.Drop):
        kind = str(root.args.get("kind") or "").upper()
        if kind == "SCHEMA" and isinstance(root.this, exp.Table):
            # A schema's name is a dataset, not a table; the reference rules judge it apart.
            visit.skipped.add(id(root.this))
        if isinstance(root, exp.Create) and kind == "VIEW":
            visit.in_view = True


def _walk(tree: exp.Expression, visit: StatementVisit, checks: Checks) -> None:
    dispatch = checks.node
    for node in tree.walk():
        if not isinstance(node, exp.Expression):
            continue
        node_type = type(node)
        _collect(node, node_type, visit)
        node_checks = dispatch.get(node_type)
        if node_checks:
            for check in node_checks:
                check(node, visit)


def _collect(node: exp.Expression, node_type: type[exp.Expression], visit: StatementVisit) -> None:
    """Gather the names rules judge once the whole statement has been seen."""
    if node_type is exp.Column:
        visit.columns.append(node)  # type: ignore[arg-type]
    elif node_type is exp.Table:
        if id(node) not in visit.skipped:
            reference = table_reference(node)  # type: ignore[arg-type]
            if reference is not None:
                visit.tables.append((node, reference))  # type: ignore[arg-type]
    elif node_type is exp.TableAlias:
        alias = node.name
        if alias:
            visit.aliases.add(alias.lower())
        for column in node.args.get("columns") or ():
            visit.aliases.add(column.name.lower())
    elif node_type is exp.CTE:
        visit.ctes.add(node.alias_or_name.lower())
    elif node_type is exp.Anonymous:
        parent = node.parent
        if isinstance(parent, exp.Dot) and parent.expression is node:
            return
        if isinstance(parent, exp.Table):
            return
        reference = split_parts([node.name])
        if reference is not None:
            visit.routines.append((node, reference))
    elif node_type is exp.Dot:
        call = node.expression
        if isinstance(call, exp.Anonymous):
            qualifier = dotted_names(node.this)
            if qualifier and qualifier[0].lower() not in FUNCTION_NAMESPACES:
                reference = split_parts([*qualifier, call.name])
                if reference is not None:
                    visit.routines.append((node, reference))
