"""`drift` on the embedded engine: edited files and objects changed by hand are reported."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import Project


def drift_json(project: Project) -> tuple[int, dict[str, Any]]:
    result = project.run("drift", "--format", "json")
    data: dict[str, Any] = json.loads(result.out)
    return result.code, data


def by_hand(project: Project, sql: str) -> None:
    result = project.run("sql", sql)
    assert result.code == 0, result.err


def test_edited_migration_file_is_drift_and_status_says_so(project: Project) -> None:
    assert project.run("up").code == 0
    assert project.run("drift").code == 0

    path = project.migrations / "0002_add_kind_label.up.sql"
    path.write_text(path.read_text(encoding="utf-8") + "-- tidied up later\n", encoding="utf-8")

    code, report = drift_json(project)
    assert code == 1
    assert report["drift"] is True
    assert [item["version"] for item in report["changed_files"]] == [2]
    changed = report["changed_files"][0]
    assert changed["file"].endswith("0002_add_kind_label.up.sql")
    assert changed["recorded_checksum"] != changed["current_checksum"]
    assert report["objects"] == []

    status = project.run("status", "--format", "json")
    assert [item["version"] for item in json.loads(status.out)["changed_files"]] == [2]
    status = project.run("status")
    assert "drift:" in status.err
    assert "0002_add_kind_label" in status.err


def test_function_replaced_by_hand_is_drift(project: Project) -> None:
    assert project.run("up").code == 0
    by_hand(
        project,
        "CREATE OR REPLACE FUNCTION `${project}.${dataset}.kind_label`(p_kind STRING)\n"
        "RETURNS STRING AS (CONCAT('kind=', UPPER(p_kind)))",
    )

    code, report = drift_json(project)

    assert code == 1
    assert report["changed_files"] == []
    assert report["objects"] == [
        {"name": "kind_label", "kind": "routine", "problem": "different",
         "detail": "body differs"}
    ]


def test_column_added_by_hand_is_drift(project: Project) -> None:
    assert project.run("up").code == 0
    by_hand(project, "ALTER TABLE `${project}.${dataset}.events` ADD COLUMN note STRING")

    result = project.run("drift")

    assert result.code == 1
    assert "different" in result.err
    assert "table events: column note added" in result.err


def test_missing_view_and_unexpected_table_are_drift(project: Project) -> None:
    assert project.run("up").code == 0
    by_hand(project, "DROP VIEW `${project}.${dataset}.labelled_events`")
    by_hand(project, "CREATE TABLE `${project}.${dataset}.scratch` (a INT64)")

    code, report = drift_json(project)

    assert code == 1
    problems = {(item["name"], item["kind"], item["problem"]) for item in report["objects"]}
    assert problems == {
        ("labelled_events", "view", "missing"),
        ("scratch", "table", "unexpected"),
    }
