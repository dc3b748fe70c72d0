"""More bad input: each case gets a clear message, the right exit status, and changes nothing.

Completes tests/test_bad_input.py. Input errors exit 2 before any target is touched (the local
engine's folder is never created); target errors exit 1 and leave the dataset as it was (no
ledger, no objects). No case may print a traceback.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from eros_migrate import bigquery
from eros_migrate.local_engine import LocalEngine
from tests.conftest import CliResult, Project
from tests.reliability.faults import FixedFault, job_inserts
from tests.reliability.targets import SERVED_PROJECT, endpoint_project, new_dataset

DOWN = "SELECT 1;\n"


def refused(project: Project, *expected: str, args: tuple[str, ...] = ("up",)) -> CliResult:
    """Exit 2, every expected text in the message, no traceback, no target started."""
    result = project.run(*args)
    assert result.code == 2, result.err
    for text in expected:
        assert text in result.err, result.err
    assert "Traceback" not in result.err
    assert not (project.root / ".eros").exists(), "the target was touched"
    return result


def target_failed(result: CliResult, *expected: str) -> None:
    assert result.code == 1, result.err
    for text in expected:
        assert text in result.err, result.err
    assert "Traceback" not in result.err


def untouched(engine: LocalEngine, dataset: str) -> None:
    """The dataset holds nothing: no ledger, no lock table, no migrated object."""
    tables = list(engine.client().list_tables(f"{SERVED_PROJECT}.{dataset}"))
    assert tables == []


def add(project: Project, up: str, down: str = DOWN, name: str = "0004_bad") -> str:
    project.write(f"{name}.up.sql", up)
    project.write(f"{name}.down.sql", down)
    return f"{name}.up.sql"


# --- Migrations that do not parse or do not split --------------------------------------------


def test_malformed_sql_is_a_parse_error(project: Project) -> None:
    name = add(project, "SELECT 1;\nSELECT * FROM WHERE x = ;\n")
    refused(project, f"{name}:2:15", "[parse-error]", "nothing was applied")


def test_lint_names_the_same_parse_error(project: Project) -> None:
    name = add(project, "SELECT 1;\nSELECT * FROM WHERE x = ;\n")
    result = refused(project, f"{name}:2:15", "[parse-error]", args=("lint",))
    assert "1 error(s)" in result.out


def test_stray_end_if(project: Project) -> None:
    name = add(project, "SELECT 1;\nEND IF;\n")
    refused(project, f"{name}:2:1", "does not close anything")


def test_elsif_is_not_bigquery(project: Project) -> None:
    name = add(project, "IF TRUE THEN\n  SELECT 1;\nELSIF FALSE THEN\n  SELECT 2;\nEND IF;\n")
    refused(project, f"{name}:3:1", "ELSIF", "ELSEIF")


def test_doubled_comma_in_a_column_list(project: Project) -> None:
    add(
        project,
        "CREATE TABLE `${project}.${dataset}.t` (x INT64,, y STRING);\n",
        "-- eros-migrate: allow destructive: undoes the up\n"
        "DROP TABLE IF EXISTS `${project}.${dataset}.t`;\n",
    )
    refused(project, "0004_bad.up.sql:1:49", "[parse-error]", "remove the extra comma")


# --- Chain files ----------------------------------------------------------------------------


def test_tags_file_that_is_not_toml(project: Project) -> None:
    (project.migrations / "tags.toml").write_text("first = 1\nall = [3\n", encoding="utf-8")
    refused(project, "tags.toml", "cannot read tags")


def test_down_file_without_its_up(project: Project) -> None:
    project.write("0004_orphan.down.sql", DOWN)
    refused(project, "0004_orphan.down.sql", "migration 4 has no up file", "0004_orphan.up.sql")


def test_missing_migrations_folder(project: Project) -> None:
    for path in project.migrations.iterdir():
        path.unlink()
    project.migrations.rmdir()
    refused(project, "migrations folder", "does not exist", "eros-migrate new")


def test_down_without_a_bound(project: Project) -> None:
    refused(project, "down needs --to VERSION|TAG or --steps N", args=("down",))


def test_down_by_zero_steps(project: Project) -> None:
    refused(project, "--steps must be at least 1", args=("down", "--steps", "0"))


def test_ten_megabyte_migration_is_refused_at_once(project: Project) -> None:
    # Linting it would take a minute and BigQuery would refuse the job: one query is at most
    # 1,024K characters, and a migration is sent as one job.
    row = ("INSERT INTO `${project}.${dataset}.events` (event_id, kind, happened_at) "
           "VALUES ('e%07d', 'k', TIMESTAMP '2025-01-01 00:00:00+00');\n")
    count = 10 * 1024 * 1024 // len(row % 0) + 1
    add(project, "".join(row % number for number in range(count)),
        "DELETE FROM `${project}.${dataset}.events` WHERE kind = 'k';\n")
    assert (project.migrations / "0004_bad.up.sql").stat().st_size >= 10 * 1024 * 1024

    started = time.monotonic()
    refused(project, "0004_bad.up.sql", "10.5 MB", "1,048,576 characters", "bq load")
    assert time.monotonic() - started < 10


# --- Configuration --------------------------------------------------------------------------


def config(project: Project, text: str) -> None:
    (project.root / "eros-migrate.toml").write_text(text, encoding="utf-8")


def test_unknown_engine(project: Project) -> None:
    config(project, '[targets.local]\nengine = "postgres"\ndataset = "eros"\n')
    refused(project, "eros-migrate.toml", "engine must be 'local' or 'bigquery'")


def test_unknown_setting(project: Project) -> None:
    config(project, 'migration = "sql"\n')
    refused(project, "eros-migrate.toml", "unknown setting(s): migration")


def test_bigquery_target_without_project(project: Project) -> None:
    config(project, '[targets.prod]\nengine = "bigquery"\ndataset = "eros"\n')
    refused(project, "names no project", 'project = "my-project"')


def test_endpoint_without_scheme(project: Project) -> None:
    config(project, '[targets.r]\nengine = "bigquery"\nproject = "proj-one"\n'
                    'dataset = "eros"\nendpoint = "127.0.0.1:9050"\n')
    refused(project, "is not an http(s) URL", "http://127.0.0.1:9050")


def test_project_from_environment_cannot_inject(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EROS_MIGRATE_PROJECT", "p`; DROP SCHEMA x; --")
    refused(project, "not a valid BigQuery project id")


def test_dataset_from_environment_with_a_newline(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EROS_MIGRATE_DATASET", "eros\n; DROP TABLE t")
    refused(project, "not a valid BigQuery dataset name")


# --- Credentials ----------------------------------------------------------------------------


def bigquery_with_key(project: Project, key: Path) -> None:
    config(project, '[targets.prod]\nengine = "bigquery"\nproject = "proj-one"\n'
                    f'dataset = "eros"\ncredentials = "{key.name}"\n')


def test_key_file_that_is_a_certificate(project: Project) -> None:
    key = project.root / "cert.pem"
    key.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    bigquery_with_key(project, key)
    result = project.run("up")
    target_failed(result, "cert.pem is not a service-account key", "download a JSON key")


def test_key_file_with_a_broken_private_key(project: Project) -> None:
    key = project.root / "key.json"
    key.write_text(json.dumps({
        "type": "service_account", "project_id": "proj-one", "private_key_id": "k1",
        "private_key": "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
        "client_email": "migrate@proj-one.iam.gserviceaccount.com", "client_id": "1",
        "token_uri": "http://127.0.0.1:9/token",
    }))
    bigquery_with_key(project, key)
    result = project.run("up")
    target_failed(result, "key.json is not a service-account key")
    assert "bm90IGEga2V5" not in result.err


# --- The target refuses ---------------------------------------------------------------------


def test_permission_denied(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: LocalEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The engine has no IAM: the 403 BigQuery sends to an account without Job User is injected.
    dataset = new_dataset(engine.client())
    project = endpoint_project(tmp_path, capsys, engine.rest_url, dataset)
    adapter = FixedFault("forbidden", job_inserts)
    monkeypatch.setattr(bigquery, "transport_adapter", lambda: adapter)

    target_failed(project.run("up"), "permission denied", "Job User")
    assert adapter.hits == 1, "a permission error is not retried"
    untouched(engine, dataset)


def test_expired_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: LocalEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dataset = new_dataset(engine.client())
    project = endpoint_project(tmp_path, capsys, engine.rest_url, dataset)
    adapter = FixedFault("unauthorized")
    monkeypatch.setattr(bigquery, "transport_adapter", lambda: adapter)

    target_failed(project.run("up"), "cannot authenticate", "gcloud auth")
    assert adapter.hits == 1
    untouched(engine, dataset)


def test_missing_dataset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: LocalEngine
) -> None:
    project = endpoint_project(tmp_path, capsys, engine.rest_url, "never_created")
    target_failed(project.run("up"), "dataset served-project.never_created does not exist",
                  "bq mk")
    datasets = {item.dataset_id for item in engine.client().list_datasets()}
    assert "never_created" not in datasets


def test_unreachable_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fast_retries: None
) -> None:
    project = endpoint_project(tmp_path, capsys, "http://127.0.0.1:9", "eros")
    started = time.monotonic()
    target_failed(project.run("up"), "did not answer after 5 attempts", "check the network")
    assert time.monotonic() - started < 30


def test_placeholder_outside_backticks_fails_on_the_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: LocalEngine
) -> None:
    # `${project}` renders to served-project: outside backticks that is `served - project`.
    # Lint does not see it; the target refuses the migration and nothing of it stays.
    dataset = new_dataset(engine.client())
    project = endpoint_project(tmp_path, capsys, engine.rest_url, dataset)
    for path in project.migrations.glob("*.sql"):
        path.unlink()
    name = add(project, "SELECT ${project} AS owner;\n", name="0001_owner")
    add(project, "SELECT 1;\n", name="0002_next")
    (project.migrations / "tags.toml").unlink()

    result = project.run("up")
    target_failed(result, f"{name}:1", "up 0001_owner failed at statement 1 of 1")
    history = json.loads(project.run("history", "--format", "json").out)
    assert [(e["version"], e["status"]) for e in history] == [(1, "failed")]
    tables = {t.table_id for t in engine.client().list_tables(f"{SERVED_PROJECT}.{dataset}")}
    assert tables == {"_eros_migrate_ledger", "_eros_migrate_lock"}
