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
from collections.abc import Iterable
from dataclasses import dataclass

from zetasql.wasi._pb2.zetasql.public import type_pb2
from zetasql.wasi._pb2.zetasql.resolved_ast.resolved_ast_enums_pb2 import (
    ResolvedCreateStatementEnums,
)
from zetasql.wasi._pb2.zetasql.resolved_ast.resolved_ast_pb2 import AnyResolvedStatementProto

from eros_migrate.check.analyzer import AnalysisError, AnalyzerCrashed
from eros_migrate.check.catalog import (
    Catalog,
    Column,
    Path,
    Relation,
    Routine,
    catalog_signature,
)
from eros_migrate.check.session import Session
from eros_migrate.errors import ScriptSyntaxError
from eros_migrate.findings import Finding, Severity
from eros_migrate.lint.source import Source, find_markers, render
from eros_migrate.script import Fragment, Statement, split_statements

log = logging.getLogger(__name__)

RULE = "check"
UNSUPPORTED = "check-unsupported"

_TAB = 8
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
# DECLARE defaults that obviously fit their type, by type kind.
_NUMBER = r"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?"
_FITTING_LITERALS = {
    type_pb2.TYPE_INT64: re.compile(r"^-?\d+$"),
    type_pb2.TYPE_DOUBLE: re.compile(rf"^{_NUMBER}$"),
    type_pb2.TYPE_NUMERIC: re.compile(rf"^{_NUMBER}$"),
    type_pb2.TYPE_BIGNUMERIC: re.compile(rf"^{_NUMBER}$"),
    type_pb2.TYPE_STRING: re.compile(r"""^(?:'[^'\\\n]*'|"[^"\\\n]*")$"""),
    type_pb2.TYPE_BOOL: re.compile(r"^(?:TRUE|FALSE)$", re.IGNORECASE),
}
# Type names that need no analysis, with BigQuery's aliases.
_SIMPLE_TYPES = {
    "INT64": type_pb2.TYPE_INT64,
    "INT": type_pb2.TYPE_INT64,
    "INTEGER": type_pb2.TYPE_INT64,
    "BIGINT": type_pb2.TYPE_INT64,
    "SMALLINT": type_pb2.TYPE_INT64,
    "TINYINT": type_pb2.TYPE_INT64,
    "BYTEINT": type_pb2.TYPE_INT64,
    "FLOAT64": type_pb2.TYPE_DOUBLE,
    "NUMERIC": type_pb2.TYPE_NUMERIC,
    "DECIMAL": type_pb2.TYPE_NUMERIC,
    "BIGNUMERIC": type_pb2.TYPE_BIGNUMERIC,
    "BIGDECIMAL": type_pb2.TYPE_BIGNUMERIC,
    "BOOL": type_pb2.TYPE_BOOL,
    "BOOLEAN": type_pb2.TYPE_BOOL,
    "STRING": type_pb2.TYPE_STRING,
    "BYTES": type_pb2.TYPE_BYTES,
    "DATE": type_pb2.TYPE_DATE,
    "DATETIME": type_pb2.TYPE_DATETIME,
    "TIME": type_pb2.TYPE_TIME,
    "TIMESTAMP": type_pb2.TYPE_TIMESTAMP,
    "JSON": type_pb2.TYPE_JSON,
    "INTERVAL": type_pb2.TYPE_INTERVAL,
    "GEOGRAPHY": type_pb2.TYPE_GEOGRAPHY,
}


def _struct(fields: Iterable[tuple[str, type_pb2.TypeProto]]) -> type_pb2.TypeProto:
    struct = type_pb2.StructTypeProto()
    for name, kind in fields:
        struct.field.add(field_name=name, field_type=kind)
    return type_pb2.TypeProto(type_kind=type_pb2.TYPE_STRUCT, struct_type=struct)


def _scalar(kind: int) -> type_pb2.TypeProto:
    return type_pb2.TypeProto(type_kind=kind)


_STRING = _scalar(type_pb2.TYPE_STRING)
_INT64 = _scalar(type_pb2.TYPE_INT64)
_TIMESTAMP = _scalar(type_pb2.TYPE_TIMESTAMP)
# BigQuery's system variables, as scripts and procedures read them.
SYSTEM_VARIABLES: dict[str, type_pb2.TypeProto] = {
    "error": _struct(
        [
            ("message", _STRING),
            ("statement_text", _STRING),
            ("formatted_stack_trace", _STRING),
            (
                "stack_trace",
                type_pb2.TypeProto(
                    type_kind=type_pb2.TYPE_ARRAY,
                    array_type=type_pb2.ArrayTypeProto(
                        element_type=_struct(
                            [
                                ("line", _INT64),
                                ("column", _INT64),
                                ("filename", _STRING),
                                ("location", _STRING),
                            ]
                        )
                    ),
                ),
            ),
        ]
    ),
    "row_count": _INT64,
    "current_job_id": _STRING,
    "last_job_id": _STRING,
    "project_id": _STRING,
    "dataset_id": _STRING,
    "dataset_project_id": _STRING,
    "location": _STRING,
    "query_label": _STRING,
    "session_id": _STRING,
    "time_zone": _STRING,
    "script.bytes_billed": _INT64,
    "script.bytes_processed": _INT64,
    "script.creation_time": _TIMESTAMP,
    "script.job_id": _STRING,
    "script.num_child_jobs": _INT64,
    "script.slot_ms": _INT64,
}


@dataclass
class _Text:
    """A piece of the rendered file that is analysed, wrapped as `prefix + text + suffix`."""

    text: str
    line: int
    column: int
    prefix: str = ""
    suffix: str = ""

    @property
    def sql(self) -> str:
        return self.prefix + self.text + self.suffix

    def position(self, line: int | None, column: int | None) -> tuple[int, int]:
        """The rendered file position of a GoogleSQL position in `sql` (tabs expanded)."""
        if line is None or column is None:
            return self.line, self.column
        offset = _offset(self.sql, line, column) - len(self.prefix)
        offset = max(0, min(offset, len(self.text)))
        newlines = self.text.count("\n", 0, offset)
        if newlines == 0:
            return self.line, self.column + offset
        return self.line + newlines, offset - self.text.rindex("\n", 0, offset)


def _offset(sql: str, line: int, column: int) -> int:
    """Character offset of a 1-based line and tab-expanded column, as GoogleSQL counts them."""
    start = 0
    for _ in range(line - 1):
        found = sql.find("\n", start)
        if found < 0:
            break
        start = found + 1
    expanded = 1
    offset = start
    while offset < len(sql) and sql[offset] != "\n" and expanded < column:
        expanded = (expanded - 1) // _TAB * _TAB + _TAB + 1 if sql[offset] == "\t" else expanded + 1
        offset += 1
    return offset


def _fragment_text(fragment: Fragment, prefix: str = "", suffix: str = "") -> _Text:
    return _Text(fragment.text, fragment.line, fragment.column, prefix, suffix)


def _statement_text(statement: Statement) -> _Text:
    return _Text(statement.text, statement.line, statement.column)


def _type_name(kind: type_pb2.TypeProto) -> str:
    name = str(type_pb2.TypeKind.Name(kind.type_kind)).removeprefix("TYPE_")
    if kind.type_kind == type_pb2.TYPE_DOUBLE:
        return "FLOAT64"
    return name


class FileChecker:
    """Checks the files of one chain in order against one evolving catalog."""

    def __init__(self, session: Session, catalog: Catalog, values: dict[str, str]) -> None:
        self.session = session
        self.catalog = catalog
        self.values = values
        self.findings: list[Finding] = []
        self.source: Source | None = None
        self._system = dict(SYSTEM_VARIABLES)

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
        self, piece: _Text, severity: Severity, rule: str, message: str,
        line: int | None = None, column: int | None = None,
    ) -> None:
        assert self.source is not None
        rendered_line, rendered_column = piece.position(line, column)
        original = self.source.map_position(rendered_line, rendered_column)
        self.findings.append(
            Finding(self.source.file, original[0], original[1], rule, severity, message)
        )

    def _failed(self, piece: _Text, error: AnalysisError | AnalyzerCrashed) -> None:
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

        line, column = _query_column_position(piece.sql, message, error.line, error.column)
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
        piece: _Text,
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

    def _expression_type(self, piece: _Text) -> type_pb2.TypeProto | None:
        """The type of an expression, analysed as `SELECT (expression)`."""
        wrapped = _Text(piece.text, piece.line, piece.column, "SELECT (", "\n)")
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
            self._learn_drop(what, name_path, drop["if_exists"] is not None, piece)
            return

        resolved = self._analyze(piece)
        if resolved is not None:
            self._learn(resolved, piece)
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
                    _SIMPLE_TYPES.get(fragment.text.strip().upper())
                    for fragment in statement.fragments
                    if fragment.role == "type"
                ),
                None,
            )
            if kind is not None:
                for name in statement.names:
                    self.catalog.declare(name.strip("`"), _scalar(kind))

    def _alternatives(self, bodies: list[list[Statement]]) -> None:
        """Bodies of which at most one runs: IF or CASE branches, or a loop body.

        Each starts from the state before them; afterwards the objects of every path
        (running none of them included) may exist, so the catalog keeps them all.
        """
        start = self.catalog.checkpoint()
        outcomes = []
        for body in bodies:
            self.catalog.reset(start)
            self._block(body, [])
            outcomes.append(self.catalog.checkpoint())

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
                        f"the condition of {construct} has type {_type_name(kind)}; "
                        "BigQuery needs BOOL",
                    )
            elif fragment.role in ("operand", "value"):
                self._expression_type(piece)

        self._alternatives([statement.body, *(branch.body for branch in statement.branches)])

    def _for(self, statement: Statement) -> None:
        variable: type_pb2.TypeProto | None = None
        for fragment in statement.fragments:
            if fragment.role == "query":
                resolved = self._analyze(_fragment_text(fragment))
                if resolved is not None:
                    outputs = resolved.resolved_query_stmt_node.output_column_list
                    variable = _struct((output.name, output.column.type) for output in outputs)

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
            if declared is not None and _fits(declared, default.text):
                pass
            elif declared is not None and statement.names:
                self._assignable(statement.names[0], declared, _fragment_text(default))
            elif declared is None:
                declared = self._expression_type(_fragment_text(default))

        for name in statement.names:
            # An unknown type still declares the name, so later statements do not report it.
            self.catalog.declare(name.strip("`"), declared or _STRING)

    def _declared_type(self, fragment: Fragment) -> type_pb2.TypeProto | None:
        simple = _SIMPLE_TYPES.get(fragment.text.strip().upper())
        if simple is not None:
            return _scalar(simple)

        piece = _fragment_text(fragment, "SELECT CAST(NULL AS ", ")")
        resolved = self._analyze(piece, plain=True)
        if resolved is None:
            return None
        outputs = resolved.resolved_query_stmt_node.output_column_list
        return outputs[0].column.type if outputs else None

    def _assignable(self, name: str, kind: type_pb2.TypeProto, value: _Text) -> None:
        """Check `value` against a variable's type the way SET assigns, as a system variable."""
        target = name.strip("`")
        piece = _Text(value.text, value.line, value.column, f"SET @@{target} = ")
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
        header = _Text(_procedure_header(statement.text), statement.line, statement.column)
        resolved = self._analyze(header, plain=True)
        parameters: dict[str, type_pb2.TypeProto] = {}
        if resolved is not None:
            node = resolved.resolved_create_statement_node.resolved_create_procedure_stmt_node
            key = self.catalog.path(node.parent.name_path)
            if self._creatable(key, node.parent.create_mode, "procedure", header):
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
        try:
            self._block(statement.body, statement.handler)
        finally:
            self.catalog.pop_scope()
            self.catalog.restore(saved)
            self.catalog.clear_temporary()
            self.catalog.temporary.update(temporary)

    # Catalog changes

    def _where(self, piece: _Text) -> str:
        assert self.source is not None
        line, _column = self.source.map_position(piece.line, piece.column)
        return f"{self.source.file}:{line}"

    def _creatable(self, key: Path, mode: int, kind: str, piece: _Text) -> bool:
        """Whether a CREATE takes effect; reports a plain CREATE of an existing object."""
        if mode == ResolvedCreateStatementEnums.CREATE_IF_NOT_EXISTS:
            return not self.catalog.exists(key)
        if mode == ResolvedCreateStatementEnums.CREATE_DEFAULT and self.catalog.exists(key):
            self._report(
                piece, "error", RULE,
                f"{kind} {self.catalog.display(key)} already exists at this point of the chain; "
                "BigQuery refuses a plain CREATE: use CREATE OR REPLACE or IF NOT EXISTS",
            )
            return False
        return True

    def _learn(self, resolved: AnyResolvedStatementProto, piece: _Text) -> None:
        node = resolved.WhichOneof("node")
        if node == "resolved_create_statement_node":
            self._learn_create(resolved.resolved_create_statement_node, piece)
        elif node == "resolved_alter_object_stmt_node":
            alter = resolved.resolved_alter_object_stmt_node
            if alter.WhichOneof("node") == "resolved_alter_table_stmt_node":
                self._learn_alter(alter.resolved_alter_table_stmt_node.parent)
        elif node == "resolved_drop_stmt_node":
            drop = resolved.resolved_drop_stmt_node
            self._learn_drop(drop.object_type, list(drop.name_path), drop.is_if_exists, piece)
        elif node == "resolved_drop_function_stmt_node":
            dropped = resolved.resolved_drop_function_stmt_node
            self._learn_drop("FUNCTION", list(dropped.name_path), dropped.is_if_exists, piece)
        elif node == "resolved_drop_table_function_stmt_node":
            function = resolved.resolved_drop_table_function_stmt_node
            self._learn_drop(
                "TABLE FUNCTION", list(function.name_path), function.is_if_exists, piece
            )
        elif node == "resolved_drop_materialized_view_stmt_node":
            view = resolved.resolved_drop_materialized_view_stmt_node
            self._learn_drop("MATERIALIZED VIEW", list(view.name_path), view.is_if_exists, piece)
        elif node == "resolved_rename_stmt_node":
            rename = resolved.resolved_rename_stmt_node
            self._rename(self.catalog.path(rename.old_name_path), rename.new_name_path)

    def _learn_create(self, create: object, piece: _Text) -> None:
        from zetasql.wasi._pb2.zetasql.resolved_ast.resolved_ast_pb2 import (
            AnyResolvedCreateStatementProto,
        )

        assert isinstance(create, AnyResolvedCreateStatementProto)
        kind = create.WhichOneof("node")
        where = self._where(piece)
        if kind == "resolved_create_table_stmt_base_node":
            holder = create.resolved_create_table_stmt_base_node
            statement = getattr(holder, str(holder.WhichOneof("node")))
            table = statement.parent
            header = table.parent
            columns = [(column.name, column.type) for column in table.column_definition_list]
            if not columns:
                columns = _copied_columns(statement)
            relation = Relation("table", columns, where)
        elif kind == "resolved_create_view_base_node":
            holder = create.resolved_create_view_base_node
            view = getattr(holder, str(holder.WhichOneof("node"))).parent
            header = view.parent
            columns = [(column.name, column.column.type) for column in view.output_column_list]
            relation = Relation("view", columns, where)
        elif kind == "resolved_create_function_stmt_node":
            function = create.resolved_create_function_stmt_node
            header = function.parent
            key = self.catalog.path(header.name_path)
            if self._creatable(key, header.create_mode, "function", piece):
                signature = catalog_signature(function.signature, False)
                self.catalog.put_routine(
                    key, Routine("function", signature, where, function.is_aggregate)
                )
            return
        elif kind == "resolved_create_table_function_stmt_node":
            table_function = create.resolved_create_table_function_stmt_node
            header = table_function.parent
            key = self.catalog.path(header.name_path)
            if self._creatable(key, header.create_mode, "table function", piece):
                signature = catalog_signature(table_function.signature, False)
                schema = signature.return_type.options.relation_input_schema
                if not schema.column:
                    for output in table_function.output_column_list:
                        schema.column.add(name=output.name, type=output.column.type)
                self.catalog.put_routine(key, Routine("table function", signature, where))
            return
        elif kind == "resolved_create_procedure_stmt_node":
            procedure = create.resolved_create_procedure_stmt_node
            header = procedure.parent
            key = self.catalog.path(header.name_path)
            if self._creatable(key, header.create_mode, "procedure", piece):
                signature = catalog_signature(procedure.signature, True)
                self.catalog.put_routine(key, Routine("procedure", signature, where))
            return
        else:
            # Table functions, models, schemas: known to exist, not modelled.
            inner = getattr(create, str(kind))
            header = getattr(inner, "parent", None)
            name_path = getattr(header, "name_path", None)
            if header is not None and name_path:
                key = self.catalog.path(list(name_path))
                if self._creatable(key, header.create_mode, "object", piece):
                    self.catalog.put_opaque(key, str(kind))
            return

        key = self.catalog.path(header.name_path)
        if not self._creatable(key, header.create_mode, relation.kind, piece):
            return
        if relation.columns:
            self.catalog.put_relation(key, relation)
        else:
            # An external table whose schema BigQuery detects from its files.
            self.catalog.put_opaque(key, "columns unknown")

    def _learn_alter(self, alter: object) -> None:
        from zetasql.wasi._pb2.zetasql.resolved_ast.resolved_ast_pb2 import (
            ResolvedAlterObjectStmtProto,
        )

        assert isinstance(alter, ResolvedAlterObjectStmtProto)
        key = self.catalog.path(alter.name_path)
        relation = self.catalog.relation(key)
        if relation is None:
            return

        for holder in alter.alter_action_list:
            action = holder.WhichOneof("node")
            if action == "resolved_add_column_action_node":
                column = holder.resolved_add_column_action_node.column_definition
                if relation.column(column.name) is None:
                    relation.columns.append((column.name, column.type))
            elif action == "resolved_drop_column_action_node":
                index = relation.column(holder.resolved_drop_column_action_node.name)
                if index is not None:
                    del relation.columns[index]
            elif action == "resolved_rename_column_action_node":
                rename = holder.resolved_rename_column_action_node
                index = relation.column(rename.name)
                if index is not None:
                    relation.columns[index] = (rename.new_name, relation.columns[index][1])
            elif action == "resolved_alter_column_set_data_type_action_node":
                change = holder.resolved_alter_column_set_data_type_action_node
                index = relation.column(change.parent.column)
                if index is not None:
                    relation.columns[index] = (relation.columns[index][0], change.updated_type)
            elif action == "resolved_rename_to_action_node":
                self._rename(key, holder.resolved_rename_to_action_node.new_path)
                return
        self.catalog.put_relation(key, relation)

    def _rename(self, key: Path, new_path: Iterable[str]) -> None:
        relation = self.catalog.relation(key)
        if relation is None:
            return
        self.catalog.remove(key)
        new_key = self.catalog.path(list(new_path))
        if len(new_key) < 3 and len(key) == 3:
            # RENAME TO takes the new name alone; the table stays in its dataset.
            new_key = (key[0], key[1], new_key[-1])
        self.catalog.put_relation(new_key, relation)

    def _learn_drop(self, what: str, name_path: list[str], if_exists: bool, piece: _Text) -> None:
        key = self.catalog.path(name_path)
        if not self.catalog.exists(key):
            if not if_exists and (len(key) == 1 or self.catalog.in_target(key)):
                self._report(
                    piece, "error", RULE,
                    f"DROP {what} {self.catalog.display(key)}: it does not exist at this point "
                    "of the chain; BigQuery refuses it (add IF EXISTS if that is intended)",
                )
            return
        self.catalog.remove(key)


_QUERY_COLUMN = re.compile(r"^Query column (\d+) has type")
_SELECT_ITEM_TOKEN = re.compile(
    r"""'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`"""
    r"""|--[^\n]*|\#[^\n]*|/\*.*?\*/|[()\[\],]|[A-Za-z_]\w*|[^\s()\[\],]+""",
    re.DOTALL,
)
_SELECT_LIST_ENDS = frozenset(
    {"FROM", "WHERE", "GROUP", "HAVING", "QUALIFY", "WINDOW", "ORDER", "LIMIT", "UNION"}
)
_SELECT_MODIFIERS = frozenset({"DISTINCT", "ALL", "AS", "STRUCT", "VALUE"})


def _query_column_position(
    sql: str, message: str, line: int | None, column: int | None
) -> tuple[int | None, int | None]:
    """For "Query column N has type ...", the position of the N-th item of the SELECT list.

    GoogleSQL points at the SELECT keyword; the item with the wrong type is what the reader
    needs, and it may be many lines further down.
    """
    match = _QUERY_COLUMN.match(message)
    if match is None or line is None or column is None:
        return line, column
    start = _offset(sql, line, column)
    if sql[start : start + 6].upper() != "SELECT":
        return line, column

    wanted = int(match[1])
    item, depth, expecting = 1, 0, True
    for token in _SELECT_ITEM_TOKEN.finditer(sql, start + 6):
        text = token.group()
        if text.startswith(("--", "#", "/*")):
            continue
        upper = text.upper()
        if depth == 0 and upper in _SELECT_LIST_ENDS:
            break
        if expecting and upper not in _SELECT_MODIFIERS:
            if item == wanted:
                before = sql[: token.start()]
                return before.count("\n") + 1, _expanded_column(before)
            expecting = False

        if text in ("(", "["):
            depth += 1
        elif text in (")", "]"):
            depth -= 1
        elif text == "," and depth == 0:
            item, expecting = item + 1, True
    return line, column


def _expanded_column(before: str) -> int:
    """The column of the character after `before`, tabs expanded as GoogleSQL counts them."""
    expanded = 1
    for char in before[before.rfind("\n") + 1 :]:
        expanded = (expanded - 1) // _TAB * _TAB + _TAB + 1 if char == "\t" else expanded + 1
    return expanded


def _copied_columns(statement: object) -> list[Column]:
    """The columns of `CREATE TABLE ... COPY` or `CLONE`: those of the table it reads."""
    fields = statement.DESCRIPTOR.fields_by_name  # type: ignore[attr-defined]
    for field in ("copy_from", "clone_from"):
        if field not in fields or not statement.HasField(field):  # type: ignore[attr-defined]
            continue
        scan = getattr(statement, field)
        kind = scan.WhichOneof("node")
        if kind is None:
            continue
        columns = getattr(scan, kind).parent.column_list
        return [(column.name, column.type) for column in columns]
    return []


def _fits(kind: type_pb2.TypeProto, value: str) -> bool:
    """Whether `value` is a literal (or NULL) that obviously fits a variable of type `kind`."""
    text = value.strip()
    if text.upper() == "NULL":
        return True
    literal = _FITTING_LITERALS.get(kind.type_kind)
    return literal is not None and literal.match(text) is not None


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
