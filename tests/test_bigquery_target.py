"""The `bigquery` engine path: the same code, through an endpoint, against a served engine.

A real BigQuery project is out of reach here; the embedded engine served over HTTP stands in
for it, reached exactly as BigQuery is (engine `bigquery`, `endpoint`), so the adapter, labels,
byte limits and error translation run for real.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eros_migrate.local_engine import LocalEngine
from tests.conftest import Project, make_project


@pytest.fixture(scope="module")
def served() -> Iterator[LocalEngine]:
    engine = LocalEngine(None, project="served-project")
    engine.start()
    yield engine
    engine.stop()


def remote_project(
    root: Path, capsys: pytest.CaptureFixture[str], engine: LocalEngine, create: bool = True
) -> tuple[Project, str]:
    project = make_project(root, capsys)
    dataset = f"remote_{uuid.uuid4().hex[:8]}"
    if create:
        engine.client().create_dataset(f"served-project.{dataset}")
    (root / "eros-migrate.toml").write_text(
        "[targets.remote]\n"
        'engine = "bigquery"\n'
        'project = "served-project"\n'
        f'dataset = "{dataset}"\n'
        f'endpoint = "{engine.rest_url}"\n'
        "maximum_bytes_billed = 1000000000\n"
        'labels = { team = "eros" }\n',
        encoding="utf-8",
    )
    return project, dataset


def test_chain_applies_through_an_endpoint(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    served: LocalEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from google.cloud import bigquery

    project, dataset = remote_project(tmp_path, capsys, served)
    sent: dict[str, Any] = {}
    original = bigquery.Client.query

    def recording_query(self: Any, query: str, job_config: Any = None, **kwargs: Any) -> Any:
        # The engine does not keep job labels, so they are read where they leave the client.
        sent[kwargs["job_id"]] = job_config
        return original(self, query, job_config=job_config, **kwargs)

    monkeypatch.setattr(bigquery.Client, "query", recording_query)

    result = project.run("up")
    assert result.code == 0, result.err
    assert not (tmp_path / ".eros").exists(), "no local engine should start for this target"

    history = json.loads(project.run("history", "--format", "json").out)
    assert [event["version"] for event in history] == [1, 2, 3]

    config = sent[history[0]["job_ids"][0]]
    assert config.labels["tool"] == "eros-migrate"
    assert config.labels["team"] == "eros"
    assert config.labels["run"] == history[0]["run_id"].lower()
    assert config.maximum_bytes_billed == 1000000000
    assert all(job.labels["tool"] == "eros-migrate" for job in sent.values())

    tables = {table.table_id for table in served.client().list_tables(f"served-project.{dataset}")}
    assert {"events", "_eros_migrate_ledger", "_eros_migrate_lock"} <= tables


def test_missing_dataset_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], served: LocalEngine
) -> None:
    project, dataset = remote_project(tmp_path, capsys, served, create=False)

    result = project.run("up")
    assert result.code == 1
    assert f"dataset served-project.{dataset} does not exist" in result.err
    assert "bq mk" in result.err


def test_unreachable_endpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("eros_migrate.bigquery.BASE_DELAY_S", 0.01)
    project = make_project(tmp_path, capsys)
    (tmp_path / "eros-migrate.toml").write_text(
        "[targets.remote]\n"
        'engine = "bigquery"\n'
        'project = "served-project"\n'
        'dataset = "nowhere"\n'
        'endpoint = "http://127.0.0.1:9"\n',
        encoding="utf-8",
    )
    result = project.run("status")
    assert result.code == 1
    assert "did not answer" in result.err
    assert "Traceback" not in result.err


def test_missing_key_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path, capsys)
    (tmp_path / "eros-migrate.toml").write_text(
        "[targets.prod]\n"
        'engine = "bigquery"\n'
        'project = "some-project"\n'
        'dataset = "eros"\n'
        'credentials = "keys/missing.json"\n',
        encoding="utf-8",
    )
    result = project.run("status")
    assert result.code == 1
    assert "credentials file" in result.err and "does not exist" in result.err


def test_wrong_key_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path, capsys)
    (tmp_path / "key.json").write_text('{"type": "service_account"}')
    (tmp_path / "eros-migrate.toml").write_text(
        "[targets.prod]\n"
        'engine = "bigquery"\n'
        'project = "some-project"\n'
        'dataset = "eros"\n'
        'credentials = "key.json"\n',
        encoding="utf-8",
    )
    result = project.run("status")
    assert result.code == 1
    assert "is not a service-account key" in result.err
