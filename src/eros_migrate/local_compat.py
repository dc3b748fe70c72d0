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


def hydrate_routines_in_dependency_order() -> None:
    """Re-create stored UDFs at start even when one calls another.

    BigQuery: routines are resolved when called. The engine: re-creates each stored SQL UDF as a
    DuckDB macro at start in catalog order; DuckDB resolves a macro's calls when the macro is
    created, so a UDF listed before the UDF it calls was dropped with a warning. Failed
    routines are retried while a pass makes progress.
    """
    from bqemulator.udf.runtime import UDFRegistry, _iter_all_datasets

    def hydrate(self: UDFRegistry, catalog: Any, engine: Any) -> None:
        pending = [
            routine
            for project_id, dataset_id in set(_iter_all_datasets(catalog))
            for routine in catalog.list_routines(project_id, dataset_id)
        ]
        errors: dict[str, str] = {}

        while pending:
            failed = []
            for routine in pending:
                try:
                    self.materialize(routine, engine)
                except Exception as exc:  # retried below, reported if it never succeeds
                    failed.append(routine)
                    errors[routine.routine_id] = str(exc)
            if len(failed) == len(pending):
                break
            pending = failed

        for routine in pending:
            log.warning(
                "could not re-create routine %s.%s: %s",
                routine.dataset_id,
                routine.routine_id,
                errors[routine.routine_id],
            )

    _patch(UDFRegistry, "hydrate", hydrate)


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


FIXES: tuple[Callable[[], None], ...] = (
    skip_spatial_extension,
    balance_procedure_body,
    resolve_calls_in_udf_bodies,
    resolve_project_qualified_calls,
    hydrate_routines_in_dependency_order,
    fail_script_jobs_cleanly,
    read_system_variables,
    expose_failing_statement,
    count_dml_rows,
    ignore_unenforced_constraints,
    ignore_language_sql,
    zero_based_computed_offsets,
    keep_quantile_index,
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
