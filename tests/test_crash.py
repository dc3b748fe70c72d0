"""Crash recovery: kill `eros-migrate up` after every statement of the EROS chain in turn.

For every statement boundary of every migration, a real process running `eros-migrate up` is
killed with SIGKILL right after the engine finished that statement (tests/crash_hook). Then a
plain `up` runs on the same persistent engine folder. After each recovery the dataset must be
the same as after an uninterrupted run (tables, columns, partitioning, clustering, routines with
their bodies, views, and the rows), and the ledger must never show a version applied twice.

To keep the run affordable, each trial starts from a copy of the engine folder as the
uninterrupted run left it before the migration under test, recovers with `up --to` that
migration and compares with the reference state at that version; for the middle boundary of
each migration the recovery goes on to the head and is compared with the final state.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from eros_migrate import commands
from eros_migrate.chain import load_chain
from eros_migrate.config import load_settings
from eros_migrate.local_engine import LocalEngine
from tests.crash_hook.sitecustomize import install

ROOT = Path(__file__).resolve().parent.parent
HOOK = Path(__file__).resolve().parent / "crash_hook"
DATASET = "eros_crash"
TOOL_TABLES = ("_eros_migrate_ledger", "_eros_migrate_lock")

pytestmark = pytest.mark.slow


def write_config(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "eros-migrate.toml").write_text(
        f'migrations = "{ROOT / "migrations"}"\n'
        f'checks = "{ROOT / "checks"}"\n'
        "[targets.local]\n"
        'engine = "local"\n'
        f'dataset = "{DATASET}"\n'
        'data_dir = "engine"\n',
        encoding="utf-8",
    )
    return folder


def capture(folder: Path) -> dict[str, Any]:
    """Everything a migration can change, in comparable form (timestamps left out of rows)."""
    engine = LocalEngine(folder / "engine")
    engine.start()
    try:
        client: Any = engine.client()
        dataset = f"{engine.project}.{DATASET}"
        state: dict[str, Any] = {}
        for item in sorted(client.list_tables(dataset), key=lambda t: t.table_id):
            if item.table_id in TOOL_TABLES:
                continue
            table = client.get_table(f"{dataset}.{item.table_id}")
            columns = [(f.name, f.field_type, f.mode) for f in table.schema]
            entry: dict[str, Any] = {
                "type": table.table_type,
                "columns": columns,
                "partitioning": repr(table.time_partitioning or table.range_partitioning),
                "clustering": table.clustering_fields,
                "description": table.description,
                "view": table.view_query,
            }
            if table.table_type == "TABLE":
                timeless = ("TIMESTAMP", "DATETIME")
                keep = [f"`{f.name}`" for f in table.schema if f.field_type not in timeless]
                query = f"SELECT {', '.join(keep)} FROM `{dataset}.{item.table_id}`"
                rows = client.query(query, retry=None, job_retry=None).result()
                entry["rows"] = sorted(repr(sorted(dict(row).items())) for row in rows)
            state[f"table:{item.table_id}"] = entry
        for item in client.list_routines(dataset):
            routine = client.get_routine(item.reference)
            state[f"routine:{routine.routine_id}"] = {
                "type": routine.type_,
                "arguments": [
                    (a.name, a.data_type.to_api_repr() if a.data_type else None)
                    for a in routine.arguments
                ],
                "returns": routine.return_type.to_api_repr() if routine.return_type else None,
                "body": " ".join((routine.body or "").split()),
            }
        return state
    finally:
        engine.stop()


def ledger_events(folder: Path) -> list[dict[str, Any]]:
    settings = load_settings(folder, environment={})
    return [event.to_dict() for event in commands.history(settings)]


def assert_never_applied_twice(events: list[dict[str, Any]]) -> None:
    applied: Counter[int] = Counter()
    for event in events:
        if event["status"] != "applied":
            continue
        if event["direction"] == "up":
            applied[event["version"]] += 1
            assert applied[event["version"]] == 1, f"version {event['version']} applied twice"
        elif event["direction"] == "down":
            applied[event["version"]] -= 1


def run_killed(folder: Path, version: int, crash_after: int, command: str = "up") -> int:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HOOK), env.get("PYTHONPATH", "")])
    env["EROS_TEST_CRASH_AFTER"] = str(crash_after)
    result = subprocess.run(
        [sys.executable, "-m", "eros_migrate.cli", command, "--to", str(version)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result.returncode


# The hook is installed once per process and keeps counting into the dict it was given first.
_COUNTER = {"n": 0}


def counting_statements(action: Any) -> int:
    """Run `action` in this process and count the statements the engine finishes meanwhile."""
    counter = _COUNTER
    counter["n"] = 0
    original_start = LocalEngine.start

    def start(self: LocalEngine, _start: Any = original_start) -> None:
        _start(self)
        install(counter, None)

    LocalEngine.start = start  # type: ignore[method-assign]
    try:
        action()
    finally:
        LocalEngine.start = original_start  # type: ignore[method-assign]
    return counter["n"]


def without_backups(state: dict[str, Any]) -> dict[str, Any]:
    """Backup clones are named after their run, so two runs never name them alike."""
    return {key: value for key, value in state.items() if "_eros_migrate_backup_" not in key}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Apply the chain one migration at a time, keeping the engine folder and state after each."""
    base = tmp_path_factory.mktemp("crash_reference")
    folder = write_config(base / "reference")
    settings = load_settings(folder, environment={})
    head = load_chain(settings.migrations_dir).head

    snapshots: dict[int, Path] = {0: base / "empty"}
    (base / "empty").mkdir()
    states: dict[int, dict[str, Any]] = {}
    statements: dict[int, int] = {}
    for version in range(1, head + 1):
        statements[version] = counting_statements(
            lambda version=version: commands.up(settings, to=str(version))
        )
        snapshots[version] = base / f"after_{version}"
        shutil.copytree(folder / "engine", snapshots[version])
        states[version] = capture(folder)
    return {"head": head, "snapshots": snapshots, "states": states, "statements": statements}


def test_every_statement_boundary_recovers(
    reference: dict[str, Any], tmp_path: Path
) -> None:
    head: int = reference["head"]
    trials = 0
    full_recoveries = 0
    for version in range(1, head + 1):
        boundaries = reference["statements"][version]
        assert boundaries > 0
        for crash_after in range(1, boundaries + 1):
            folder = write_config(tmp_path / f"v{version}_s{crash_after}")
            source = reference["snapshots"][version - 1]
            if any(source.iterdir()):
                shutil.copytree(source, folder / "engine")

            code = run_killed(folder, version, crash_after)
            assert code in (-9, 0), f"version {version}, boundary {crash_after}: exit {code}"

            to_head = crash_after == (boundaries + 1) // 2
            settings = load_settings(folder, environment={})
            commands.up(settings, to=None if to_head else str(version))
            expected = reference["states"][head if to_head else version]
            assert capture(folder) == expected, f"version {version}, boundary {crash_after}"
            assert_never_applied_twice(ledger_events(folder))

            trials += 1
            full_recoveries += to_head
            shutil.rmtree(folder)

    print(f"\ncrash trials: {trials} boundaries killed and recovered, "
          f"{full_recoveries} of them recovered to the head")


def test_holiday_calendar_down_recovers_after_every_statement(tmp_path: Path) -> None:
    """0012's down rebuilds holiday_calendar in its v1 shape and puts the carried v1 rows back.
    Killed after any statement, a second down must end in the same state as an uninterrupted
    one, carried rows included."""
    base = write_config(tmp_path / "base")
    settings = load_settings(base, environment={})
    commands.up(settings, to="11")
    engine = LocalEngine(base / "engine")
    engine.start()
    try:
        table = f"{engine.project}.{DATASET}.holiday_calendar"
        engine.client().query(
            f"INSERT `{table}` (holiday_date, name) "
            "VALUES (DATE '2031-03-01', 'founders day'), (DATE '2031-04-01', NULL)"
        ).result()
    finally:
        engine.stop()
    commands.up(settings, to="12")

    uninterrupted = write_config(tmp_path / "uninterrupted")
    shutil.copytree(base / "engine", uninterrupted / "engine")
    boundaries = counting_statements(
        lambda: commands.down(load_settings(uninterrupted, environment={}), to="11")
    )
    expected = without_backups(capture(uninterrupted))
    rows = expected["table:holiday_calendar"]["rows"]
    assert len(rows) == 2 and "founders day" in rows[0]
    assert boundaries > 5

    for crash_after in range(1, boundaries + 1):
        folder = write_config(tmp_path / f"down_s{crash_after}")
        shutil.copytree(base / "engine", folder / "engine")

        code = run_killed(folder, 11, crash_after, command="down")
        assert code in (-9, 0), f"boundary {crash_after}: exit {code}"

        commands.down(load_settings(folder, environment={}), to="11")
        assert without_backups(capture(folder)) == expected, f"boundary {crash_after}"
        shutil.rmtree(folder)
