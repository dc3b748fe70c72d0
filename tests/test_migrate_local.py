"""The whole cycle on the embedded engine: up, status, down to 0, up again, history."""

from __future__ import annotations

import json
from typing import Any

from eros_migrate import commands
from tests.conftest import Project


def objects(project: Project) -> set[str]:
    """Tables, views and routines of the dataset, the tool's own tables aside."""
    settings = project.settings()
    tables = commands.sql(
        settings, "SELECT table_name AS name FROM `${project}.${dataset}`.INFORMATION_SCHEMA.TABLES"
    )
    routines = commands.sql(
        settings,
        "SELECT routine_name AS name FROM `${project}.${dataset}`.INFORMATION_SCHEMA.ROUTINES",
    )
    names = {row["name"] for row in tables + routines}
    return {name for name in names if not name.startswith("_eros_migrate")}


def status_json(project: Project) -> dict[str, Any]:
    result = project.run("status", "--format", "json")
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def test_up_down_up_cycle(project: Project) -> None:
    result = project.run("up")
    assert result.code == 0, result.err
    assert "now at version 3" in result.out

    status = status_json(project)
    assert status["current_version"] == 3
    assert status["applied"] == [1, 2, 3]
    assert status["pending"] == []
    assert status["lock"] is None
    assert objects(project) == {"events", "labelled_events", "kind_label", "count_events"}

    result = project.run("down", "--to", "0")
    assert result.code == 0, result.err
    assert objects(project) == set()
    status = status_json(project)
    assert status["current_version"] is None
    assert status["pending"] == [1, 2, 3]

    assert project.run("up").code == 0
    assert objects(project) == {"events", "labelled_events", "kind_label", "count_events"}

    result = project.run("history", "--format", "json")
    events = json.loads(result.out)
    assert [(e["version"], e["direction"], e["status"]) for e in events] == [
        (1, "up", "applied"),
        (2, "up", "applied"),
        (3, "up", "applied"),
        (3, "down", "applied"),
        (2, "down", "applied"),
        (1, "down", "applied"),
        (1, "up", "applied"),
        (2, "up", "applied"),
        (3, "up", "applied"),
    ]
    for event in events:
        assert set(event) >= {
            "version", "direction", "status", "checksum", "applied_by", "started_at",
            "duration_ms",
        }
        assert len(event["checksum"]) == 64
        assert event["job_ids"]


def test_up_to_tag_and_down_by_steps(project: Project) -> None:
    assert project.run("up", "--to", "first").code == 0
    assert status_json(project)["applied"] == [1]

    assert project.run("up", "--to", "2").code == 0
    assert status_json(project)["applied"] == [1, 2]

    assert project.run("down", "--steps", "1").code == 0
    assert status_json(project)["applied"] == [1]


def test_dry_run_applies_nothing(project: Project) -> None:
    result = project.run("up", "--dry-run", "--format", "json")
    assert result.code == 0, result.err
    plan = json.loads(result.out)["plan"]
    assert [step["version"] for step in plan["steps"]] == [1, 2, 3]
    assert status_json(project)["applied"] == []


def test_procedure_and_view_work_after_up(project: Project) -> None:
    assert project.run("up").code == 0
    result = project.run(
        "sql",
        "--format",
        "json",
        "SELECT label FROM `${project}.${dataset}.labelled_events`",
    )
    assert json.loads(result.out) == [{"label": "kind:seed"}]


def test_failed_migration_is_recorded_and_retried(project: Project) -> None:
    project.write(
        "0004_broken.up.sql",
        "CREATE TABLE IF NOT EXISTS `${project}.${dataset}.side` (a INT64) CLUSTER BY a;\n"
        "INSERT INTO `${project}.${dataset}.missing_table` (a) VALUES (1);\n",
    )
    project.write(
        "0004_broken.down.sql",
        "-- eros-migrate: allow destructive: undoes the up migration\n"
        "DROP TABLE IF EXISTS `${project}.${dataset}.side`;\n",
    )
    result = project.run("up")
    assert result.code == 1
    assert "0004_broken.up.sql:2" in result.err
    assert "failed at statement 2 of 2" in result.err
    assert "missing_table" in result.err

    status = status_json(project)
    assert status["applied"] == [1, 2, 3]
    assert status["failed"] == [4]
    assert status["lock"] is None

    history = json.loads(project.run("history", "--format", "json").out)
    failed = history[-1]
    assert failed["status"] == "failed"
    assert failed["statements_applied"] == 1
    assert "missing_table" in failed["failed_statement"]

    # Fixed file: the next `up` says it retries, and runs it from the start.
    project.write(
        "0004_broken.up.sql",
        "CREATE TABLE IF NOT EXISTS `${project}.${dataset}.side` (a INT64) CLUSTER BY a;\n"
        "INSERT INTO `${project}.${dataset}.side` (a) VALUES (1);\n",
    )
    result = project.run("up")
    assert result.code == 0, result.err
    assert "failed at statement 2 of 2" in result.err
    assert "runs again from its first statement" in result.err
    assert status_json(project)["applied"] == [1, 2, 3, 4]


def test_changed_applied_file_is_refused(project: Project) -> None:
    assert project.run("up").code == 0
    path = project.migrations / "0002_add_kind_label.up.sql"
    path.write_text(path.read_text() + "\n-- an edit after the fact\n")

    result = project.run("up")
    assert result.code == 2
    assert "0002_add_kind_label.up.sql changed after it was applied" in result.err
    assert "new migration" in result.err


def test_lock_held_by_another_run(project: Project) -> None:
    from eros_migrate.commands import acquire_lock, open_session

    settings = project.settings()
    with open_session(settings, None) as session:
        acquire_lock(session, "up (simulated other run)")

    result = project.run("up")
    assert result.code == 1
    assert "is locked by run" in result.err
    assert "up (simulated other run)" in result.err
    assert "eros-migrate unlock" in result.err
    assert status_json(project)["applied"] == []
    assert status_json(project)["lock"]["command"] == "up (simulated other run)"

    result = project.run("unlock")
    assert result.code == 0
    assert "broke the lock" in result.out
    assert project.run("up").code == 0


def test_baseline_records_without_running(project: Project) -> None:
    result = project.run("baseline", "2")
    assert result.code == 0, result.err
    status = status_json(project)
    assert status["applied"] == [1, 2]
    assert objects(project) == set()

    history = json.loads(project.run("history", "--format", "json").out)
    assert {event["direction"] for event in history} == {"baseline"}


def test_protected_target_needs_yes_for_down(project: Project) -> None:
    config = project.root / "eros-migrate.toml"
    config.write_text(config.read_text() + "protected = true\n")
    assert project.run("up").code == 0

    result = project.run("down", "--steps", "1")
    assert result.code == 2
    assert "is protected" in result.err
    assert "--yes" in result.err
    assert status_json(project)["applied"] == [1, 2, 3]

    assert project.run("down", "--steps", "1", "--yes").code == 0
    assert status_json(project)["applied"] == [1, 2]


def test_state_persists_across_processes(project: Project) -> None:
    assert project.run("up", "--to", "1").code == 0
    # A new command starts a new engine on the same folder: the ledger is still there.
    assert status_json(project)["applied"] == [1]


def test_sql_from_file_and_new(project: Project) -> None:
    query = project.root / "q.sql"
    query.write_text("SELECT 1 AS one, 'x' AS two")
    result = project.run("sql", "-f", str(query), "--format", "json")
    assert json.loads(result.out) == [{"one": 1, "two": "x"}]

    result = project.run("new", "add-audit-table")
    assert result.code == 0
    assert (project.migrations / "0004_add_audit_table.up.sql").exists()
    assert (project.migrations / "0004_add_audit_table.down.sql").exists()


def add_scores_migration(project: Project) -> None:
    project.write(
        "0004_scores.up.sql",
        "CREATE TABLE IF NOT EXISTS `${project}.${dataset}.scores` (who STRING, points INT64)\n"
        "CLUSTER BY who;\n"
        "INSERT INTO `${project}.${dataset}.scores` (who, points) VALUES ('ann', 3), ('bo', 5);\n",
    )
    project.write(
        "0004_scores.down.sql",
        "DROP TABLE IF EXISTS `${project}.${dataset}.scores`;\n",
    )


def test_down_keeps_a_copy_of_a_table_holding_rows(project: Project) -> None:
    add_scores_migration(project)
    assert project.run("up").code == 0

    result = project.run("down", "--steps", "1", "--format", "json")
    assert result.code == 0, result.err
    backups = json.loads(result.out)["applied"][0]["backups"]
    assert len(backups) == 1 and "_eros_migrate_backup_scores_v4_" in backups[0]

    rows = commands.sql(
        project.settings(), f"SELECT who, points FROM `{backups[0]}` ORDER BY who"
    )
    assert rows == [{"who": "ann", "points": 3}, {"who": "bo", "points": 5}]
    assert "scores" not in objects(project)

    history = json.loads(project.run("history", "--format", "json").out)
    assert history[-1]["direction"] == "down"
    assert history[-1]["backups"] == backups


def test_down_with_allow_data_loss_keeps_nothing(project: Project) -> None:
    add_scores_migration(project)
    assert project.run("up").code == 0

    result = project.run("down", "--steps", "1", "--allow-data-loss", "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["applied"][0]["backups"] == []
    tables = commands.sql(
        project.settings(),
        "SELECT table_name FROM `${project}.${dataset}`.INFORMATION_SCHEMA.TABLES",
    )
    assert not [row for row in tables if "backup" in row["table_name"]]


def test_empty_table_needs_no_copy(project: Project) -> None:
    add_scores_migration(project)
    assert project.run("up").code == 0
    commands.sql(project.settings(), "DELETE FROM `${project}.${dataset}.scores` WHERE TRUE")

    result = project.run("down", "--steps", "1", "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["applied"][0]["backups"] == []
