"""Flaky networks and quotas: transient failures are retried, nothing is applied twice.

The target is the embedded engine reached through an endpoint, as BigQuery is; the client's
HTTP session goes through `FaultyAdapter`, which fails a seeded random share of requests with
rate limits, 5xx answers, resets, lost answers and timeouts.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from eros_migrate import bigquery
from eros_migrate.bigquery import Connection, connect
from eros_migrate.config import TargetConfig
from eros_migrate.errors import TargetError
from eros_migrate.local_engine import LocalEngine
from tests.reliability.faults import (
    FaultLog,
    FaultyAdapter,
    FixedFault,
    job_inserts,
)
from tests.reliability.targets import (
    BASIC_OBJECTS,
    SERVED_PROJECT,
    endpoint_project,
    ledger,
    lock_rows,
    new_dataset,
    objects,
)

RUNS = 100
FAULT_RATE = 0.15
SEED = 20261203

CYCLE = [
    (1, "up"), (2, "up"), (3, "up"),
    (3, "down"), (2, "down"), (1, "down"),
    (1, "up"), (2, "up"), (3, "up"),
]


def connection_to(engine: LocalEngine, dataset: str) -> TargetConfig:
    return TargetConfig(
        name="remote", engine="bigquery", project=SERVED_PROJECT, dataset=dataset,
        endpoint=engine.rest_url,
    )


@pytest.mark.slow
def test_random_faults_never_apply_twice(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    engine: LocalEngine,
    monkeypatch: pytest.MonkeyPatch,
    fast_retries: None,
) -> None:
    # At a 15 % fault rate a job of several requests fails one attempt in three; a budget of
    # 8 attempts keeps a run from exhausting it by chance, which is what a bound is for.
    monkeypatch.setattr(bigquery, "MAX_ATTEMPTS", 8)
    log = FaultLog()
    adapter = FaultyAdapter(random.Random(SEED), FAULT_RATE, log=log)
    monkeypatch.setattr(bigquery, "transport_adapter", lambda: adapter)
    client = engine.client()

    for run in range(RUNS):
        dataset = new_dataset(client)
        project = endpoint_project(tmp_path / f"run{run}", capsys, engine.rest_url, dataset)
        for args in (("up",), ("down", "--to", "0"), ("up",)):
            result = project.run(*args)
            assert result.code == 0, (run, args, result.err)
            assert "Traceback" not in result.err

        events = ledger(client, dataset)
        assert [(version, direction) for version, direction, _, _ in events] == CYCLE, run
        assert {status for _, _, status, _ in events} == {"applied"}
        assert objects(client, dataset) == BASIC_OBJECTS
        assert lock_rows(client, dataset) == 0

    # The dangerous case happened, and often: inserts that ran but whose answer was lost.
    assert log.lost_job_inserts >= 20
    assert set(log.injected) == set(adapter.kinds)
    with capsys.disabled():
        print(f"\nfault injection: {RUNS} runs, {log.requests} requests, {log.total} faults "
              f"{dict(sorted(log.injected.items()))}, {log.lost_job_inserts} lost job inserts")


def test_a_lost_insert_answer_does_not_run_the_job_twice(
    engine: LocalEngine, monkeypatch: pytest.MonkeyPatch, fast_retries: None
) -> None:
    monkeypatch.setattr(bigquery, "MAX_ATTEMPTS", 8)
    client = engine.client()
    dataset = new_dataset(client)
    client.query(f"CREATE TABLE `{SERVED_PROJECT}.{dataset}.t` (x INT64)").result()

    # Every request fails once, after the server has handled it.
    log = FaultLog()
    adapter = FaultyAdapter(random.Random(SEED), 1.0, kinds=("lost_answer",), log=log)
    with connect(connection_to(engine, dataset), "r1", adapter=adapter) as connection:
        connection.run(f"INSERT INTO `{SERVED_PROJECT}.{dataset}.t` VALUES (1)")

    assert log.lost_job_inserts == 1
    rows = client.query(f"SELECT COUNT(*) AS n FROM `{SERVED_PROJECT}.{dataset}.t`").result()
    assert next(iter(rows))["n"] == 1


def test_the_local_engine_runs_a_duplicate_job_id_again(engine: LocalEngine) -> None:
    """Why the adapter looks for a job before resending it: this engine gives no 409.

    BigQuery answers a second insert of one job id with 409 Conflict. If the engine learns to,
    this test fails and can go; the adapter is safe either way.
    """
    client = engine.client()
    dataset = new_dataset(client)
    table = f"`{SERVED_PROJECT}.{dataset}.t`"
    client.query(f"CREATE TABLE {table} (x INT64)").result()
    for _ in range(2):
        client.query(f"INSERT INTO {table} VALUES (1)", job_id=f"dup_{dataset}",
                     job_retry=None).result()
    rows = client.query(f"SELECT COUNT(*) AS n FROM {table}").result()
    assert next(iter(rows))["n"] == 2


@pytest.mark.parametrize(
    ("kind", "attempts", "message"),
    [
        ("backend_503", 5, "still failed after 5 attempts"),
        ("rate_limit", 5, "still failed after 5 attempts"),
        ("rate_limit_403", 5, "still failed after 5 attempts"),
        ("forbidden", 1, "permission denied"),
        ("unauthorized", 1, "cannot authenticate"),
    ],
)
def test_retries_stop_at_the_bound_and_permanent_errors_are_not_retried(
    engine: LocalEngine, fast_retries: None, kind: str, attempts: int, message: str
) -> None:
    dataset = new_dataset(engine.client())
    adapter = FixedFault(kind, job_inserts)
    with (
        connect(connection_to(engine, dataset), "r1", adapter=adapter) as connection,
        pytest.raises(TargetError, match=message) as raised,
    ):
        connection.run("SELECT 1")
    assert adapter.hits == attempts
    assert isinstance(connection, Connection)
    assert raised.value.exit_code == 1


def test_backoff_doubles_with_jitter_and_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bigquery, "BASE_DELAY_S", 1.0)
    monkeypatch.setattr(bigquery, "MAX_DELAY_S", 6.0)
    delays = {attempt: [bigquery.backoff_delay(attempt) for _ in range(200)]
              for attempt in (1, 2, 3, 4)}
    assert all(0.5 <= d <= 1.0 for d in delays[1])
    assert all(1.0 <= d <= 2.0 for d in delays[2])
    assert all(2.0 <= d <= 4.0 for d in delays[3])
    assert all(3.0 <= d <= 6.0 for d in delays[4])
    assert len(Counter(round(d, 6) for d in delays[2])) > 100, "no jitter"
