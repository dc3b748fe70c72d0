"""Concurrent runs: several processes on one target apply every version exactly once.

`eros-migrate serve` runs in a subprocess; each trial gets a fresh dataset on it, and four
`eros-migrate up` processes start at the same moment against a target with engine `bigquery`
and that endpoint. With `--wait` they queue for the lock; without it the losers stop at once
with exit 1 and a message naming the holder. The ledger must show exactly one `up applied`
event per version, from one run, and no lock may be left.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CHAINS, make_project
from tests.reliability.targets import (
    BASIC_OBJECTS,
    SERVED_PROJECT,
    ledger,
    lock_rows,
    new_dataset,
    objects,
)

TRIALS = 20
PROCESSES = 4

# A process spends about a second importing before it does anything, and that second varies
# by more than a whole run of the chain takes; so every process imports first, reports
# "armed", and all are released together.
ARMED_UP = """
import sys
from eros_migrate import bigquery, cli, commands, lint  # noqa: F401
print("armed", flush=True)
sys.stdin.readline()
cli.main(sys.argv[1:])
"""


LOCKED = re.compile(r"is locked by (run \S+ by worker-\d \(up\)|another run \(it has just)")

figures: Counter[str] = Counter()


@dataclass
class Served:
    endpoint: str
    process: subprocess.Popen[str]
    data_dir: Path

    def client(self) -> Any:
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        return bigquery.Client(
            project=SERVED_PROJECT,
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options=ClientOptions(api_endpoint=self.endpoint),
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One `eros-migrate serve` for all trials; each trial has its own dataset."""
    folder = tmp_path_factory.mktemp("served")
    port = free_port()
    # stderr goes to a file: a pipe nobody reads would block the server once it is full.
    stderr = (folder / "stderr.txt").open("w+", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "eros_migrate.cli", "serve", "--port", str(port),
         "--data-dir", str(folder / "data")],
        stdout=subprocess.PIPE, stderr=stderr, text=True,
    )
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(2)]
    assert lines[0].startswith("endpoint: "), [*lines, (folder / "stderr.txt").read_text()]
    assert lines[1].startswith("ready: "), lines
    endpoint = lines[0].removeprefix("endpoint: ").strip()
    assert endpoint == f"http://127.0.0.1:{port}"
    yield Served(endpoint, process, folder / "data")

    print(f"\nconcurrent runs: {dict(sorted(figures.items()))}")
    process.terminate()
    out, _ = process.communicate(timeout=30)
    stderr.close()
    err = (folder / "stderr.txt").read_text(encoding="utf-8")
    assert process.returncode == 0, err
    assert out.strip() == "stopped", out
    # Quiet at default verbosity: the engine's own warnings are diagnostics (--debug).
    assert err == "", err[:2000]


def write_project(root: Path, endpoint: str, dataset: str) -> None:
    root.mkdir()
    (root / "migrations").symlink_to(CHAINS / "basic")
    (root / "eros-migrate.toml").write_text(
        "[targets.remote]\n"
        'engine = "bigquery"\n'
        f'project = "{SERVED_PROJECT}"\n'
        f'dataset = "{dataset}"\n'
        f'endpoint = "{endpoint}"\n',
        encoding="utf-8",
    )


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def race(root: Path, *up_args: str) -> list[Outcome]:
    """Start PROCESSES `eros-migrate up` on one project together; wait for all."""
    processes = []
    for number in range(PROCESSES):
        env = {**os.environ, "EROS_MIGRATE_ACTOR": f"worker-{number}"}
        processes.append(subprocess.Popen(
            [sys.executable, "-c", ARMED_UP, "--project-dir", str(root), "up", *up_args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env,
        ))
    for process in processes:
        assert process.stdout is not None
        assert process.stdout.readline() == "armed\n"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()

    outcomes = []
    for process in processes:
        out, err = process.communicate(timeout=180)
        outcomes.append(Outcome(process.returncode, out, err))
    return outcomes


def check_applied_once(served: Served, dataset: str, outcomes: list[Outcome]) -> None:
    client = served.client()
    events = ledger(client, dataset)
    assert [(version, direction, status) for version, direction, status, _ in events] == [
        (1, "up", "applied"), (2, "up", "applied"), (3, "up", "applied"),
    ], outcomes
    assert len({run_id for _, _, _, run_id in events}) == 1, "versions applied by several runs"
    assert objects(client, dataset) == BASIC_OBJECTS
    assert lock_rows(client, dataset) == 0
    assert sum("now at version 3" in outcome.out for outcome in outcomes) == 1, outcomes
    for outcome in outcomes:
        assert "Traceback" not in outcome.err, outcome.err


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(TRIALS))
def test_waiting_runs_apply_each_version_once(
    served: Served, tmp_path: Path, trial: int
) -> None:
    dataset = new_dataset(served.client())
    write_project(tmp_path / "project", served.endpoint, dataset)

    outcomes = race(tmp_path / "project", "--wait", "60")

    assert [outcome.code for outcome in outcomes] == [0] * PROCESSES, outcomes
    check_applied_once(served, dataset, outcomes)
    assert sum("nothing to apply" in outcome.out for outcome in outcomes) == PROCESSES - 1
    figures["waiting trials"] += 1
    figures["waited, then found nothing to apply"] += PROCESSES - 1


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(TRIALS))
def test_runs_without_wait_stop_naming_the_holder(
    served: Served, tmp_path: Path, trial: int
) -> None:
    dataset = new_dataset(served.client())
    write_project(tmp_path / "project", served.endpoint, dataset)

    outcomes = race(tmp_path / "project")

    for outcome in outcomes:
        if outcome.code == 1:
            assert LOCKED.search(outcome.err), outcome.err
            assert "--wait SECONDS" in outcome.err
            figures["stopped at the lock"] += 1
        else:
            assert outcome.code == 0, outcome.err
    check_applied_once(served, dataset, outcomes)
    figures["trials without wait"] += 1


def test_a_local_target_on_a_served_folder_is_refused(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(tmp_path, capsys)
    (tmp_path / "eros-migrate.toml").write_text(
        f'[targets.local]\nengine = "local"\ndataset = "eros"\ndata_dir = "{served.data_dir}"\n',
        encoding="utf-8",
    )
    result = project.run("up")
    assert result.code == 1, result.err
    assert f"folder {served.data_dir} is in use by another process" in result.err
    assert 'endpoint = "http://127.0.0.1:PORT"' in result.err

