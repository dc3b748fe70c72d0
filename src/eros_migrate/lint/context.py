"""What rules see: the file being linted, the scope of a statement, and one statement's walk."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from eros_migrate.findings import Finding
from eros_migrate.lint.names import Reference
from eros_migrate.lint.rules import RuleSelection
from eros_migrate.lint.source import Marker, Source
from eros_migrate.script import Statement

TIMESTAMP_TYPES = frozenset({"TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMPLTZ", "TIMESTAMPNTZ"})


@dataclass
class TableSchema:
    """Columns of a table created somewhere in the linted files: lower-case name to type."""

    columns: dict[str, str] = field(default_factory=dict)


@dataclass
class Knowledge:
    """What the linted files declare, shared by every file of one lint run."""

    tables: dict[str, TableSchema] = field(default_factory=dict)
    timestamp_columns: set[str] = field(default_factory=set)

    def add_table(self, key: str, columns: dict[str, str]) -> None:
        schema = self.tables.setdefault(key.lower(), TableSchema())
        schema.columns.update(columns)
        self.timestamp_columns.update(
            name for name, kind in columns.items() if kind in TIMESTAMP_TYPES
        )


@dataclass
class Scope:
    """Script variables and procedure parameters visible to a statement: lower name to type."""

    variables: dict[str, str] = field(default_factory=dict)
    # Statements of a procedure body run when the procedure is called, not when the migration
    # is applied.
    in_procedure: bool = False

    def child(self) -> Scope:
        return Scope(dict(self.variables), self.in_procedure)


@dataclass
class FileLint:
    """One file under lint: where findings go and what the whole file declares."""

    source: Source
    direction: str | None
    selection: RuleSelection
    time_zone: str
    knowledge: Knowledge
    markers: list[Marker] = field(default_factory=list)
    temp_tables: set[str] = field(default_factory=set)
    temp_functions: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)

    @property
    def file(self) -> str:
        return self.source.file

    def active(self, rule: str) -> bool:
        return self.selection.active(rule)

    def report(self, rule: str, rendered_offset: int, message: str) -> None:
        line, column = self.source.position(rendered_offset)
        self.report_at(rule, line, column, message)

    def report_at(self, rule: str, line: int, column: int, message: str) -> None:
        """A finding at an original line and column, unless configuration or a marker says no."""
        if not self.selection.active(rule):
            return
        if any(marker.ignores(rule) and marker.covers_line(line) for marker in self.markers):
            return
        self.findings.append(
            Finding(self.file, line, column, rule, self.selection.severity(rule), message)
        )

    def allows_destructive(self, line: int) -> bool:
        """Whether the line before a statement holds an allow-destructive marker with a reason."""
        return any(
            marker.allow_destructive and marker.reason and marker.line == line - 1
            for marker in self.markers
        )


class StatementVisit:
    """One walk over one statement's trees: what it found, and where nodes are in the file."""

    def __init__(self, lint: FileLint, statement: Statement, scope: Scope) -> None:
        self.lint = lint
        self.statement = statement
        self.scope = scope
        self.base = _statement_offset(lint.source, statement)
        self.root: exp.Expression | None = None
        self.in_view = False

        # Filled by the collector during the walk, judged by rules when it ends.
        self.tables: list[tuple[exp.Table, Reference]] = []
        self.routines: list[tuple[exp.Expression, Reference]] = []
        self.columns: list[exp.Column] = []
        self.ctes: set[str] = set()
        self.aliases: set[str] = set()
        self.skipped: set[int] = set()
        # Where the text each parsed tree came from starts, for trees parsed from a fragment.
        self._bases: dict[int, int] = {}

    def add_tree(self, tree: exp.Expression, base: int) -> None:
        self._bases[id(tree)] = base

    def offset_of(self, node: exp.Expression) -> int:
        """The rendered offset where a node starts, or the statement's start if unknown."""
        start, length, token = _first_token(node)
        root: exp.Expr = node
        while root.parent is not None:
            root = root.parent
        base = self._bases.get(id(root), self.base)
        if start is None:
            return base

        absolute = base + start
        text = self.lint.source.rendered
        if token is not None and token.lower() not in text[absolute : absolute + length].lower():
            # The node was parsed from other text than the statement's (a condition, a
            # default): find its first token in the statement instead.
            found = _find_word(self.statement.text, token)
            return self.base + found if found >= 0 else self.base
        # sqlglot places a string literal after its opening quote.
        string = isinstance(node, exp.Literal) and node.is_string
        if string and absolute > 0 and text[absolute - 1] in "'\"":
            return absolute - 1
        return absolute

    def offset_of_keyword(self, node: exp.Expression, keyword: str) -> int:
        """The offset of the keyword that opens a node the parser kept no position for."""
        start = self.offset_of(node)
        text = self.lint.source.rendered
        found = text.upper().rfind(keyword, self.base, start + 1)
        return found if found >= 0 else start

    def report(self, rule: str, node: exp.Expression | None, message: str) -> None:
        offset = self.base if node is None else self.offset_of(node)
        self.lint.report(rule, offset, message)


StatementCheck = Callable[[FileLint, Statement, Scope], None]
NodeCheck = Callable[[exp.Expression, StatementVisit], None]
VisitCheck = Callable[[StatementVisit], None]


def _statement_offset(source: Source, statement: Statement) -> int:
    offset = source.rendered_offset(statement.line, statement.column)
    head = statement.text[:40]
    if not head or source.rendered.startswith(head, offset):
        return offset

    # Positions disagree with the text: trust the text, searched from the statement's line.
    line_start = source.rendered_offset(statement.line, 1)
    found = source.rendered.find(head, line_start)
    return found if found >= 0 else offset


def _first_token(node: exp.Expression) -> tuple[int | None, int, str | None]:
    """The earliest parser position inside a node: offset, length, and the text expected there."""
    best: tuple[int | None, int, str | None] = (None, 0, None)
    for child in node.walk():
        meta = child._meta
        if not meta or "start" not in meta:
            continue
        start = meta["start"]
        if start is None:
            continue
        if best[0] is None or start < best[0]:
            token = meta.get("name")
            if token is None and isinstance(child, exp.Identifier | exp.Literal):
                token = child.name.split(".")[0] if child.name else None
            end = meta.get("end")
            best = (start, end - start + 1 if isinstance(end, int) and end >= start else 1, token)
    return best


def _find_word(text: str, token: str) -> int:
    match = re.search(rf"(?<![\w`]){re.escape(token)}(?!\w)", text, re.IGNORECASE)
    return match.start() if match else -1
