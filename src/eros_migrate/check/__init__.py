"""`eros-migrate check`: GoogleSQL's own analyzer over the whole chain, offline.

Lint knows whether a statement parses; check knows whether it would run: it replays the chain
from version 1 against a catalog of the target dataset (tables, views, functions, procedures,
variables) and analyses every statement, procedure bodies included, with the analyzer
BigQuery's dialect comes from (the `zetasql` package, an optional extra). Errors BigQuery would
raise at run time (a STRING inserted into a DATE column, an unknown column in a view, a UDF
called with the wrong types, a CALL with the wrong arguments) become findings at their line.

This module imports nothing heavy: the analyzer is loaded inside `check_chain`, so `--help`
and `lint` never pay for it.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from eros_migrate.errors import InputError

if TYPE_CHECKING:
    from eros_migrate.chain import Chain
    from eros_migrate.check.analyzer import Analyzer
    from eros_migrate.config import Settings, TargetConfig
    from eros_migrate.findings import Finding

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'eros-migrate[check]'"


class CheckUnavailable(InputError):
    """The optional analyzer is not installed."""


class CheckFailed(InputError):
    """Check reported at least one error; nothing was applied."""


def available() -> bool:
    """Whether the analyzer's packages (zetasql, wasmtime) are installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("zetasql", "wasmtime"))


def require() -> None:
    if not available():
        raise CheckUnavailable(
            "eros-migrate check needs GoogleSQL's analyzer (the zetasql package), which is "
            "not installed",
            hint=f"install it with: {INSTALL_HINT}",
        )


def is_warm() -> bool:
    """Whether the compiled analyzer is cached, so that loading it takes milliseconds."""
    from eros_migrate.check.analyzer import is_cached

    return is_cached()


_shared: Analyzer | None = None


def shared_analyzer() -> Analyzer:
    """One analyzer per process: loading is cheap once cached, but not free."""
    global _shared
    require()
    if _shared is None:
        from eros_migrate.check.analyzer import Analyzer

        _shared = Analyzer()
    return _shared


def check_chain(
    settings: Settings,
    chain: Chain,
    target: TargetConfig,
    to: int | None = None,
    *,
    downs: bool = True,
    analyzer: Analyzer | None = None,
    reuse_results: bool = True,
    on_compile: Callable[[], None] | None = None,
) -> list[Finding]:
    """Analyse the up migrations 1..`to` (default: head) in order; with `downs`, also each
    down migration against the state its up left.

    With `reuse_results`, analyses of earlier runs are taken from `.eros/check`, so the
    analyzer is loaded only for statements (or catalogs) that changed since. `on_compile` is
    called before the analyzer module has to be compiled (a minute, once per machine).

    Raises `CheckUnavailable` when the extra is not installed.
    """
    require()
    from eros_migrate.check.catalog import Catalog
    from eros_migrate.check.runner import FileChecker
    from eros_migrate.check.session import Session, results_file

    def load() -> Analyzer:
        if analyzer is not None:
            return analyzer
        if on_compile is not None and not is_warm():
            on_compile()
        return shared_analyzer()

    session = Session(load, results_file(settings.root) if reuse_results else None)
    catalog = Catalog(session, target.project, target.dataset)
    checker = FileChecker(session, catalog, settings.placeholder_values(target))
    last = chain.head if to is None else to

    findings: list[Finding] = []
    for migration in chain.migrations:
        if migration.version > last:
            break
        log.debug("checking %s", migration.name)
        findings += checker.check_file(migration.up.text, str(migration.up.path))

        if downs:
            after_up = catalog.snapshot()
            findings += checker.check_file(migration.down.text, str(migration.down.path))
            catalog.restore(after_up)

    session.save()
    return findings


def check_project(
    settings: Settings,
    target_name: str | None,
    to: str | None = None,
    on_compile: Callable[[], None] | None = None,
) -> list[Finding]:
    """What `eros-migrate check` runs: the project's chain up to `to` (a version or tag)."""
    from eros_migrate.chain import load_chain

    require()
    target = settings.target(target_name)
    chain = load_chain(settings.migrations_dir)
    last = chain.resolve(to) if to is not None else None
    return check_chain(settings, chain, target, last, on_compile=on_compile)


def refuse_errors(findings: list[Finding]) -> None:
    """Raise `CheckFailed` naming the first errors, as `up --check` needs."""
    errors = [finding for finding in findings if finding.severity == "error"]
    if not errors:
        return

    shown = "\n  ".join(str(finding) for finding in errors[:10])
    more = f"\n  ... and {len(errors) - 10} more" if len(errors) > 10 else ""
    raise CheckFailed(
        f"check reported {len(errors)} error(s); nothing was applied:\n  {shown}{more}",
        file=errors[0].file,
        line=errors[0].line,
        column=errors[0].column,
        hint="fix them, or suppress one with `-- eros-migrate: ignore check: reason`; "
        "`eros-migrate check` shows every finding",
    )


__all__ = [
    "INSTALL_HINT",
    "CheckFailed",
    "CheckUnavailable",
    "available",
    "check_chain",
    "check_project",
    "is_warm",
    "refuse_errors",
]
