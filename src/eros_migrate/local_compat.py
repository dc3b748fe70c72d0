"""Compatibility fixes that make the embedded engine (bqemulator 1.4.0) behave like BigQuery.

Each fix is one small function that patches one place of the engine; its docstring says what
BigQuery does and what the engine did without it. ``install`` applies them all, once per
process. Every fix is pinned by a test in ``tests/test_local_compat.py`` that runs real SQL
through google-cloud-bigquery against a ``LocalEngine``.

The engine is imported inside the fixes, never at module level, so importing this module stays
cheap.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

_installed = False
_install_lock = threading.Lock()

# Keywords that close a construct of their own after END: `END IF`, `END WHILE`, ...
_END_SUFFIXES = frozenset({"IF", "WHILE", "LOOP", "FOR", "REPEAT", "TRANSACTION"})


def _patch(owner: object, name: str, replacement: object) -> None:
    """Replace ``owner.name``, failing loudly if this engine version has no such attribute."""
    if not hasattr(owner, name):
        raise RuntimeError(f"local engine fix cannot find {owner!r}.{name}; check bqemulator")
    setattr(owner, name, replacement)


def _word(token: Any) -> str:
    """The upper-cased word of a keyword or unquoted identifier token, else ``""``."""
    if token.kind == "KEYWORD":
        return str(token.value)
    if token.kind == "IDENT" and not str(token.raw_value).startswith("`"):
        return str(token.value).upper()
    return ""


def skip_spatial_extension() -> None:
    """Start without DuckDB's ``spatial`` extension.

    BigQuery: GEOGRAPHY is built in. The engine: installs and loads DuckDB's ``spatial``
    extension at start, which downloads it, so start fails offline. EROS uses no GEOGRAPHY, so
    the load becomes a no-op (GEOGRAPHY functions are then unavailable).
    """
    from bqemulator.storage.engine import DuckDBEngine

    def _load_spatial(self: Any) -> None:
        log.debug("skipping DuckDB's spatial extension: GEOGRAPHY is unavailable locally")

    _patch(DuckDBEngine, "_load_spatial", _load_spatial)


def balance_procedure_body() -> None:
    """Capture a ``CREATE PROCEDURE`` body up to the END that closes its BEGIN.

    BigQuery: the body runs from BEGIN to its matching END, whatever IF, WHILE, CASE or nested
    BEGIN ... EXCEPTION ... END blocks it contains. The engine: counted every END as closing a
    BEGIN, so the body was cut at the first `END IF`, `END WHILE` or `CASE ... END`; the
    procedure failed to parse or was stored truncated. Here BEGIN and CASE open a level, a bare
    END closes one, END followed by IF/WHILE/LOOP/FOR/REPEAT/TRANSACTION closes nothing, and
    BEGIN TRANSACTION opens nothing.
    """
    from bqemulator.domain.errors import InvalidQueryError
    from bqemulator.scripting.parser import Parser

    def _capture_balanced_block(self: Any) -> str:
        cursor = self._cursor
        start = cursor.pos
        depth = 1

        while not cursor.at_eof():
            word = _word(cursor.current)
            following = _word(cursor.peek(1))
            if word == "END" and following in _END_SUFFIXES:
                cursor.advance()
            elif word == "END":
                depth -= 1
                if depth == 0:
                    body: str = cursor.slice(start, cursor.pos)
                    cursor.advance()
                    return body
            elif (word == "BEGIN" and following != "TRANSACTION") or word == "CASE":
                depth += 1
            cursor.advance()

        raise InvalidQueryError("Unterminated BEGIN ... END block")

    _patch(Parser, "_capture_balanced_block", _capture_balanced_block)


def resolve_calls_in_udf_bodies() -> None:
    """Let a SQL UDF body call other UDFs and read tables.

    BigQuery: a UDF body may call another persistent UDF as `` `p.d.f`(x) ``, ``p.d.f(x)`` or
    ``d.f(x)``, and read tables by their dataset-qualified names. The engine: turned the body
    into a DuckDB macro without the routine and table name rewrite that query text gets, so
    CREATE FUNCTION failed with HTTP 500 ("Scalar Function ... does not exist"). The macro body
    now goes through the same rewrite as a query.
    """
    from bqemulator.sql.table_rewriter import rewrite_table_refs
    from bqemulator.storage.sql_identifiers import _validate_sql_id
    from bqemulator.udf import sql_udf
    from bqemulator.udf.naming import qualified_routine_name

    def materialize(self: Any, routine: Any, engine: Any) -> None:
        name = qualified_routine_name(routine)
        args = ", ".join(_validate_sql_id(a.name, "routine arg") for a in routine.arguments)

        body = sql_udf._translate_body(routine.definition_body, self._translator)
        selected = rewrite_table_refs(f"SELECT {body}", routine.project_id).lstrip()
        if selected[:7].upper() == "SELECT ":
            body = selected[7:]

        engine.execute(f'CREATE OR REPLACE MACRO "{name}"({args}) AS ({body})')

    _patch(sql_udf.SQLUDFRuntime, "materialize", materialize)


def resolve_project_qualified_calls() -> None:
    """Resolve a routine call written ``` `project`.dataset.routine(x) ```.

    BigQuery: the project, dataset and routine of a call may be written as separate path parts.
    The engine: flattened ``dataset.routine(x)`` and `` `project.dataset.routine`(x) `` to its
    internal routine name but left the three-part form alone, which then failed.
    """
    from bqemulator.sql import table_rewriter
    from bqemulator.udf.naming import qualified_routine_name_parts
    from sqlglot import exp

    original = table_rewriter._rewrite_dot_anonymous_calls

    @functools.wraps(original)
    def rewrite(tree: Any, project_id: str) -> bool:
        modified = False
        for dot in list(tree.find_all(exp.Dot)):
            path, call = dot.this, dot.expression
            if not (
                isinstance(call, exp.Anonymous)
                and isinstance(path, exp.Dot)
                and isinstance(path.this, exp.Identifier)
                and isinstance(path.expression, exp.Identifier)
            ):
                continue
            call.set("this", qualified_routine_name_parts(path.this.name, path.name, call.name))
            dot.replace(call)
            modified = True
        return original(tree, project_id) or modified

    _patch(table_rewriter, "_rewrite_dot_anonymous_calls", rewrite)


def keep_failed_routines_out_of_the_catalog() -> None:
    """Leave the catalog as it was when CREATE FUNCTION or CREATE PROCEDURE fails.

    BigQuery: a failed CREATE creates nothing and a failed CREATE OR REPLACE keeps the old
    routine. The engine: stored the routine before building it in DuckDB, so a failure left a
    routine that was listed but could not be called.
    """
    from bqemulator.scripting import interpreter

    original = interpreter._upsert_routine

    @functools.wraps(original)
    async def _upsert_routine(ctx: Any, routine: Any, *, or_replace: bool) -> None:
        ids = (routine.project_id, routine.dataset_id, routine.routine_id)
        previous = ctx.catalog.get_routine(*ids)
        try:
            await original(ctx, routine, or_replace=or_replace)
        except Exception:
            if ctx.catalog.get_routine(*ids) is not None and previous is None:
                ctx.catalog.delete_routine(*ids, not_found_ok=True)
            elif previous is not None and ctx.catalog.get_routine(*ids) != previous:
                ctx.catalog.update_routine(previous)
                ctx.udf_registry.materialize(previous, ctx.engine)
            raise

    _patch(interpreter, "_upsert_routine", _upsert_routine)


def drop_routines_in_scripts() -> None:
    """Run ``DROP FUNCTION`` / ``DROP PROCEDURE`` / ``DROP TABLE FUNCTION`` inside a script.

    BigQuery: a routine drop is a statement like any other, alone or in a script. The engine:
    handled it only as a job's single statement; in a script it reached DuckDB, which failed
    with "syntax error at or near PROCEDURE".
    """
    from bqemulator.jobs.routine_ddl import detect_drop_routine, run_drop_routine
    from bqemulator.scripting.interpreter import ScriptInterpreter

    original = ScriptInterpreter._exec_sql

    @functools.wraps(original)
    async def _exec_sql(self: ScriptInterpreter, sql: str) -> None:
        drop = detect_drop_routine(sql.strip(), self._project_id)
        if drop is None:
            await original(self, sql)
            return

        await run_drop_routine(drop, self._ctx)
        self._final_table = None

    _patch(ScriptInterpreter, "_exec_sql", _exec_sql)


def fail_script_jobs_cleanly() -> None:
    """Report an error raised by a script or procedure as a failed job.

    BigQuery: an uncaught ``RAISE USING MESSAGE = 'm'``, or any error of a script statement or
    of a CALLed procedure, ends the job with ``status.errorResult`` (reason ``invalidQuery``,
    the message containing ``m``); google-cloud-bigquery raises ``BadRequest`` at once. The
    engine: let the interpreter's internal exception escape, answered HTTP 500, and the client
    retried the request for about ten minutes.
    """
    from bqemulator.api.routes import jobs as job_routes
    from bqemulator.domain.errors import InvalidQueryError
    from bqemulator.scripting.exceptions import ScriptRaise

    # Errors the route already turns into a failed job; anything else becomes invalidQuery.
    settled = job_routes._SQL_EXECUTION_DOMAIN_ERRORS
    original = job_routes.execute_query_job  # type: ignore[attr-defined]

    @functools.wraps(original)
    async def execute_query_job(*args: Any, **kwargs: Any) -> Any:
        try:
            return await original(*args, **kwargs)
        except ScriptRaise as raised:
            if isinstance(raised.error, settled):
                raise raised.error from raised
            raise InvalidQueryError(raised.message) from raised
        except settled:
            raise
        except Exception as exc:
            message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            raise InvalidQueryError(message) from exc

    _patch(job_routes, "execute_query_job", execute_query_job)


def _statement_text(stmt: Any) -> str | None:
    """The text of a simple script statement, rebuilt from its parsed form."""
    from bqemulator.scripting import ast

    if isinstance(stmt, ast.SqlStmt):
        return str(stmt.sql)
    if isinstance(stmt, ast.SetStmt):
        targets = stmt.targets[0] if len(stmt.targets) == 1 else f"({', '.join(stmt.targets)})"
        return f"SET {targets} = {stmt.source_expr}"
    if isinstance(stmt, ast.DeclareStmt):
        default = f" DEFAULT {stmt.default_expr}" if stmt.default_expr is not None else ""
        return f"DECLARE {', '.join(stmt.names)} {stmt.type_name}{default}"
    if isinstance(stmt, ast.RaiseStmt):
        if stmt.message_expr is None:
            return "RAISE"
        return f"RAISE USING MESSAGE = {stmt.message_expr}"
    if isinstance(stmt, ast.CallStmt):
        return f"CALL {stmt.routine_ref}({', '.join(stmt.arg_exprs)})"
    if isinstance(stmt, ast.ReturnStmt):
        return "RETURN"
    if isinstance(stmt, ast.IfStmt):
        return f"IF {stmt.branches[0][0]} THEN"
    if isinstance(stmt, ast.WhileStmt):
        return f"WHILE {stmt.condition_expr} DO"
    if isinstance(stmt, ast.ForStmt):
        return f"FOR {stmt.loop_var} IN {stmt.source_sql} DO"
    return None


# System variables, spelled as the script variables that hold them inside the interpreter.
_ERROR_MESSAGE = "__error_message__"
_ERROR_STATEMENT = "__eros_error_statement_text__"
_ROW_COUNT = "__eros_row_count__"
_SYSTEM_VARIABLES = re.compile(
    r"@@(error\.message|error\.statement_text|row_count)\b", flags=re.IGNORECASE
)
_SYSTEM_VARIABLE_NAMES = {
    "error.message": _ERROR_MESSAGE,
    "error.statement_text": _ERROR_STATEMENT,
    "row_count": _ROW_COUNT,
}
# The attribute that carries the failing statement's text on an exception.
_STATEMENT_ATTR = "eros_statement_text"
_DML_START = re.compile(r"^(?:\s|--[^\n]*\n|/\*.*?\*/)*(INSERT|UPDATE|DELETE|MERGE)\b", re.I | re.S)


def read_system_variables() -> None:
    """Let script expressions read ``@@error.message``, ``@@error.statement_text``, ``@@row_count``.

    BigQuery: scripts read these system variables like any variable. The engine: passed the
    ``@@`` names on to DuckDB, a syntax error. Each is now read from the script variable in
    which the interpreter keeps it.
    """
    from bqemulator.scripting.interpreter import ScriptInterpreter

    original = ScriptInterpreter._run_query

    @functools.wraps(original)
    async def _run_query(self: ScriptInterpreter, bq_sql: str) -> Any:
        if "@@" in bq_sql:
            bq_sql = _SYSTEM_VARIABLES.sub(
                lambda match: _SYSTEM_VARIABLE_NAMES[match.group(1).lower()], bq_sql
            )
        result = await original(self, bq_sql)
        self.eros_last_result = result  # type: ignore[attr-defined]
        return result

    _patch(ScriptInterpreter, "_run_query", _run_query)


def expose_failing_statement() -> None:
    """Set ``@@error.message`` and ``@@error.statement_text`` in an exception handler.

    BigQuery: inside ``EXCEPTION WHEN ERROR THEN``, ``@@error.message`` is the error's message
    and ``@@error.statement_text`` the text of the statement that failed. The engine: kept only
    the message. The innermost statement that fails now stamps its text on the error, and the
    handler receives both.
    """
    from bqemulator.domain.errors import DomainError
    from bqemulator.scripting.exceptions import ScriptRaise
    from bqemulator.scripting.interpreter import ScriptInterpreter

    original_exec = ScriptInterpreter._exec_statement

    @functools.wraps(original_exec)
    async def _exec_statement(self: ScriptInterpreter, stmt: Any) -> None:
        try:
            await original_exec(self, stmt)
        except (ScriptRaise, DomainError) as exc:
            if getattr(exc, _STATEMENT_ATTR, None) is None:
                setattr(exc, _STATEMENT_ATTR, _statement_text(stmt))
            raise

    async def _exec_begin(self: ScriptInterpreter, stmt: Any) -> None:
        try:
            await self._run_block(stmt.body, frame_kind="block")
        except (ScriptRaise, DomainError) as exc:
            if stmt.exception_handler is None:
                raise

            # A handled error keeps the DML of an open transaction, as in BigQuery.
            await self._drop_txn_snapshots()
            self._frames.push(kind="block")
            try:
                self._frames.declare(_ERROR_MESSAGE, "STRING", exc.message)
                self._frames.declare(
                    _ERROR_STATEMENT, "STRING", getattr(exc, _STATEMENT_ATTR, None)
                )
                for handler_stmt in stmt.exception_handler:
                    await self._exec_statement(handler_stmt)
            finally:
                self._frames.pop()

    _patch(ScriptInterpreter, "_exec_statement", _exec_statement)
    _patch(ScriptInterpreter, "_exec_begin", _exec_begin)


def count_dml_rows() -> None:
    """Keep ``@@row_count`` as the number of rows the previous DML statement changed.

    BigQuery: after INSERT, UPDATE, DELETE or MERGE in a script, ``@@row_count`` is the number
    of rows inserted, updated or deleted; after another statement it is NULL. The engine: had no
    such variable.
    """
    from bqemulator.scripting.interpreter import ScriptInterpreter

    original_init = ScriptInterpreter.__init__
    original_exec = ScriptInterpreter._exec_sql

    @functools.wraps(original_init)
    def __init__(self: ScriptInterpreter, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self._frames.declare(_ROW_COUNT, "INT64", None)

    @functools.wraps(original_exec)
    async def _exec_sql(self: ScriptInterpreter, sql: str) -> None:
        self.eros_last_result = None  # type: ignore[attr-defined]
        await original_exec(self, sql)

        count = None
        result = self.eros_last_result  # type: ignore[attr-defined]
        if _DML_START.match(sql) and result is not None and result.shape == (1, 1):
            count = result.column(0)[0].as_py()
        self._frames.set(_ROW_COUNT, count)

    _patch(ScriptInterpreter, "__init__", __init__)
    _patch(ScriptInterpreter, "_exec_sql", _exec_sql)


def _rewrite_before_translation(rewrite: Callable[[str], str]) -> None:
    """Run ``rewrite`` on every BigQuery statement before the engine translates it."""
    from bqemulator.sql.translator import SQLTranslator

    original = SQLTranslator.translate

    @functools.wraps(original)
    def translate(self: SQLTranslator, bq_sql: str, **kwargs: Any) -> Any:
        return original(self, rewrite(bq_sql), **kwargs)

    _patch(SQLTranslator, "translate", translate)


_UNENFORCED_CONSTRAINT = re.compile(
    r"""
    ,\s*(?:CONSTRAINT\s+`?\w+`?\s+)?PRIMARY\s+KEY\s*\([^)]*\)\s*NOT\s+ENFORCED
    | ,\s*(?:CONSTRAINT\s+`?\w+`?\s+)?FOREIGN\s+KEY\s*\([^)]*\)\s*REFERENCES\s+[^(]+\([^)]*\)
      \s*NOT\s+ENFORCED
    | \s+PRIMARY\s+KEY\s+NOT\s+ENFORCED
    | \s+REFERENCES\s+[^(,]+\([^)]*\)\s*NOT\s+ENFORCED
    """,
    flags=re.IGNORECASE | re.VERBOSE,
)


def ignore_unenforced_constraints() -> None:
    """Accept ``PRIMARY KEY ... NOT ENFORCED`` and ``FOREIGN KEY ... NOT ENFORCED``.

    BigQuery: a table may declare unenforced primary and foreign keys, as table constraints or on
    a column; they are metadata for the optimizer and never checked. The engine: passed them to
    DuckDB, a syntax error. They are dropped before translation (DuckDB would enforce a key
    BigQuery does not).
    """

    def strip(bq_sql: str) -> str:
        if "ENFORCED" not in bq_sql.upper():
            return bq_sql
        return _UNENFORCED_CONSTRAINT.sub("", bq_sql)

    _rewrite_before_translation(strip)


def ignore_language_sql() -> None:
    """Accept ``LANGUAGE SQL`` on a SQL UDF.

    BigQuery: ``CREATE FUNCTION f(x INT64) RETURNS INT64 LANGUAGE SQL AS (x + 1)`` is a SQL UDF,
    as without the clause. The engine: read LANGUAGE as the start of a JavaScript body and
    failed with "Expected string literal". The two words are dropped from the statement.
    """
    from bqemulator.scripting.parser import Parser

    original = Parser.__init__

    @functools.wraps(original)
    def __init__(self: Parser, source: str) -> None:
        original(self, source)

        tokens = self._cursor._tokens
        kept = []
        index = 0
        while index < len(tokens):
            window = [_word(token) for token in tokens[index : index + 3]]
            if window == ["LANGUAGE", "SQL", "AS"]:
                index += 2
                continue
            kept.append(tokens[index])
            index += 1
        self._cursor._tokens = kept

    _patch(Parser, "__init__", __init__)


_ROUTINE_PREFIX = frozenset({"OR", "REPLACE", "TEMP", "TEMPORARY", "TABLE"})


def _group_end(tokens: list[Any], start: int) -> int:
    """Index just past the parenthesised group that opens at ``tokens[start]``."""
    depth = 0
    for index in range(start, len(tokens)):
        if tokens[index].kind == "PUNCT" and tokens[index].value == "(":
            depth += 1
        elif tokens[index].kind == "PUNCT" and tokens[index].value == ")":
            depth -= 1
            if depth == 0:
                return index + 1
    return len(tokens)


def _is_routine_definition(tokens: list[Any], create: int) -> bool:
    """Whether the CREATE at ``tokens[create]`` defines a function or procedure."""
    index = create + 1
    while index < len(tokens) and _word(tokens[index]) in _ROUTINE_PREFIX:
        index += 1
    return index < len(tokens) and _word(tokens[index]) in ("FUNCTION", "PROCEDURE")


def _strip_routine_header(tokens: list[Any], create: int) -> tuple[list[Any], int, bool]:
    """Drop ``IF NOT EXISTS`` and ``OPTIONS (...)`` from the routine definition at ``create``.

    Scans a procedure up to its BEGIN and a function up to its end. Returns the tokens kept,
    the index where the scan stopped, and whether IF NOT EXISTS was present.
    """
    index = create + 1
    while _word(tokens[index]) in _ROUTINE_PREFIX:
        index += 1
    is_procedure = _word(tokens[index]) == "PROCEDURE"
    kept = tokens[create : index + 1]
    index += 1

    if_absent = [_word(t) for t in tokens[index : index + 3]] == ["IF", "NOT", "EXISTS"]
    if if_absent:
        index += 3

    depth = 0
    while tokens[index].kind != "EOF":
        token, word = tokens[index], _word(tokens[index])
        at_top = depth == 0
        if at_top and ((is_procedure and word == "BEGIN") or token.value == ";"):
            break
        if at_top and word == "OPTIONS" and tokens[index + 1].value == "(":
            index = _group_end(tokens, index + 1)
            continue
        if token.kind == "PUNCT" and token.value in ("(", ")"):
            depth += 1 if token.value == "(" else -1
        kept.append(token)
        index += 1
    return kept, index, if_absent


def accept_routine_header_clauses() -> None:
    """Accept ``IF NOT EXISTS`` and ``OPTIONS (...)`` on CREATE FUNCTION and CREATE PROCEDURE.

    BigQuery: ``CREATE FUNCTION IF NOT EXISTS`` and ``CREATE PROCEDURE IF NOT EXISTS`` do
    nothing when the routine exists; ``OPTIONS (description = ...)`` may follow a function's
    body or precede a procedure's BEGIN. The engine: failed on both with "Expected identifier"
    or a DuckDB syntax error. The options are dropped; IF NOT EXISTS skips an existing routine.
    """
    import dataclasses

    from bqemulator.scripting import ast
    from bqemulator.scripting.interpreter import ScriptInterpreter
    from bqemulator.scripting.parser import Parser

    @dataclasses.dataclass(frozen=True, slots=True)
    class FunctionIfAbsent(ast.CreateFunctionStmt):
        """CREATE FUNCTION IF NOT EXISTS."""

    @dataclasses.dataclass(frozen=True, slots=True)
    class ProcedureIfAbsent(ast.CreateProcedureStmt):
        """CREATE PROCEDURE IF NOT EXISTS."""

    original_init = Parser.__init__
    original_parse = Parser._parse_create_routine

    @functools.wraps(original_init)
    def __init__(self: Parser, source: str) -> None:
        original_init(self, source)

        tokens = self._cursor._tokens
        kept: list[Any] = []
        self.eros_if_absent = set()  # type: ignore[attr-defined]
        index = 0
        while index < len(tokens):
            if _word(tokens[index]) == "CREATE" and _is_routine_definition(tokens, index):
                header, resume, if_absent = _strip_routine_header(tokens, index)
                if if_absent:
                    self.eros_if_absent.add(id(tokens[index]))  # type: ignore[attr-defined]
                kept.extend(header)
                index = resume
                continue
            kept.append(tokens[index])
            index += 1
        self._cursor._tokens = kept

    @functools.wraps(original_parse)
    def _parse_create_routine(self: Parser) -> Any:
        if_absent = id(self._cursor.current) in self.eros_if_absent  # type: ignore[attr-defined]
        stmt = original_parse(self)

        if not if_absent:
            return stmt
        marked = FunctionIfAbsent if isinstance(stmt, ast.CreateFunctionStmt) else ProcedureIfAbsent
        values = {field.name: getattr(stmt, field.name) for field in dataclasses.fields(stmt)}
        return marked(**values)

    def skip_if_present(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        async def create(self: ScriptInterpreter, stmt: Any) -> None:
            marked = isinstance(stmt, (FunctionIfAbsent, ProcedureIfAbsent)) and "." in stmt.name
            if marked and self._ctx.catalog.get_routine(*self._resolve_ref(stmt.name)):
                return
            await original(self, stmt)

        return create

    _patch(Parser, "__init__", __init__)
    _patch(Parser, "_parse_create_routine", _parse_create_routine)
    for name in ("_exec_create_function", "_exec_create_procedure"):
        _patch(ScriptInterpreter, name, skip_if_present(getattr(ScriptInterpreter, name)))


# `[OFFSET(` or `[SAFE_OFFSET(` followed by anything but an integer literal and `)`.
_COMPUTED_OFFSET = re.compile(r"\[\s*(?:SAFE_)?OFFSET\s*\(\s*(?!\d+\s*\))", flags=re.IGNORECASE)


def zero_based_computed_offsets() -> None:
    """Read ``arr[OFFSET(i)]`` as the element at 0-based position ``i`` for any expression ``i``.

    BigQuery: ``OFFSET`` and ``SAFE_OFFSET`` count from 0, ``ORDINAL`` from 1, whatever the
    index expression. The engine (through sqlglot) converted only integer literals to DuckDB's
    1-based indexing, so ``arr[OFFSET(i)]`` returned the element before the right one. Such an
    access is rewritten to the ``ORDINAL(i + 1)`` form, which needs no conversion.
    """
    import sqlglot
    from sqlglot import exp

    def to_ordinal(bq_sql: str) -> str:
        if not _COMPUTED_OFFSET.search(bq_sql):
            return bq_sql
        try:
            trees = sqlglot.parse(bq_sql, read="bigquery")
        except sqlglot.errors.ParseError:
            return bq_sql

        for tree in trees:
            for bracket in tree.find_all(exp.Bracket) if tree is not None else ():
                index = bracket.expressions
                if bracket.args.get("offset") != 0 or len(index) != 1 or index[0].is_int:
                    continue
                bracket.set(
                    "expressions",
                    [exp.Add(this=exp.paren(index[0]), expression=exp.Literal.number(1))],
                )
                bracket.set("offset", 1)
        return ";\n".join(tree.sql(dialect="bigquery") for tree in trees if tree is not None)

    _rewrite_before_translation(to_ordinal)


def keep_quantile_index() -> None:
    """Index ``APPROX_QUANTILES(x, n)[OFFSET(k)]`` from 0.

    BigQuery: ``APPROX_QUANTILES(x, 100)[OFFSET(50)]`` is the median and ``[OFFSET(0)]`` the
    minimum. The engine: after replacing DuckDB's ``approx_quantile`` by ``quantile_disc`` it
    regenerated the SQL with the index shifted once more, so every such access returned the
    next quantile (and the last one NULL). The replacement now keeps the type the parser saw, so
    the index is converted back exactly as it was converted in.
    """
    from bqemulator.sql.rules.datetime_semantics import ApproxQuantilesDiscreteRule

    original = ApproxQuantilesDiscreteRule.rewrite

    @functools.wraps(original)
    def rewrite(self: ApproxQuantilesDiscreteRule, node: Any) -> Any:
        replacement = original(self, node)
        if replacement is not node and node.type is not None:
            replacement.type = node.type
        return replacement

    _patch(ApproxQuantilesDiscreteRule, "rewrite", rewrite)


def name_offset_columns() -> None:
    """Keep the name of a ``WITH OFFSET`` column selected on its own.

    BigQuery: ``SELECT x, i FROM UNNEST(arr) AS x WITH OFFSET AS i`` returns columns ``x`` and
    ``i``. The engine rebased the offset to 0 by rewriting ``i`` as ``(i - 1)``, which then
    named the result column ``(i - 1)``. A bare offset column in a select list now keeps its
    name as an alias.
    """
    from bqemulator.sql.rewriter import unnest_offset
    from sqlglot import exp

    original = unnest_offset._rebase_offset_columns

    @functools.wraps(original)
    def rebase(tree: Any, offset_names: set[str]) -> bool:
        for column in list(tree.find_all(exp.Column)):
            select = column.parent
            if (
                column.name in offset_names
                and isinstance(select, exp.Select)
                and column.arg_key == "expressions"
            ):
                column.replace(exp.alias_(column.copy(), column.name, quoted=True))
        return bool(original(tree, offset_names))

    _patch(unnest_offset, "_rebase_offset_columns", rebase)


def _literal_value(node: Any) -> Any:
    """The Python value of a literal option value (string, number, boolean, NULL)."""
    from sqlglot import exp

    if isinstance(node, exp.Literal):
        return node.this if node.is_string else float(node.this)
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    return None


def _option_updates(properties: Any) -> dict[str, Any]:
    """``TableMeta`` fields set by an ``OPTIONS (...)`` list of CREATE or ALTER TABLE."""
    from sqlglot import exp

    updates: dict[str, Any] = {}
    for prop in properties.expressions:
        if not isinstance(prop, exp.Property) or prop.this is None:
            continue
        key, value = prop.this.name.lower(), prop.args.get("value")
        if key in ("description", "friendly_name"):
            updates[key] = _literal_value(value)
        elif key == "labels":
            pairs = value.expressions if isinstance(value, exp.Array) else []
            updates["labels"] = {
                pair.expressions[0].name: pair.expressions[1].name
                for pair in pairs
                if isinstance(pair, exp.Tuple) and len(pair.expressions) == 2
            }
        elif key in ("partition_expiration_days", "require_partition_filter"):
            updates[key] = _literal_value(value)
    return updates


def _partitioning(partition: Any, column_types: dict[str, str]) -> dict[str, Any]:
    """``time_partitioning`` or ``range_partitioning`` for a ``PARTITION BY`` expression."""
    from bqemulator.catalog.models import RangePartitioning, TimePartitioning
    from sqlglot import exp

    if isinstance(partition, (exp.Column, exp.Identifier)):
        if partition.name.upper() in ("_PARTITIONDATE", "_PARTITIONTIME"):
            return {"time_partitioning": TimePartitioning(type="DAY", field=None)}
        return {"time_partitioning": TimePartitioning(type="DAY", field=partition.name)}
    if isinstance(partition, exp.Date) and isinstance(partition.this, exp.Column):
        return {"time_partitioning": TimePartitioning(type="DAY", field=partition.this.name)}
    if isinstance(partition, (exp.DateTrunc, exp.TimestampTrunc, exp.DatetimeTrunc)):
        unit = partition.args.get("unit")
        column = partition.this
        if isinstance(column, exp.Column) and unit is not None:
            field = column.name if column.name.upper() != "_PARTITIONTIME" else None
            kind = unit.name.upper()
            return {"time_partitioning": TimePartitioning(type=kind, field=field)}
    if isinstance(partition, exp.RangeBucket) and isinstance(
        partition.expression, exp.GenerateSeries
    ):
        series = partition.expression
        bounds = [series.args.get(name) for name in ("start", "end", "step")]
        literals = [bound for bound in bounds if isinstance(bound, exp.Literal)]
        if len(literals) == 3 and column_types:
            start, end, step = (int(bound.this) for bound in literals)
            field = partition.this.name
            return {
                "range_partitioning": RangePartitioning(
                    field=field, start=start, end=end, interval=step
                )
            }
    return {}


def _column_updates(column_defs: list[Any]) -> dict[str, dict[str, Any]]:
    """Per-column ``default_value_expression`` and ``description`` from column definitions."""
    from sqlglot import exp

    updates: dict[str, dict[str, Any]] = {}
    for column in column_defs:
        if not isinstance(column, exp.ColumnDef):
            continue
        found: dict[str, Any] = {}
        for constraint in column.constraints:
            kind = constraint.kind
            if isinstance(kind, exp.DefaultColumnConstraint):
                found["default_value_expression"] = kind.this.sql(dialect="bigquery")
            elif isinstance(kind, exp.Properties):
                description = _option_updates(kind).get("description")
                if description is not None:
                    found["description"] = description
        if found:
            updates[column.name.lower()] = found
    return updates


def _with_column_updates(schema: Any, updates: dict[str, dict[str, Any]]) -> Any:
    """``schema`` with the given fields changed on the named top-level columns."""
    fields = tuple(
        field.model_copy(update=updates.get(field.name.lower(), {})) for field in schema.fields
    )
    return schema.model_copy(update={"fields": fields})


def _table_parts(table: Any, project_id: str) -> tuple[str, str, str] | None:
    """(project, dataset, table) of a sqlglot table reference; None for a temp table's name."""
    parts = [part for part in (table.catalog, table.db, table.name) if part]
    if len(parts) == 1 and "." in parts[0]:
        parts = parts[0].split(".")
    if len(parts) == 2:
        parts.insert(0, project_id)
    if len(parts) != 3:
        return None
    return parts[0], parts[1], parts[2]


def _apply_time_options(meta: Any, updates: dict[str, Any]) -> dict[str, Any]:
    """Fold partition options of ``updates`` into the table's time partitioning."""
    from bqemulator.catalog.models import TimePartitioning

    days = updates.pop("partition_expiration_days", None)
    required = updates.pop("require_partition_filter", None)
    if days is None and required is None:
        return updates

    current = updates.get("time_partitioning") or meta.time_partitioning or TimePartitioning()
    changes: dict[str, Any] = {}
    if days is not None:
        changes["expiration_ms"] = int(days * 24 * 3600 * 1000)
    if required is not None:
        changes["require_partition_filter"] = bool(required)
    updates["time_partitioning"] = current.model_copy(update=changes)
    return updates


def _record_create_table(bq_sql: str, project_id: str, ctx: Any, existed: bool) -> None:
    """Store partitioning, clustering, options and column details of a CREATE TABLE."""
    import sqlglot
    from bqemulator.catalog.models import Clustering
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(bq_sql, read="bigquery")
    except sqlglot.errors.ParseError:
        return
    if not isinstance(tree, exp.Create) or (tree.kind or "").upper() != "TABLE":
        return
    if existed and tree.args.get("exists"):
        return

    schema_node = tree.this if isinstance(tree.this, exp.Schema) else None
    parts = _table_parts(schema_node.this if schema_node is not None else tree.this, project_id)
    meta = ctx.catalog.get_table(*parts) if parts is not None else None
    if meta is None:
        return

    column_types = {field.name: field.type for field in meta.schema_.fields}
    updates: dict[str, Any] = {}
    properties = tree.args.get("properties")
    for prop in properties.expressions if properties is not None else ():
        if isinstance(prop, exp.PartitionedByProperty):
            updates.update(_partitioning(prop.this, column_types))
        elif isinstance(prop, exp.ClusterProperty):
            updates["clustering"] = Clustering(fields=tuple(c.name for c in prop.expressions))
    if properties is not None:
        updates.update(_option_updates(properties))
    updates = _apply_time_options(meta, updates)

    if schema_node is not None:
        columns = _column_updates(schema_node.expressions)
        updates["schema_"] = _with_column_updates(meta.schema_, columns)
    ctx.catalog.update_table(meta.model_copy(update=updates))


_IF_NOT_EXISTS = re.compile(
    r"^\s*(?:(?:--|#)[^\n]*\n\s*|/\*.*?\*/\s*)*CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\b",
    re.IGNORECASE | re.DOTALL,
)


def record_table_metadata() -> None:
    """Report the partitioning, clustering, options and column details of DDL-created tables.

    BigQuery: a table created by ``CREATE TABLE`` reports its time partitioning (a DATE column,
    ``DATE(ts)``, ``DATE_TRUNC``/``TIMESTAMP_TRUNC`` with their unit), range partitioning
    (``RANGE_BUCKET``), clustering fields, description, labels and column defaults through
    ``tables.get`` and INFORMATION_SCHEMA. The engine: kept the description and a plain DATE
    partitioning column only. The catalog entry is now completed from the statement.
    """
    from bqemulator.catalog import ddl_sync
    from bqemulator.jobs import executor
    from bqemulator.scripting import interpreter

    original = ddl_sync.sync_created_table

    @functools.wraps(original)
    def sync_created_table(bq_sql: str, project_id: str, ctx: Any) -> None:
        target = ddl_sync._detect_plain_create_table(bq_sql)
        parts = _table_parts(target, project_id) if target is not None else None
        existed = parts is not None and ctx.catalog.get_table(*parts) is not None
        if existed and _IF_NOT_EXISTS.match(bq_sql):
            # BigQuery leaves an existing table untouched; syncing it again would replace its
            # recorded partitioning, clustering and options with what DuckDB knows.
            return
        original(bq_sql, project_id, ctx)

        if parts is not None:
            _record_create_table(bq_sql, project_id, ctx, existed)

    for module in (ddl_sync, executor, interpreter):
        _patch(module, "sync_created_table", sync_created_table)


def report_range_partitioning_and_defaults() -> None:
    """Include range partitioning and column defaults in the ``tables.get`` resource.

    BigQuery: the table resource carries ``rangePartitioning`` (field, start, end, interval) and
    each column's ``defaultValueExpression``. The engine: stored neither in the REST answer,
    even for tables created through ``tables.insert``.
    """
    from bqemulator.api.routes import tables

    original = tables._table_to_rest

    @functools.wraps(original)
    def _table_to_rest(table: Any) -> dict[str, Any]:
        body: dict[str, Any] = original(table)

        ranged = table.range_partitioning
        if ranged is not None:
            bounds = {"start": ranged.start, "end": ranged.end, "interval": ranged.interval}
            body["rangePartitioning"] = {
                "field": ranged.field,
                "range": {key: str(value) for key, value in bounds.items()},
            }
        rest_fields = body.get("schema", {}).get("fields", [])
        for field, rest in zip(table.schema_.fields, rest_fields, strict=True):
            if field.default_value_expression is not None:
                rest["defaultValueExpression"] = field.default_value_expression
        return body

    _patch(tables, "_table_to_rest", _table_to_rest)


_ALTER_COLUMN_OPTIONS = re.compile(
    r"""^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?P<table>[`\w.\-]+)\s+
    ALTER\s+COLUMN\s+(?:IF\s+EXISTS\s+)?(?P<column>`?\w+`?)\s+
    SET\s+OPTIONS\s*(?P<options>\(.*\))\s*;?\s*$""",
    flags=re.IGNORECASE | re.VERBOSE | re.DOTALL,
)


def _parsed_alter(bq_sql: str) -> Any | None:
    """The sqlglot tree of an ALTER TABLE statement; None for anything else."""
    import sqlglot
    from sqlglot import exp

    from eros_migrate.dialect import DIALECT

    if not re.match(r"^\s*ALTER\s+TABLE\b", bq_sql, flags=re.IGNORECASE):
        return None
    try:
        tree = sqlglot.parse_one(bq_sql, read=DIALECT)
    except sqlglot.errors.ParseError:
        return None
    return tree if isinstance(tree, exp.Alter) else None


def _alter_table(bq_sql: str, project_id: str, ctx: Any) -> tuple[Any, Any] | None:
    """The parsed ALTER TABLE statement and the catalog entry of its table, if any."""
    column_options = _ALTER_COLUMN_OPTIONS.match(bq_sql)
    if column_options is not None:
        # sqlglot has no ALTER COLUMN ... SET OPTIONS: read it as the table-level form.
        bq_sql = f"ALTER TABLE {column_options['table']} SET OPTIONS {column_options['options']}"
    tree = _parsed_alter(bq_sql)
    if tree is None:
        return None

    parts = _table_parts(tree.this, project_id)
    if parts is None:
        return None
    meta = ctx.catalog.get_table(*parts)
    if meta is None and not tree.args.get("exists"):
        from bqemulator.domain.errors import ResourceRef, resource_not_found

        raise resource_not_found(ResourceRef("table", *parts))
    return tree, meta


def _set_options(bq_sql: str, project_id: str, ctx: Any) -> bool:
    """Apply ``ALTER TABLE ... SET OPTIONS`` or ``ALTER COLUMN ... SET OPTIONS`` to the catalog.

    Returns whether the statement was one of those (and needs nothing from DuckDB).
    """
    from sqlglot import exp

    altered = _alter_table(bq_sql, project_id, ctx)
    if altered is None:
        return False
    tree, meta = altered
    actions = tree.args.get("actions") or []
    if not (len(actions) == 1 and isinstance(actions[0], exp.AlterSet)):
        return False
    if meta is None:
        return True

    updates = _option_updates(actions[0].expressions[0])
    column_options = _ALTER_COLUMN_OPTIONS.match(bq_sql)
    if column_options is not None:
        column = column_options["column"].strip("`").lower()
        schema = _with_column_updates(meta.schema_, {column: updates})
        updates = {"schema_": schema}
    else:
        updates = _apply_time_options(meta, updates)
    updates["last_modified_time"] = ctx.clock.now()
    ctx.catalog.update_table(meta.model_copy(update=updates))
    return True


def _refresh_altered_schema(bq_sql: str, project_id: str, ctx: Any) -> None:
    """After an ALTER TABLE ran in DuckDB, copy the table's new columns into the catalog."""
    from bqemulator.catalog import ddl_sync
    from sqlglot import exp

    altered = _alter_table(bq_sql, project_id, ctx)
    if altered is None or altered[1] is None:
        return
    tree, meta = altered

    # Column details DuckDB does not report: defaults and descriptions already recorded, then
    # those this statement sets.
    known = {
        field.name.lower(): {
            "default_value_expression": field.default_value_expression,
            "description": field.description,
        }
        for field in meta.schema_.fields
    }
    actions = tree.args.get("actions") or []
    for name, changes in _column_updates(actions).items():
        known.setdefault(name, {}).update(changes)
    for action in actions:
        if isinstance(action, exp.RenameColumn):
            known[action.args["to"].name.lower()] = known.pop(action.this.name.lower(), {})
        elif isinstance(action, exp.AlterColumn) and action.args.get("drop"):
            known.setdefault(action.name.lower(), {})["default_value_expression"] = None
        elif isinstance(action, exp.AlterColumn) and action.args.get("default") is not None:
            default = action.args["default"].sql(dialect="bigquery")
            known.setdefault(action.name.lower(), {})["default_value_expression"] = default

    schema = ddl_sync._introspect_schema(meta.project_id, meta.dataset_id, meta.table_id, ctx)
    updates = {
        "schema_": _with_column_updates(schema, known),
        "last_modified_time": ctx.clock.now(),
    }
    ctx.catalog.update_table(meta.model_copy(update=updates))


def apply_alter_table_to_metadata() -> None:
    """Make ``ALTER TABLE`` change what ``tables.get`` and INFORMATION_SCHEMA report.

    BigQuery: ``ALTER TABLE ... SET OPTIONS`` changes description, labels and partition options,
    ``ALTER COLUMN ... SET OPTIONS`` a column's description, and ADD/DROP/RENAME COLUMN or
    SET/DROP DEFAULT change the schema that ``tables.get`` returns. The engine: rejected SET
    OPTIONS with a DuckDB syntax error and kept reporting the schema of the CREATE TABLE.
    """
    import pyarrow as pa  # type: ignore[import-untyped]
    from bqemulator.jobs import executor
    from bqemulator.scripting.interpreter import ScriptInterpreter

    original_body = executor._run_query_body
    original_exec = ScriptInterpreter._exec_sql

    @functools.wraps(original_body)
    async def _run_query_body(*, project_id: str, bq_sql: str, ctx: Any, **kwargs: Any) -> Any:
        if not kwargs.get("is_scripted") and _set_options(bq_sql, project_id, ctx):
            return pa.table({})
        result = await original_body(project_id=project_id, bq_sql=bq_sql, ctx=ctx, **kwargs)

        if not kwargs.get("is_scripted"):
            _refresh_altered_schema(bq_sql, project_id, ctx)
        return result

    @functools.wraps(original_exec)
    async def _exec_sql(self: ScriptInterpreter, sql: str) -> None:
        if _set_options(sql, self._project_id, self._ctx):
            self._final_table = None
            return
        await original_exec(self, sql)

        _refresh_altered_schema(sql, self._project_id, self._ctx)

    _patch(executor, "_run_query_body", _run_query_body)
    _patch(ScriptInterpreter, "_exec_sql", _exec_sql)


def _single_action_alters(bq_sql: str) -> list[str] | None:
    """An ALTER TABLE with several actions as one ALTER TABLE per action; None otherwise."""
    from sqlglot import exp

    tree = _parsed_alter(bq_sql)
    if tree is None or len(tree.args.get("actions") or []) < 2:
        return None
    actions = tree.args["actions"]

    return [
        exp.Alter(
            this=tree.this.copy(),
            kind=tree.args.get("kind"),
            exists=tree.args.get("exists"),
            actions=[action.copy()],
        ).sql(dialect="bigquery")
        for action in actions
    ]


def run_alter_actions_one_by_one() -> None:
    """Accept ``ALTER TABLE`` with a list of actions.

    BigQuery: ``ALTER TABLE t ADD COLUMN a INT64, ADD COLUMN b STRING`` (likewise lists of DROP
    COLUMN or ALTER COLUMN) is one statement and one table update. The engine: DuckDB refused it
    with "Only one ALTER command per statement is supported". Each action now runs as its own
    ALTER, in order, through the engine's path and the metadata fixes above. One difference
    stays: BigQuery applies the list all or nothing, the engine keeps the actions that ran
    before a failing one, so a list that may be re-run should use IF [NOT] EXISTS.
    """
    from bqemulator.jobs import executor
    from bqemulator.scripting.interpreter import ScriptInterpreter

    original_body = executor._run_query_body
    original_exec = ScriptInterpreter._exec_sql

    @functools.wraps(original_body)
    async def _run_query_body(*, bq_sql: str, **kwargs: Any) -> Any:
        pieces = _single_action_alters(bq_sql)
        if pieces is None:
            return await original_body(bq_sql=bq_sql, **kwargs)
        for piece in pieces:
            result = await original_body(bq_sql=piece, **kwargs)
        return result

    @functools.wraps(original_exec)
    async def _exec_sql(self: ScriptInterpreter, sql: str) -> None:
        for piece in _single_action_alters(sql) or [sql]:
            await original_exec(self, piece)

    _patch(executor, "_run_query_body", _run_query_body)
    _patch(ScriptInterpreter, "_exec_sql", _exec_sql)


def _type_sql(data_type: dict[str, Any] | None) -> str | None:
    """A BigQuery type name (``INT64``, ``ARRAY<STRING>``, ``STRUCT<a INT64>``) of a REST type."""
    if not data_type:
        return None
    kind = str(data_type.get("typeKind", ""))
    if kind == "ARRAY":
        return f"ARRAY<{_type_sql(data_type.get('arrayElementType'))}>"
    if kind == "STRUCT":
        fields = data_type.get("structType", {}).get("fields", [])
        inner = ", ".join(f"{field.get('name')} {_type_sql(field.get('type'))}" for field in fields)
        return f"STRUCT<{inner}>"
    return kind or None


def _argument_sql(argument: Any, with_mode: bool) -> str:
    data_type = (
        "ANY TYPE" if argument.argument_kind == "ANY_TYPE" else _type_sql(argument.data_type)
    )
    mode = f"{argument.mode} " if with_mode and argument.mode != "IN" else ""
    return f"{mode}{argument.name} {data_type}"


def _routine_ddl(routine: Any) -> str:
    """The CREATE statement of a stored routine."""
    name = f"`{routine.project_id}.{routine.dataset_id}.{routine.routine_id}`"
    is_procedure = routine.routine_type == "PROCEDURE"
    args = ", ".join(_argument_sql(a, with_mode=is_procedure) for a in routine.arguments)

    if is_procedure:
        return f"CREATE PROCEDURE {name}({args})\nBEGIN\n{routine.definition_body}\nEND"
    if routine.routine_type == "TABLE_VALUED_FUNCTION":
        return f"CREATE TABLE FUNCTION {name}({args})\nAS (\n{routine.definition_body}\n)"
    returns = _type_sql(routine.return_type)
    returns_sql = f" RETURNS {returns}" if returns else ""
    if routine.language == "JAVASCRIPT":
        body = routine.definition_body
        return f'CREATE FUNCTION {name}({args}){returns_sql} LANGUAGE js AS r"""{body}"""'
    return f"CREATE FUNCTION {name}({args}){returns_sql} AS (\n{routine.definition_body}\n)"


def _values_view(columns: tuple[tuple[str, str], ...], rows: list[tuple[Any, ...]]) -> str:
    """A parenthesised BigQuery subquery with the given typed columns and rows."""
    from sqlglot import exp

    def cell(value: Any, bq_type: str) -> str:
        if value is None:
            literal = "NULL"
        elif isinstance(value, str):
            literal = exp.Literal.string(value).sql(dialect="bigquery")
        elif bq_type == "TIMESTAMP":
            literal = exp.Literal.string(value.isoformat()).sql(dialect="bigquery")
        else:
            literal = str(int(value))
        return f"CAST({literal} AS {bq_type})"

    names = ", ".join(name for name, _ in columns)
    if not rows:
        typed_nulls = ", ".join(f"CAST(NULL AS {t}) AS {name}" for name, t in columns)
        return f"(SELECT {typed_nulls} FROM UNNEST([1]) WHERE FALSE)"
    rendered = ", ".join(
        "(" + ", ".join(cell(v, t) for v, (_, t) in zip(row, columns, strict=True)) + ")"
        for row in rows
    )
    return f"(SELECT * FROM (VALUES {rendered}) AS v({names}))"


_ROUTINE_COLUMNS = tuple(
    (name, "TIMESTAMP" if name in ("created", "last_altered") else "STRING")
    for name in (
        "specific_catalog",
        "specific_schema",
        "specific_name",
        "routine_catalog",
        "routine_schema",
        "routine_name",
        "routine_type",
        "data_type",
        "routine_body",
        "routine_definition",
        "external_language",
        "is_deterministic",
        "security_type",
        "created",
        "last_altered",
        "ddl",
        "connection",
    )
)
_ROUTINE_TYPES = {
    "SCALAR_FUNCTION": "FUNCTION",
    "TABLE_VALUED_FUNCTION": "TABLE FUNCTION",
    "PROCEDURE": "PROCEDURE",
}
_PARAMETER_COLUMNS = (
    ("specific_catalog", "STRING"),
    ("specific_schema", "STRING"),
    ("specific_name", "STRING"),
    ("ordinal_position", "INT64"),
    ("parameter_mode", "STRING"),
    ("is_result", "STRING"),
    ("parameter_name", "STRING"),
    ("data_type", "STRING"),
    ("parameter_default", "STRING"),
    ("is_aggregate", "STRING"),
)


def _routines_view(routines: tuple[Any, ...], project_id: str, dataset_id: str) -> str:
    """INFORMATION_SCHEMA.ROUTINES of one dataset."""
    rows = []
    for r in routines:
        is_js = r.language == "JAVASCRIPT"
        returns = None if r.routine_type == "PROCEDURE" else _type_sql(r.return_type)
        ids = (project_id, dataset_id, r.routine_id)
        rows.append(
            (
                *ids,
                *ids,
                _ROUTINE_TYPES.get(r.routine_type, r.routine_type),
                returns,
                "EXTERNAL" if is_js else "SQL",
                r.definition_body,
                "js" if is_js else None,
                None,
                None,
                r.creation_time,
                r.last_modified_time,
                _routine_ddl(r),
                None,
            )
        )
    return _values_view(_ROUTINE_COLUMNS, rows)


def _parameters_view(routines: tuple[Any, ...], project_id: str, dataset_id: str) -> str:
    """INFORMATION_SCHEMA.PARAMETERS of one dataset: one row per argument and return value."""
    rows: list[tuple[Any, ...]] = []
    for r in routines:
        ids = (project_id, dataset_id, r.routine_id)
        returns = _type_sql(r.return_type)
        if r.routine_type == "SCALAR_FUNCTION" and returns is not None:
            rows.append((*ids, 0, None, "YES", None, returns, None, "NO"))
        for position, a in enumerate(r.arguments, start=1):
            data_type = "ANY TYPE" if a.argument_kind == "ANY_TYPE" else _type_sql(a.data_type)
            rows.append((*ids, position, a.mode, "NO", a.name, data_type, None, "NO"))
    return _values_view(_PARAMETER_COLUMNS, rows)


def describe_routines_in_information_schema() -> None:
    """Report routines in INFORMATION_SCHEMA.ROUTINES and PARAMETERS as BigQuery does.

    BigQuery: ROUTINES has ``routine_type`` ``FUNCTION``, ``PROCEDURE`` or ``TABLE FUNCTION``,
    the body as ``routine_definition`` and the CREATE statement as ``ddl``; PARAMETERS lists
    each argument (``parameter_mode``, ``parameter_name``, ``data_type``, 1-based
    ``ordinal_position``) and a function's return type at position 0. The engine: reported the
    REST names (``SCALAR_FUNCTION``), no definition, a placeholder DDL, and had no PARAMETERS.
    """
    from bqemulator.sql import inner_query
    from bqemulator.sql.rewriter import information_schema

    project_ds, ds, bare = information_schema._build_patterns("PARAMETERS")
    original = getattr(inner_query, "expand_information_schema")  # noqa: B009

    @functools.wraps(original)
    def expand_information_schema(bq_sql: str, project_id: str, catalog: Any) -> str:
        if "INFORMATION_SCHEMA" in bq_sql.upper():

            def qualified(match: re.Match[str]) -> str:
                project, dataset = match["project"], match["dataset"]
                return _parameters_view(catalog.list_routines(project, dataset), project, dataset)

            def in_project(match: re.Match[str]) -> str:
                dataset = match["dataset"]
                routines = catalog.list_routines(project_id, dataset)
                return _parameters_view(routines, project_id, dataset)

            bq_sql = project_ds.sub(qualified, bq_sql)
            bq_sql = ds.sub(in_project, bq_sql)
            bq_sql = bare.sub(lambda _match: _parameters_view((), "", ""), bq_sql)
        expanded: str = original(bq_sql, project_id, catalog)
        return expanded

    _patch(information_schema, "_routines_as_values", _routines_view)
    _patch(
        information_schema, "_empty_routines_values_subquery", lambda: _routines_view((), "", "")
    )
    _patch(inner_query, "expand_information_schema", expand_information_schema)


def _temp_tables(engine: Any) -> set[str]:
    rows = engine.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
    return {str(row[0]) for row in rows}


def drop_temp_tables_after_script() -> None:
    """Drop the temporary tables a script created when the script ends.

    BigQuery: a ``CREATE TEMP TABLE`` of a script or procedure lives until the script ends; the
    next job neither sees it nor collides with its name. The engine: kept every temporary table
    on its single DuckDB connection, so a later script creating the same name failed with
    "Already Exists" and other jobs could read it.
    """
    from bqemulator.jobs import executor

    original = executor._run_script

    @functools.wraps(original)
    async def _run_script(interpreter: Any, source: str, ctx: Any) -> Any:
        before = _temp_tables(ctx.engine)
        try:
            return await original(interpreter, source, ctx)
        finally:
            for name in _temp_tables(ctx.engine) - before:
                quoted = name.replace('"', '""')
                ctx.engine.execute(f'DROP TABLE IF EXISTS temp.main."{quoted}"')

    _patch(executor, "_run_script", _run_script)


def dry_run_scripts_without_running_them() -> None:
    """Validate a script or CREATE FUNCTION/PROCEDURE in a dry run instead of running it.

    BigQuery: a dry run never changes anything; for a script it checks the script and reports
    ``statementType`` ``SCRIPT``. The engine: dry-ran everything that is not a single DML or DDL
    statement by executing it, so a dry run of a script applied it and a dry run of CREATE
    PROCEDURE created the procedure. Such statements are now only parsed; the statements inside
    a script are not checked one by one.
    """
    from bqemulator.api.routes import jobs as job_routes
    from bqemulator.jobs.executor import classify_statement_type
    from bqemulator.scripting.ast import CreateProcedureStmt, SqlStmt
    from bqemulator.scripting.parser import parse_script

    original = job_routes._dry_run_response

    @functools.wraps(original)
    async def _dry_run_response(*, bq_sql: str, **kwargs: Any) -> dict[str, Any]:
        statements = parse_script(bq_sql).statements
        if len(statements) == 1 and isinstance(statements[0], SqlStmt):
            body: dict[str, Any] = await original(bq_sql=bq_sql, **kwargs)
            return body

        # An empty statement gives the engine's dry-run answer without executing anything.
        body = await original(bq_sql="", **kwargs)
        kind = "SCRIPT"
        if len(statements) == 1 and isinstance(statements[0], CreateProcedureStmt):
            kind = "CREATE_PROCEDURE"
        elif len(statements) == 1:
            kind = classify_statement_type(bq_sql) or kind
        body["statementType"] = kind
        return body

    _patch(job_routes, "_dry_run_response", _dry_run_response)


_CURRENT_CLOCK = re.compile(
    r"\bCURRENT_(?P<kind>DATETIME|TIME)\s*\(\s*(?P<empty>\))?", re.IGNORECASE
)


# \xHH, \uHHHH, \UHHHHHHHH and \ooo, or any other escape, which stays as it is.
_CODE_ESCAPE = re.compile(
    r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([0-7]{3})|(.))", re.DOTALL
)
_NAMED_ESCAPES = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _decoded_escape(match: re.Match[str]) -> str:
    if match.group(5) is not None:
        return match.group()
    hexadecimal = match.group(1) or match.group(2) or match.group(3)
    code = int(hexadecimal, 16) if hexadecimal else int(match.group(4), 8)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return match.group()
    char = chr(code)
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    # NUL keeps its escape: the statement text cannot carry it.
    return match.group() if code == 0 else char


def decode_code_point_escapes() -> None:
    """``'\\u00e9'``, ``'\\U0001F600'``, ``'\\x41'`` and ``'\\101'`` in string literals.

    BigQuery: in a (non-raw) string literal these escapes stand for the character with that
    code point. The engine (through sqlglot) kept them as text, so ``'caf\\u00e9'`` was
    nine characters long instead of four. They are decoded in the statement text before
    translation; raw strings, bytes literals and an escaped backslash (``'\\\\u00e9'``) are
    left alone, and so is ``\\x00``.
    """
    from eros_migrate.script import string_literals

    def decode(bq_sql: str) -> str:
        if "\\" not in bq_sql:
            return bq_sql

        pieces: list[str] = []
        done = 0
        for start, end in string_literals(bq_sql):
            literal = bq_sql[start:end]
            if literal[0] not in "'\"" or "\\" not in literal:
                continue  # prefixed (r'', b'', rb''): raw text, or bytes the engine handles
            pieces.append(bq_sql[done:start])
            pieces.append(_CODE_ESCAPE.sub(_decoded_escape, literal))
            done = end
        pieces.append(bq_sql[done:])
        return "".join(pieces)

    _rewrite_before_translation(decode)


def current_datetime_and_time_in_a_zone() -> None:
    """``CURRENT_DATETIME([zone])`` and ``CURRENT_TIME([zone])`` as BigQuery computes them.

    BigQuery: both take an optional time zone (UTC when omitted) and return the wall-clock
    DATETIME or TIME there. The engine: CURRENT_DATETIME was an unknown function and
    CURRENT_TIME ignored its zone. Both become the equivalent DATETIME(CURRENT_TIMESTAMP(), zone).
    """

    def rewrite(sql: str) -> str:
        def replace(match: re.Match[str]) -> str:
            zone = "'UTC')" if match.group("empty") else ""
            clock = f"DATETIME(CURRENT_TIMESTAMP(), {zone}"
            return clock if match.group("kind").upper() == "DATETIME" else f"TIME({clock}"

        if "CURRENT_" not in sql.upper():
            return sql
        rewritten = _CURRENT_CLOCK.sub(replace, sql)
        # CURRENT_TIME(zone) opened one more parenthesis: close it after the zone argument.
        return _close_time_calls(rewritten) if rewritten != sql else sql

    _rewrite_before_translation(rewrite)


def _close_time_calls(sql: str) -> str:
    """Add the closing parenthesis of each ``TIME(DATETIME(CURRENT_TIMESTAMP(), ...)``."""
    marker = "TIME(DATETIME(CURRENT_TIMESTAMP(), "
    out: list[str] = []
    index = 0
    while True:
        found = sql.find(marker, index)
        if found < 0:
            out.append(sql[index:])
            return "".join(out)
        depth = 2
        cursor = found + len(marker)
        while cursor < len(sql) and depth > 1:
            depth += {"(": 1, ")": -1}.get(sql[cursor], 0)
            cursor += 1
        out.append(sql[index:cursor] + ")")
        index = cursor


def report_column_defaults() -> None:
    """``INFORMATION_SCHEMA.COLUMNS.column_default``: the default expression, or NULL.

    BigQuery: the view has a column_default column. The engine: the column was missing, so any
    query naming it failed.
    """
    from bqemulator.sql.rewriter import information_schema as views

    if "column_default" in views._COLUMNS_COLUMNS:
        return
    original = views._column_row_literal

    def row_literal(**kwargs: Any) -> str:
        default = kwargs["field"].default_value_expression
        literal = views._sql_literal(default) if default is not None else "NULL"
        return f"{original(**kwargs)[:-1]}, {literal})"

    views._COLUMNS_COLUMNS = (*views._COLUMNS_COLUMNS, "column_default")
    # A module constant of the engine (declared Final there), extended on purpose.
    setattr(  # noqa: B010
        views, "_COLUMNS_COLUMN_TYPES", (*views._COLUMNS_COLUMN_TYPES, ("column_default", "STRING"))
    )
    views._column_row_literal = row_literal


_PRINTF_SPEC = re.compile(r"%(?:%|[-+ #0]*\d*(?:\.\d+)?(?P<kind>[a-zA-Z]))")


def format_printable_values() -> None:
    """``FORMAT('%t', value)``: the value's printable text, as BigQuery defines ``%t``.

    BigQuery: ``%t`` (and ``%T``, the literal form) print any type. The engine passed the
    format to a C-style printf, which has no such specifier and failed. Each ``%t``/``%T``
    becomes ``%s`` over the argument cast to STRING.
    """
    from bqemulator.sql.rules.datetime_semantics import FormatPrintfRule
    from sqlglot import exp

    original = FormatPrintfRule.rewrite

    @functools.wraps(original)
    def rewrite(self: Any, node: Any) -> Any:
        fmt = node.this
        if not isinstance(fmt, exp.Literal) or not fmt.is_string:
            return original(self, node)

        arguments = list(node.expressions)
        position = 0
        pieces: list[str] = []
        last = 0
        for match in _PRINTF_SPEC.finditer(fmt.this):
            kind = match.group("kind")
            if kind is None:
                continue
            if kind in ("t", "T") and position < len(arguments):
                pieces.append(fmt.this[last : match.start()] + "%s")
                last = match.end()
                argument = arguments[position]
                arguments[position] = exp.cast(argument.copy(), exp.DataType.build("VARCHAR"))
            position += 1
        pieces.append(fmt.this[last:])
        rewritten = exp.Format(this=exp.Literal.string("".join(pieces)), expressions=arguments)
        return original(self, rewritten)

    _patch(FormatPrintfRule, "rewrite", rewrite)


def keep_target_columns_out_of_variable_binding() -> None:
    """Column names that MERGE inserts into or UPDATE assigns stay column names.

    BigQuery: in ``INSERT (page_name, ...)`` of a MERGE and in ``SET page_name = ...`` the names
    are columns of the target table, even where a script variable or procedure parameter has
    the same name. The engine: replaced them with the variable's value and failed with a
    syntax error at "$". (Known gap left: elsewhere the engine lets a variable win over a
    column of the same name, where BigQuery lets the column win; lint's variable-shadows-column
    rule reports such statements.)
    """
    from bqemulator.scripting import interpreter
    from sqlglot import exp

    original = interpreter._rewrite_one_column

    @functools.wraps(original)
    def rewrite_one_column(col: Any, visible: Any, params: Any) -> bool:
        parent = col.parent
        inserted = (
            isinstance(parent, exp.Tuple)
            and isinstance(parent.parent, exp.Insert)
            and parent.arg_key == "this"
        )
        assigned = (
            isinstance(parent, exp.EQ)
            and parent.this is col
            and isinstance(parent.parent, exp.Update)
        )
        if inserted or assigned:
            return False
        return bool(original(col, visible, params))

    _patch(interpreter, "_rewrite_one_column", rewrite_one_column)


FIXES: tuple[Callable[[], None], ...] = (
    skip_spatial_extension,
    balance_procedure_body,
    resolve_calls_in_udf_bodies,
    resolve_project_qualified_calls,
    keep_failed_routines_out_of_the_catalog,
    drop_routines_in_scripts,
    fail_script_jobs_cleanly,
    read_system_variables,
    expose_failing_statement,
    count_dml_rows,
    ignore_unenforced_constraints,
    ignore_language_sql,
    accept_routine_header_clauses,
    zero_based_computed_offsets,
    keep_quantile_index,
    name_offset_columns,
    record_table_metadata,
    report_range_partitioning_and_defaults,
    apply_alter_table_to_metadata,
    run_alter_actions_one_by_one,
    describe_routines_in_information_schema,
    drop_temp_tables_after_script,
    dry_run_scripts_without_running_them,
    current_datetime_and_time_in_a_zone,
    decode_code_point_escapes,
    report_column_defaults,
    format_printable_values,
    keep_target_columns_out_of_variable_binding,
)


def install() -> None:
    """Apply every fix to the engine's classes. Safe to call more than once."""
    global _installed

    with _install_lock:
        if _installed:
            return
        for fix in FIXES:
            fix()
            log.debug("local engine fix applied: %s", fix.__name__)
        _installed = True
