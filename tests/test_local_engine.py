"""The embedded engine: start, stop, isolation, persistence, and a quiet console."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from eros_migrate.local_engine import LocalEngine

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result")


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalEngine]:
    with LocalEngine(None) as running:
        yield running


def _query(engine: LocalEngine, sql: str) -> list[Any]:
    """Run one job without client-side retries, as eros-migrate does against the engine."""
    job = engine.client().query(sql, retry=None, job_retry=None)  # type: ignore[arg-type]
    return list(job.result())


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_client_reaches_the_engine(engine: LocalEngine) -> None:
    rows = _query(engine, "SELECT 1 + 1 AS two")

    assert engine.rest_url.startswith("http://127.0.0.1:")
    assert engine.client().project == "local-project"
    assert rows[0]["two"] == 2


def test_rest_url_requires_a_running_engine() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        _ = LocalEngine(None).rest_url


def test_start_and_stop_are_idempotent() -> None:
    engine = LocalEngine(None, project="twice")

    engine.start()
    url = engine.rest_url
    engine.start()
    assert engine.rest_url == url

    engine.stop()
    engine.stop()
    assert not engine.running


def test_two_engines_in_one_process_are_isolated(engine: LocalEngine) -> None:
    with LocalEngine(None) as other:
        _query(engine, "CREATE SCHEMA only_in_first")

        first = {d.dataset_id for d in engine.client().list_datasets()}
        second = {d.dataset_id for d in other.client().list_datasets()}

    assert "only_in_first" in first
    assert "only_in_first" not in second


def test_persistent_engine_survives_stop_and_start(tmp_path: Path) -> None:
    data_dir = tmp_path / "nested" / "local"

    with LocalEngine(data_dir) as engine:
        for sql in (
            "CREATE SCHEMA kept",
            "CREATE TABLE kept.t (id INT64)",
            "INSERT INTO kept.t (id) VALUES (1), (2)",
        ):
            _query(engine, sql)

    with LocalEngine(data_dir) as engine:
        rows = _query(engine, "SELECT COUNT(*) AS n FROM kept.t")

    assert rows[0]["n"] == 2


def test_persistent_engine_survives_sigkill(tmp_path: Path) -> None:
    data_dir = tmp_path / "local"
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from pathlib import Path
                from eros_migrate.local_engine import LocalEngine

                engine = LocalEngine(Path({str(data_dir)!r}))
                engine.start()
                client = engine.client()
                for sql in (
                    "CREATE SCHEMA crash",
                    "CREATE TABLE crash.t (id INT64, note STRING)",
                    "INSERT INTO crash.t VALUES (1, 'a'), (2, 'b'), (3, 'c')",
                    "CREATE FUNCTION crash.z_inner(x INT64) AS (x * 10)",
                    "CREATE FUNCTION crash.a_outer(x INT64) AS (crash.z_inner(x) + 1)",
                ):
                    client.query(sql, retry=None, job_retry=None).result()
                print("ready", flush=True)
                time.sleep(60)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(10)

    with LocalEngine(data_dir) as engine:
        sql = "SELECT COUNT(*) AS n, MAX(crash.a_outer(id)) AS top FROM crash.t"
        rows = _query(engine, sql)

    assert writer.returncode == -signal.SIGKILL
    assert (rows[0]["n"], rows[0]["top"]) == (3, 31)


def test_engine_prints_nothing() -> None:
    result = _run_python(
        """
        from eros_migrate.local_engine import LocalEngine

        with LocalEngine(None) as engine:
            client = engine.client()
            client.query("CREATE SCHEMA s", retry=None, job_retry=None).result()
            for sql in (
                "SELECT * FROM s.missing",
                "CREATE PROCEDURE s.p() BEGIN SELECT 1; END",
                "CALL s.p()",
                "RAISE USING MESSAGE = 'boom'",
            ):
                try:
                    client.query(sql, retry=None, job_retry=None).result()
                except Exception:
                    pass
        """
    )

    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")


def test_importing_the_module_does_not_import_the_engine() -> None:
    result = _run_python(
        """
        import sys
        import eros_migrate.local_engine
        loaded = [m for m in sys.modules if m.startswith(("bqemulator", "google.cloud", "duckdb"))]
        print(loaded)
        """
    )

    assert result.stdout.strip() == "[]"


def test_start_time_is_short() -> None:
    started = time.monotonic()
    with LocalEngine(None):
        elapsed = time.monotonic() - started

    # The imports are paid once per process; a later start takes a fraction of a second.
    assert elapsed < 5


def test_serve_runs_until_sigterm(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from pathlib import Path; from eros_migrate.local_engine import serve; "
            f"serve(Path({str(tmp_path)!r}), port={port})",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    client = bigquery.Client(
        project="local-project",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options=ClientOptions(api_endpoint=f"http://127.0.0.1:{port}"),
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                client.query("CREATE SCHEMA served", retry=None, job_retry=None).result()  # type: ignore[arg-type]
                break
            except requests.exceptions.ConnectionError:
                assert time.monotonic() < deadline, "serve() did not start"
                time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)

    with LocalEngine(tmp_path) as engine:
        datasets = {d.dataset_id for d in engine.client().list_datasets()}

    assert server.returncode == 0, err
    assert (out, err) == ("", "")
    assert "served" in datasets
