"""Walk migration files statement by statement and analyse each one against the catalog.

Top-level statements run as BigQuery would run the file: DDL changes the catalog for the
statements after it. A procedure is registered from its header (parameters and types) and its
body is then analysed statement by statement with the parameters and DECLAREd variables in
scope; DDL inside a body changes the catalog only until the end of that body, because it runs
when the procedure is called, not when it is created.

What GoogleSQL cannot analyse (syntax it lacks, objects outside the target dataset, an
internal abort) becomes a `check-unsupported` warning, never an error.
"""

from __future__ import annotations

import logging
import re

from zetasql.wasi._pb2.zetasql.public import type_pb2
from zetasql.wasi._pb2.zetasql.resolved_ast.resolved_ast_pb2 import AnyResolvedStatementProto

from eros_migrate.check.analyzer import AnalysisError, AnalyzerCrashed
from eros_migrate.check.catalog import Catalog, Routine, catalog_signature
from eros_migrate.check.learn import RULE, Learner
from eros_migrate.check.positions import Text, query_column_position
from eros_migrate.check.scope import (
    SIMPLE_TYPES,
    STRING,
    SYSTEM_VARIABLES,
    fits,
    scalar,
    struct,
    type_name,
)
from eros_migrate.check.session import Session
from eros_migrate.errors import ScriptSyntaxError
from eros_migrate.findings import Finding, Severity
from eros_migrate.lint.source import Source, find_markers, render
from eros_migrate.script import Fragment, Statement, split_statements

log = logging.getLogger(__name__)

UNSUPPORTED = "check-unsupported"

_NOT_FOUND = re.compile(
    r"^(Table|Function|Procedure|Table-valued function) not found: (?P<name>.+?)(?:;|$)"
)
_UNSUPPORTED_WORDS = ("not supported", "unsupported", "not implemented")
# The object a CREATE or DROP defines; the statement does not read its earlier state.
_DEFINES = re.compile(
    r"^(?P<verb>CREATE|DROP)\b(?:\s+OR\s+REPLACE)?(?:\s+(?:TEMP|TEMPORARY))?"
    r"(?:\s+(?:MATERIALIZED|EXTERNAL|SNAPSHOT|AGGREGATE|TABLE(?=\s+FUNCTION)))*"
    r"\s+(?:TABLE|VIEW|FUNCTION|PROCEDURE|SCHEMA)\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?"
    r"(?P<name>`[^`]+`|[\w.\-]+)",
    re.IGNORECASE,
)
# Statements that usually hold no expression, so the catalog without builtins serves them.
_PLAIN_DDL = re.compile(
    r"^(?:ALTER\s+TABLE|DROP|CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP\w*\s+)?TABLE)\b",
    re.IGNORECASE,
)
_QUERY_BODY = re.compile(r"\bAS\s*\(?\s*(?:SELECT|WITH)\b", re.IGNORECASE)
# A DROP that needs no analysis: its effect is all check needs from it.
_DROP = re.compile(
    r"^DROP\s+(?P<what>TABLE|VIEW|MATERIALIZED\s+VIEW|FUNCTION|PROCEDURE|TABLE\s+FUNCTION)"
    r"\s+(?P<if_exists>IF\s+EXISTS\s+)?(?P<name>`[^`]+`|[\w.\-]+)\s*$",
    re.IGNORECASE,
)


def _fragment_text(fragment: Fragment, prefix: str = "", suffix: str = "") -> Text:
    return Text(fragment.text, fragment.line, fragment.column, prefix, suffix)


def _statement_text(statement: Statement) -> Text:
    return Text(statement.text, statement.line, statement.column)


class FileChecker:
    """Checks the files of one chain in order against one evolving catalog."""

    def __init__(self, session: Session, catalog: Catalog, values: dict[str, str]) -> None:
        self.session = session
        self.catalog = catalog
        self.values = values
        self.findings: list[Finding] = []
        self.source: Source | None = None
        self._system = dict(SYSTEM_VARIABLES)
        self.learner = Learner(catalog, self._report, self._where)
        # Depth of procedure bodies being analysed: their IFs keep every path.
        self._procedures = 0

    # Entry point

    def check_file(self, text: str, file: str) -> list[Finding]:
        """Analyse every statement of one file; the catalog keeps what the file creates."""
        source, problems = render(text, self.values, file)
        if problems:
            # Unknown placeholders are lint's to report; without them nothing is checkable.
            return [self._skipped(file, problems[0].line, "it has an unknown placeholder")]

        try:
            statements = split_statements(source.rendered, file)
        except ScriptSyntaxError as error:
            return [self._skipped(file, error.line or 1, f"it does not split ({error.message})")]

        self.source = source
        self.findings = []
        self.catalog.notice_spellings(source.rendered)
        self.catalog.push_scope()
        try:
            self._walk(statements)
        finally:
            self.catalog.pop_scope()
            self.catalog.clear_temporary()
        return self._unsuppressed(source)

    def _skipped(self, file: str, line: int, why: str) -> Finding:
        return Finding(
            file, line, 1, UNSUPPORTED, "warning", f"check skipped this file: {why}; run lint"
        )

    def _unsuppressed(self, source: Source) -> list[Finding]:
        markers, _problems = find_markers(source)
        return sorted(
            finding
            for finding in self.findings
            if not any(
                marker.covers_line(finding.line) and marker.ignores(finding.rule)
                for marker in markers
            )
        )

    # Findings

    def _report(
        self, piece: Text, severity: Severity, rule: str, message: str,
        line: int | None = None, column: int | None = None,
    ) -> None:
        assert self.source is not None
        rendered_line, rendered_column = piece.position(line, column)
        original = self.source.map_position(rendered_line, rendered_column)
        self.findings.append(
            Finding(self.source.file, original[0], original[1], rule, severity, message)
        )

    def _failed(self, piece: Text, error: AnalysisError | AnalyzerCrashed) -> None:
        if isinstance(error, AnalyzerCrashed):
            log.debug("analyzer aborted on %r: %s", piece.sql[:200], error)
            self._report(
                piece, "warning", UNSUPPORTED,
                f"GoogleSQL's analyzer aborted on this statement ({error}); it was not checked",
            )
            return

        message = self._readable(error.message)
        lowered = message.lower()
        if lowered.startswith("syntax error"):
            self._report(
                piece, "warning", UNSUPPORTED,
                f"GoogleSQL cannot parse this ({message}); it was not checked",
                error.line, error.column,
            )
            return
        if any(word in lowered for word in _UNSUPPORTED_WORDS):
            self._report(
                piece, "warning", UNSUPPORTED,
                f"GoogleSQL does not support this ({message}); it was not checked",
                error.line, error.column,
            )
            return

        missing = _NOT_FOUND.match(message)
        if missing is not None:
            what, name = missing.group(1), missing["name"].strip("`")
            key = self.catalog.path(name.split("."))
            if (what == "Function" and len(key) < 3) or "*" in name:
                # A builtin BigQuery has and GoogleSQL lacks, or a wildcard table: unknown
                # here, which is not the same as wrong.
                self._report(
                    piece, "warning", UNSUPPORTED,
                    f"{message}; GoogleSQL does not know it, so check cannot tell whether "
                    "BigQuery does; it was not checked",
                    error.line, error.column,
                )
                return
            if len(key) > 3 or (len(key) == 3 and not self.catalog.in_target(key)):
                self._report(
                    piece, "warning", UNSUPPORTED,
                    f"{name} is outside the target dataset {self.catalog.project}."
                    f"{self.catalog.dataset}, so check cannot see it; it was not checked",
                    error.line, error.column,
                )
                return
        if self.catalog.mentions_opaque(message):
            self._report(
                piece, "warning", UNSUPPORTED,
                f"{message}; it involves an object check does not model, so it was not checked",
                error.line, error.column,
            )
            return

        line, column = query_column_position(piece.sql, message, error.line, error.column)
        self._report(piece, "error", RULE, message, line, column)

    def _readable(self, message: str) -> str:
        """One line, and routine names as BigQuery spells them rather than upper-cased."""
        message = re.sub(r"\s*\n\s*", "; ", message.strip())
        message = message.replace(";;", ";")

        def lower(match: re.Match[str]) -> str:
            return match.group(1).lower()

        return re.sub(r"\b(?:UDF:)?([A-Z][A-Z0-9_\-]*(?:\.[A-Z0-9_\-]+)+)(?=\W|$)", lower, message)

    def _analyze(
        self,
        piece: Text,
        system: dict[str, type_pb2.TypeProto] | None = None,
        *,
        reads_catalog: bool = True,
        plain: bool = False,
    ) -> AnyResolvedStatementProto | None:
        sql = piece.sql
        system = system or self._system
        if plain or (_PLAIN_DDL.match(piece.text) and not _QUERY_BODY.search(piece.text)):
            # Any error, even a missing operator, is looked at again with the builtins.
            try:
                return self.session.analyze(sql, self.catalog.plain_for(sql), system)
            except AnalysisError:
                pass
            except AnalyzerCrashed as error:
                self._failed(piece, error)
                return None

        defines = _DEFINES.match(piece.text)
        try:
            if not reads_catalog or (defines is not None and defines["verb"].upper() == "DROP"):
                registration = self.catalog.registered()
            else:
                own = defines["name"].strip("`").split(".")[-1] if defines else None
                registration = self.catalog.registered_for(piece.text, ignore=own)
            return self.session.analyze(sql, registration, system)
        except (AnalysisError, AnalyzerCrashed) as error:
            self._failed(piece, error)
            return None

    def _expression_type(self, piece: Text) -> type_pb2.TypeProto | None:
        """The type of an expression, analysed as `SELECT (expression)`."""
        wrapped = Text(piece.text, piece.line, piece.column, "SELECT (", "\n)")
        resolved = self._analyze(wrapped)
        if resolved is None:
            return None
        outputs = resolved.resolved_query_stmt_node.output_column_list
        return outputs[0].column.type if outputs else None

    # Statements

    def _walk(self, statements: list[Statement]) -> None:
        for statement in statements:
            self._statement(statement)

    def _statement(self, statement: Statement) -> None:
        kind = statement.kind
        if kind in ("sql", "export", "assert", "call"):
            self._sql(statement)
        elif kind == "create_procedure":
            self._procedure(statement)
        elif kind == "declare":
            self._declare(statement)
        elif kind == "set":
            self._set(statement)
        elif kind in ("if", "case", "while", "repeat"):
            self._conditional(statement)
        elif kind == "for":
            self._for(statement)
        elif kind == "block":
            self._block(statement.body, statement.handler)
        elif kind == "loop":
            self._alternatives([statement.body])
        elif kind in ("raise", "execute_immediate"):
            for fragment in statement.fragments:
                if fragment.role in ("message", "sql"):
                    self._expression_type(_fragment_text(fragment))
                elif fragment.role == "using":
                    self._analyze(_fragment_text(fragment, "SELECT "))
        # RETURN, BREAK, CONTINUE and transaction control have nothing to analyse.

    def _sql(self, statement: Statement) -> None:
        piece = _statement_text(statement)
        drop = _DROP.match(piece.text)
        if drop is not None:
            what = " ".join(drop["what"].upper().split())
            name_path = drop["name"].strip("`").split(".")
            self.learner.learn_drop(what, name_path, drop["if_exists"] is not None, piece)
            return

        resolved = self._analyze(piece)
        if resolved is not None:
            self.learner.learn(resolved, piece)
            return

        # A CREATE that could not be analysed still creates its object: later statements
        # that use it are not checked rather than reported as using a missing object.
        defines = _DEFINES.match(piece.text)
        if defines is not None and defines["verb"].upper() == "CREATE":
            key = self.catalog.path(defines["name"].strip("`").split("."))
            if self.catalog.relation(key) is None and self.catalog.routine(key) is None:
                self.catalog.put_opaque(key, "unanalysed")

    def _block(self, body: list[Statement], handler: list[Statement]) -> None:
        before = self.catalog.checkpoint() if handler else None
        self.catalog.push_scope()
        try:
            self._predeclare(body)
            self._walk(body)
        finally:
            self.catalog.pop_scope()

        if before is not None:
            # The handler runs after some statement of the body failed: the objects of the
            # body's start and of its end may both exist.
            self.catalog.merge(before)
            self.catalog.push_scope()
            try:
                self._walk(handler)
            finally:
                self.catalog.pop_scope()

    def _predeclare(self, body: list[Statement]) -> None:
        """Declare the simply typed variables of the DECLAREs that open a block at once.

        Their DECLAREs declare them again with the same types; doing it up front means one
        catalog for the block instead of a new one after each DECLARE.
        """
        for statement in body:
            if statement.kind != "declare":
                return
            kind = next(
                (
                    SIMPLE_TYPES.get(fragment.text.strip().upper())
                    for fragment in statement.fragments
                    if fragment.role == "type"
                ),
                None,
            )
            if kind is not None:
                for name in statement.names:
                    self.catalog.declare(name.strip("`"), scalar(kind))

    def _alternatives(self, bodies: list[list[Statement]], *, follow_first: bool = False) -> None:
        """Bodies of which at most one runs: IF or CASE branches, or a loop body.

        Each starts from the state before them; afterwards the objects of every path
        (running none of them included) may exist, so the catalog keeps them all. With
        `follow_first`, the state after them is the first body's: a migration's own IF guards
        make a re-run safe, and on the first run, the one this check follows, they hold.
        """
        start = self.catalog.checkpoint()
        outcomes = []
        for body in bodies:
            self.catalog.reset(start)
            self._block(body, [])
            outcomes.append(self.catalog.checkpoint())

        if follow_first and outcomes:
            self.catalog.reset(outcomes[0])
            return
        self.catalog.reset(start)
        for outcome in outcomes:
            self.catalog.merge(outcome)

    def _conditional(self, statement: Statement) -> None:
        construct = statement.text.split(None, 1)[0].upper()
        for fragment in statement.fragments:
            piece = _fragment_text(fragment)
            if fragment.role == "condition":
                kind = self._expression_type(piece)
                if kind is not None and kind.type_kind != type_pb2.TYPE_BOOL:
                    self._report(
                        piece, "error", RULE,
                        f"the condition of {construct} has type {type_name(kind)}; "
                        "BigQuery needs BOOL",
                    )
            elif fragment.role in ("operand", "value"):
                self._expression_type(piece)

        # In a migration (not a procedure body) an IF's first branch is the path of a first run.
        first_run = statement.kind == "if" and self._procedures == 0
        self._alternatives(
            [statement.body, *(branch.body for branch in statement.branches)],
            follow_first=first_run,
        )

    def _for(self, statement: Statement) -> None:
        variable: type_pb2.TypeProto | None = None
        for fragment in statement.fragments:
            if fragment.role == "query":
                resolved = self._analyze(_fragment_text(fragment))
                if resolved is not None:
                    outputs = resolved.resolved_query_stmt_node.output_column_list
                    variable = struct((output.name, output.column.type) for output in outputs)

        self.catalog.push_scope()
        try:
            if statement.names and variable is not None:
                self.catalog.declare(statement.names[0], variable)
            self._alternatives([statement.body])
        finally:
            self.catalog.pop_scope()

    def _declare(self, statement: Statement) -> None:
        declared: type_pb2.TypeProto | None = None
        default: Fragment | None = None
        for fragment in statement.fragments:
            if fragment.role == "type":
                declared = self._declared_type(fragment)
            elif fragment.role == "default":
                default = fragment

        if default is not None:
            if declared is not None and fits(declared, default.text):
                pass
            elif declared is not None and statement.names:
                self._assignable(statement.names[0], declared, _fragment_text(default))
            elif declared is None:
                declared = self._expression_type(_fragment_text(default))

        for name in statement.names:
            # An unknown type still declares the name, so later statements do not report it.
            self.catalog.declare(name.strip("`"), declared or STRING)

    def _declared_type(self, fragment: Fragment) -> type_pb2.TypeProto | None:
        simple = SIMPLE_TYPES.get(fragment.text.strip().upper())
        if simple is not None:
            return scalar(simple)

        piece = _fragment_text(fragment, "SELECT CAST(NULL AS ", ")")
        resolved = self._analyze(piece, plain=True)
        if resolved is None:
            return None
        outputs = resolved.resolved_query_stmt_node.output_column_list
        return outputs[0].column.type if outputs else None

    def _assignable(self, name: str, kind: type_pb2.TypeProto, value: Text) -> None:
        """Check `value` against a variable's type the way SET assigns, as a system variable."""
        target = name.strip("`")
        piece = Text(value.text, value.line, value.column, f"SET @@{target} = ")
        system = dict(self._system)
        system[target] = kind
        self._analyze(piece, system)

    def _set(self, statement: Statement) -> None:
        value = next((f for f in statement.fragments if f.role == "value"), None)
        if value is None:
            return

        target = statement.text[3:].lstrip()
        if target.startswith("@@"):
            self._analyze(_statement_text(statement))
            return
        if target.startswith("(") or len(statement.names) != 1:
            self._expression_type(_fragment_text(value))
            return

        name = statement.names[0]
        kind = self.catalog.variable(name.strip("`"))
        if kind is None:
            self._report(
                _statement_text(statement), "error", RULE,
                f"SET assigns to {name}, which is not a declared variable or parameter here",
            )
            self._expression_type(_fragment_text(value))
            return
        self._assignable(name, kind, _fragment_text(value))

    def _procedure(self, statement: Statement) -> None:
        header = Text(_procedure_header(statement.text), statement.line, statement.column)
        resolved = self._analyze(header, plain=True)
        parameters: dict[str, type_pb2.TypeProto] = {}
        if resolved is not None:
            node = resolved.resolved_create_statement_node.resolved_create_procedure_stmt_node
            key = self.catalog.path(node.parent.name_path)
            if self.learner.creatable(key, node.parent.create_mode, "procedure", header):
                signature = catalog_signature(node.signature, True)
                self.catalog.put_routine(
                    key, Routine("procedure", signature, self._where(header))
                )
            arguments = node.signature.argument
            for name, argument in zip(node.argument_name_list, arguments, strict=False):
                parameters[name.lower()] = argument.type

        saved = self.catalog.snapshot()
        temporary = dict(self.catalog.temporary)
        self.catalog.push_scope(parameters)
        self._procedures += 1
        try:
            self._block(statement.body, statement.handler)
        finally:
            self._procedures -= 1
            self.catalog.pop_scope()
            self.catalog.restore(saved)
            self.catalog.clear_temporary()
            self.catalog.temporary.update(temporary)

    # Catalog changes


    def _where(self, piece: Text) -> str:
        assert self.source is not None
        line, _column = self.source.map_position(piece.line, piece.column)
        return f"{self.source.file}:{line}"


def _procedure_header(text: str) -> str:
    """CREATE PROCEDURE text with its body emptied: `... (parameters) [OPTIONS(...)] BEGIN END`.

    The body is analysed statement by statement instead, so that each finding points at its
    own statement and syntax GoogleSQL lacks in one statement does not hide the others.
    """
    depth = 0
    seen_parameters = False
    for match in _HEADER_TOKEN.finditer(text):
        token = match.group()
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
            seen_parameters = seen_parameters or depth == 0
        elif depth == 0 and seen_parameters and token.upper() == "BEGIN":
            return text[: match.start()] + "BEGIN\nEND"
    return text


_HEADER_TOKEN = re.compile(
    r"""'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`"""
    r"""|--[^\n]*|\#[^\n]*|/\*.*?\*/|[()]|\b[A-Za-z_]\w*\b""",
    re.DOTALL,
)
