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


FIXES: tuple[Callable[[], None], ...] = (
    skip_spatial_extension,
    balance_procedure_body,
    resolve_calls_in_udf_bodies,
    resolve_project_qualified_calls,
    hydrate_routines_in_dependency_order,
    fail_script_jobs_cleanly,
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
