"""`rehearse` on the embedded engine: a sound chain passes, a down that leaves an object fails.

Each rehearsal must leave no sandbox dataset behind, whatever happened in it.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eros_migrate import check, rehearse
from eros_migrate.chain import load_chain
from eros_migrate.config import load_settings
from eros_migrate.errors import ChainError
from eros_migrate.fingerprint import Neutraliser
from eros_migrate.local_engine import LocalEngine
from tests.conftest import Project, make_project

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / ".github" / "workflows" / "migrations.yml"


def datasets(project: Project) -> set[str]:
    """The datasets the project's local engine holds."""
    settings = project.settings()
    target = settings.target()
    with LocalEngine(target.data_dir, project=target.project) as engine:
        return {item.dataset_id for item in engine.client().list_datasets()}


def rehearse_json(project: Project, *args: str) -> tuple[int, dict[str, Any]]:
    result = project.run("rehearse", "--format", "json", *args)
    data: dict[str, Any] = json.loads(result.out)
    return result.code, data


def steps_of(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["name"]: step for step in report["steps"]}


def test_basic_chain_rehearses_with_identical_fingerprints(project: Project) -> None:
    code, report = rehearse_json(project)

    assert code == 0, report
    assert report["status"] == "passed"
    assert report["target"] == "local"
    steps = steps_of(report)
    assert list(steps) == [
        "check", "create sandbox", "up", "verify", "schedules", "down to 0", "nothing left",
        "up again", "same fingerprint", "drop sandbox",
    ]
    # The semantic check runs only where its extra is installed.
    check_status = "passed" if check.available() else "skipped"
    assert {name: step["status"] for name, step in steps.items()} == {
        **{name: "passed" for name in steps},
        "check": check_status,
        "verify": "skipped",
        "schedules": "skipped",
    }
    assert "no checks to run" in steps["verify"]["detail"]
    assert all(isinstance(step["duration_ms"], int) for step in report["steps"])

    fingerprints = report["fingerprints"]
    assert fingerprints["equal"] is True
    assert fingerprints["first_up"] == fingerprints["second_up"]
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprints["first_up"])

    assert report["dry_run"] == []
    assert any("local engine" in note for note in report["notes"])

    sandbox = report["sandbox"].split(".", 1)[1]
    assert sandbox.startswith(project.settings().target().dataset + "_rehearse_")
    assert sandbox not in datasets(project)


def test_down_that_leaves_an_object_fails_and_drops_the_sandbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(tmp_path, capsys, chain="broken_down")

    result = project.run("rehearse")

    assert result.code == 1
    output = result.out + result.err
    assert re.search(r"FAIL\s+nothing left .*scalar function rounded", output), output
    assert re.search(r"SKIP\s+up again .*not run: nothing left failed", output)
    assert re.search(r"PASS\s+drop sandbox", output)
    assert "FAILED" in result.out

    created = re.search(r"created local-project\.(\w+)", output)
    assert created is not None
    assert created.group(1) not in datasets(project)


def test_rehearse_on_a_bigquery_endpoint_creates_a_labelled_sandbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Engine `bigquery` with an endpoint: the sandbox is made through the datasets API (no
    # local shortcut), and dry runs are skipped because the endpoint is not BigQuery.
    with LocalEngine(None, project="served-project") as engine:
        project = make_project(tmp_path, capsys, chain="broken_down")
        (tmp_path / "eros-migrate.toml").write_text(
            "[targets.remote]\n"
            'engine = "bigquery"\n'
            'project = "served-project"\n'
            f'dataset = "remote_{uuid.uuid4().hex[:8]}"\n'
            f'endpoint = "{engine.rest_url}"\n',
            encoding="utf-8",
        )
        fixed = project.migrations / "0002_add_rounding.down.sql"
        fixed.write_text(
            fixed.read_text(encoding="utf-8")
            + "DROP FUNCTION IF EXISTS `${project}.${dataset}.rounded`;\n",
            encoding="utf-8",
        )

        code, report = rehearse_json(project, "--keep")

        assert code == 0, report
        assert steps_of(report)["keep sandbox"]["status"] == "passed"
        assert any("endpoint" in note for note in report["notes"])
        sandbox = engine.client().get_dataset(report["sandbox"])
        assert sandbox.labels["purpose"] == "rehearsal"
        assert sandbox.labels["tool"] == "eros-migrate"
        assert sandbox.labels["run"]
        assert sandbox.default_table_expiration_ms == rehearse.SANDBOX_EXPIRATION_MS


@pytest.mark.slow
def test_eros_chain_rehearses_on_the_local_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    migrations = REPO / "migrations"
    if not (migrations / "tags.toml").is_file():
        pytest.skip("the EROS chain is not complete yet: migrations/tags.toml is missing")
    try:
        chain = load_chain(migrations)
    except ChainError as error:
        pytest.skip(f"the EROS chain does not load yet: {error.message}")
    if any(version > chain.head for version in chain.tags.values()):
        pytest.skip("the EROS chain is not complete yet: a tag names a version beyond its head")

    shutil.copytree(migrations, tmp_path / "migrations")
    if (REPO / "checks").is_dir():
        shutil.copytree(REPO / "checks", tmp_path / "checks")
    if (REPO / "schedules.toml").is_file():
        shutil.copy(REPO / "schedules.toml", tmp_path / "schedules.toml")
    (tmp_path / "eros-migrate.toml").write_text(
        '[targets.local]\nengine = "local"\ndataset = "eros"\ndata_dir = ".eros/local"\n',
        encoding="utf-8",
    )
    project = Project(tmp_path, capsys)

    result = project.run("rehearse", "--format", "json")
    report = json.loads(result.out)
    assert "steps" in report, result.err

    # Every step passes, the EROS checks and the three scheduled queries included; the
    # semantic check runs only where its extra is installed.
    steps = steps_of(report)
    optional = {"check"} if not check.available() else set()
    failed = {name: step["detail"] for name, step in steps.items()
              if step["status"] != "passed" and name not in optional}
    assert failed == {}
    assert "3 scheduled query(ies) ran" in steps["schedules"]["detail"]
    assert report["fingerprints"]["equal"] is True


def test_steps_can_be_added_after_a_named_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rehearse, "STEPS", list(rehearse.STEPS))
    extra = rehearse.RehearsalStep("notify", lambda _: rehearse.passed("ran"))

    rehearse.add_step(extra, after="verify")

    names = [step.name for step in rehearse.STEPS]
    assert names[names.index("verify") + 1] == "notify"
    with pytest.raises(ValueError, match="exists already"):
        rehearse.add_step(extra)
    with pytest.raises(ValueError, match="no rehearsal step named 'nope'"):
        rehearse.add_step(rehearse.RehearsalStep("other", extra.run), after="nope")


def test_sandbox_settings_ignore_overrides_of_the_real_target(tmp_path: Path) -> None:
    (tmp_path / "eros-migrate.toml").write_text(
        '[targets.ci]\nengine = "bigquery"\nproject = "acme-ci"\ndataset = "eros"\n'
        "protected = true\n",
        encoding="utf-8",
    )
    settings = load_settings(
        tmp_path, environment={"EROS_MIGRATE_DATASET": "eros_ci", "EROS_MIGRATE_ACTOR": "ci"}
    )
    target = settings.target("ci")

    sandbox = rehearse.sandbox_target(target, "20260101T000000_ABCDEF12")
    scratch = rehearse.sandbox_settings(settings, sandbox)

    assert sandbox.dataset == "eros_ci_rehearse_20260101t000000_abcdef12"
    assert sandbox.protected is False
    assert sandbox.labels["purpose"] == "rehearsal"
    assert scratch.target("ci").dataset == sandbox.dataset
    assert scratch.environment == {"EROS_MIGRATE_ACTOR": "ci"}


def test_fingerprints_are_neutral_to_the_dataset_they_were_read_from() -> None:
    live = Neutraliser("acme", "eros")
    sandbox = Neutraliser("acme", "eros_rehearse_1")
    body = "SELECT  *\n FROM `{}.events` e JOIN {}.kinds k USING (kind) -- eros"

    assert live.sql(body.format("acme.eros", "eros")) == sandbox.sql(
        body.format("acme.eros_rehearse_1", "eros_rehearse_1")
    )
    assert live.sql("SELECT 'eros' AS eros") == "SELECT 'eros' AS eros"


@pytest.fixture
def workflow() -> Iterator[dict[Any, Any]]:
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    yield data


def test_ci_workflow_lints_rehearses_and_uploads_reports(workflow: dict[Any, Any]) -> None:
    jobs = workflow["jobs"]
    steps = [step for job in jobs.values() for step in job["steps"]]
    uses = [step.get("uses", "") for step in steps]
    runs = "\n".join(step.get("run", "") for step in steps)

    assert any(name.startswith("actions/checkout@") for name in uses)
    assert any(
        name.startswith("actions/setup-python@") and step["with"]["python-version"] == "3.11"
        for name, step in zip(uses, steps, strict=True)
    )
    assert any(name.startswith("google-github-actions/auth@") for name in uses)
    assert any(name.startswith("github/codeql-action/upload-sarif@") for name in uses)
    assert any(name.startswith("actions/upload-artifact@") for name in uses)
    assert "eros-migrate lint --format sarif > lint.sarif" in runs
    assert "eros-migrate rehearse --target ci --format json > rehearse.json" in runs

    env = {key: value for job in jobs.values() for key, value in job.get("env", {}).items()}
    assert env["EROS_MIGRATE_PROJECT"] == "${{ vars.EROS_MIGRATE_PROJECT }}"
    assert (REPO / "docs" / "CI.md").is_file()


def test_dry_runs_cover_single_statements_and_say_why_others_are_left_out(
    tmp_path: Path,
) -> None:
    from eros_migrate.bigquery import Connection
    from eros_migrate.config import TargetConfig

    migrations = tmp_path / "migrations"
    migrations.mkdir()
    files = {
        "0001_table": "CREATE TABLE IF NOT EXISTS `${project}.${dataset}.t` (a INT64);\n"
        "CREATE OR REPLACE PROCEDURE `${project}.${dataset}.p`()\nBEGIN\n  SELECT 1;\nEND;\n",
        "0002_variables": "DECLARE n INT64 DEFAULT 1;\nSELECT n;\n",
        "0003_temp": "CREATE TEMP TABLE scratch AS SELECT 1 AS a;\nSELECT a FROM scratch;\n",
    }
    for name, text in files.items():
        (migrations / f"{name}.up.sql").write_text(text, encoding="utf-8")
        (migrations / f"{name}.down.sql").write_text("SELECT 1;\n", encoding="utf-8")
    chain = load_chain(migrations)

    with LocalEngine(None, project="served-project") as engine:
        engine.client().create_dataset("served-project.dry")
        target = TargetConfig("remote", "bigquery", "served-project", "dry",
                              endpoint=engine.rest_url)
        connection = Connection(target, engine.client(), "dry_run_test")

        def render(text: str, _file: str) -> str:
            return text.replace("${project}", "served-project").replace("${dataset}", "dry")

        found = [
            rehearse.dry_run_migration(connection, migration, render)
            for migration in chain.migrations
        ]

    table, procedure = found[0]
    assert table.line == 1
    assert table.note == "" or table.note.startswith("dry run refused")
    assert procedure.bytes_processed is None
    assert "create procedure is part of a script" in procedure.note
    assert [item.note for item in found[1]] == [
        "not dry-run: a script with variables; its statements cannot be planned one by one"
    ]
    assert "temporary table" in found[2][0].note
