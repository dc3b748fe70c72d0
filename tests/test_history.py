"""`history` as an audit: filters answered by the ledger query, JSON and CSV exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from eros_migrate.audit import HistoryFilter, parse_moment
from tests.conftest import Project


@pytest.fixture
def audited(project: Project, monkeypatch: pytest.MonkeyPatch) -> Project:
    """Three ups by a person, one down by a bot, one failed up."""
    assert project.run("up").code == 0
    monkeypatch.setenv("EROS_MIGRATE_ACTOR", "release-bot@ci")
    assert project.run("down", "--steps", "1").code == 0
    monkeypatch.delenv("EROS_MIGRATE_ACTOR")
    project.write(
        "0004_broken.up.sql", "INSERT INTO `${project}.${dataset}.missing` (a) VALUES (1);\n"
    )
    project.write("0004_broken.down.sql", "SELECT 1;\n")
    assert project.run("up").code == 1
    return project


def history(project: Project, *args: str) -> list[dict[str, Any]]:
    result = project.run("history", "--format", "json", *args)
    assert result.code == 0, result.err
    events: list[dict[str, Any]] = json.loads(result.out)
    return events


def summary(events: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    return [(event["version"], event["direction"], event["status"]) for event in events]


def test_filters_narrow_the_history(audited: Project) -> None:
    everything = history(audited)
    assert summary(everything) == [
        (1, "up", "applied"), (2, "up", "applied"), (3, "up", "applied"),
        (3, "down", "applied"),
        (3, "up", "applied"), (4, "up", "failed"),
    ]

    assert summary(history(audited, "--direction", "down")) == [(3, "down", "applied")]
    assert summary(history(audited, "--version", "3", "--direction", "up")) == [
        (3, "up", "applied"), (3, "up", "applied"),
    ]
    assert summary(history(audited, "--status", "failed")) == [(4, "up", "failed")]
    assert summary(history(audited, "--who", "BOT@")) == [(3, "down", "applied")]
    assert history(audited, "--who", "nobody-at-all") == []

    today = datetime.now(UTC).date()
    assert len(history(audited, "--since", today.isoformat())) == len(everything)
    assert len(history(audited, "--until", today.isoformat())) == len(everything)
    assert history(audited, "--since", (today + timedelta(days=1)).isoformat()) == []
    assert history(audited, "--until", (today - timedelta(days=1)).isoformat()) == []

    middle = everything[3]["finished_at"]
    assert summary(history(audited, "--since", middle)) == summary(everything[3:])


def test_csv_export_has_a_header_and_space_joined_job_ids(audited: Project) -> None:
    result = audited.run("history", "--format", "csv", "--direction", "up", "--bytes")
    assert result.code == 0, result.err

    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert result.out.splitlines()[0].startswith("finished_at,version,name,direction,status")
    assert [(row["version"], row["status"]) for row in rows] == [
        ("1", "applied"), ("2", "applied"), ("3", "applied"), ("3", "applied"), ("4", "failed"),
    ]
    for row in rows:
        assert row["job_ids"]
        assert all(job.startswith("eros_migrate_") for job in row["job_ids"].split(" "))
        assert len(row["checksum"]) == 64
        assert "bytes_processed" in row
    assert "missing" in rows[-1]["error"]


def test_bytes_are_looked_up_only_when_asked(audited: Project) -> None:
    assert all("bytes_processed" not in event for event in history(audited))

    with_bytes = history(audited, "--bytes", "--status", "applied")
    assert with_bytes
    for event in with_bytes:
        assert event["bytes_processed"] is None or isinstance(event["bytes_processed"], int)


def test_text_history_shows_job_ids(audited: Project) -> None:
    result = audited.run("history", "--direction", "down")
    assert result.code == 0, result.err
    assert "jobs" in result.out
    assert "eros_migrate_" in result.out
    assert "release-bot@ci" in result.out


def test_bad_dates_are_refused_before_the_target_is_touched(project: Project) -> None:
    result = project.run("history", "--since", "last tuesday")
    assert result.code == 2
    assert "--since 'last tuesday' is not an ISO date" in result.err


def test_filters_become_one_parameterised_where_clause() -> None:
    since = parse_moment("2026-01-31", "--since")
    until = parse_moment("2026-01-31", "--until", end_of_day=True)
    clause, params = HistoryFilter(
        version=3, direction="up", who="o'brien", since=since, until=until
    ).where()

    assert clause == (
        "WHERE version = @version AND direction = @direction AND "
        "STRPOS(LOWER(IFNULL(applied_by, '')), LOWER(@who)) > 0 AND "
        "finished_at >= TIMESTAMP(@since) AND finished_at < TIMESTAMP(@until)\n"
    )
    assert params == {
        "version": 3,
        "direction": "up",
        "who": "o'brien",
        "since": "2026-01-31T00:00:00+00:00",
        "until": "2026-02-01T00:00:00+00:00",
    }
    assert HistoryFilter().where() == ("", {})
    assert parse_moment("2026-01-31T18:00:00+01:00", "--since").utcoffset() == timedelta(hours=1)
