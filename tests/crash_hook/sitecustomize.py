"""Test instrumentation: kill this process right after the N-th statement the engine runs.

Put this folder on PYTHONPATH and set EROS_TEST_CRASH_AFTER=N. Python imports
`sitecustomize` at start-up; the hook waits until the embedded engine starts, then wraps the
engine's script interpreter so that, once its N-th data or definition statement has finished,
the process receives SIGKILL: no exception, no cleanup, no lock release, exactly like a crash
or a killed CI job. Nothing of this ships with eros-migrate.
"""

from __future__ import annotations

import os
import signal
from typing import Any

COUNTED = ("_exec_sql_stmt", "_exec_create_procedure", "_exec_create_function")


def install(counter: dict[str, int], crash_after: int | None) -> None:
    """Count finished statements in `counter["n"]`; SIGKILL after `crash_after` of them."""
    from bqemulator.scripting.interpreter import ScriptInterpreter

    for name in COUNTED:
        original = getattr(ScriptInterpreter, name)
        if getattr(original, "_crash_hook", False):
            continue

        async def counted(self: Any, stmt: Any, _original: Any = original) -> None:
            await _original(self, stmt)
            counter["n"] += 1
            if crash_after is not None and counter["n"] >= crash_after:
                os.kill(os.getpid(), signal.SIGKILL)

        counted._crash_hook = True  # type: ignore[attr-defined]
        setattr(ScriptInterpreter, name, counted)


def _hook_engine_start() -> None:
    from eros_migrate import local_engine

    crash_after = int(os.environ["EROS_TEST_CRASH_AFTER"])
    counter = {"n": 0}
    original_start = local_engine.LocalEngine.start

    def start(self: Any) -> None:
        original_start(self)
        install(counter, crash_after)

    local_engine.LocalEngine.start = start  # type: ignore[method-assign]


if os.environ.get("EROS_TEST_CRASH_AFTER"):
    _hook_engine_start()
