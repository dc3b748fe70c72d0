"""Table metadata changes are paced to BigQuery's 5 per table per 10 seconds."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from eros_migrate import pacing
from eros_migrate.chain import load_chain
from eros_migrate.placeholders import render
from eros_migrate.script import Statement, parse_script
from tests.conftest import Project

SIX_ALTERS = "\n".join(
    f"ALTER TABLE `p.d.wide` ADD COLUMN IF NOT EXISTS c{n} INT64;" for n in range(1, 7)
)


def statements(text: str) -> list[Statement]:
    return parse_script(text).statements


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_changed_tables_counts_ddl_only() -> None:
    found = [
        pacing.changed_tables(statement)
        for statement in statements(
            "CREATE TABLE IF NOT EXISTS `p.d.t` (a INT64);\n"
            "ALTER TABLE `p.d.t` ADD COLUMN b INT64;\n"
            "INSERT INTO `p.d.t` (a) VALUES (1);\n"
            "CREATE OR REPLACE VIEW `p.d.v` AS SELECT a FROM `p.d.t`;\n"
            "CREATE TEMP TABLE scratch AS SELECT 1 AS x;\n"
            "DROP TABLE IF EXISTS `p.d.t`;\n"
        )
    ]
    assert found == [["p.d.t"], ["p.d.t"], [], ["p.d.v"], [], ["p.d.t"]]


def test_six_changes_of_one_table_make_two_jobs() -> None:
    assert pacing.chunk(statements(SIX_ALTERS)) == [(0, 5), (5, 6)]


def test_changes_of_different_tables_stay_in_one_job() -> None:
    text = "\n".join(f"ALTER TABLE `p.d.t{n}` ADD COLUMN c INT64;" for n in range(8))
    assert pacing.chunk(statements(text)) == [(0, 8)]


def test_pacer_waits_until_the_window_has_room() -> None:
    clock = FakeClock()
    pacer = pacing.Pacer(clock=clock, sleep=clock.sleep)
    five, sixth = statements(SIX_ALTERS)[:5], statements(SIX_ALTERS)[5:]

    assert pacer.wait_for(five) == 0
    pacer.record(five)
    clock.now += 3.0
    assert pacer.wait_for(sixth) == pytest.approx(7.0)
    pacer.record(sixth)
    assert clock.slept == [pytest.approx(7.0)]


def test_pacer_forgets_changes_older_than_the_window() -> None:
    clock = FakeClock()
    pacer = pacing.Pacer(clock=clock, sleep=clock.sleep)
    five = statements(SIX_ALTERS)[:5]
    pacer.record(five)
    clock.now += 10.5
    assert pacer.wait_for(five) == 0


def test_migration_with_six_alters_applies_in_two_paced_jobs(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pacing, "WINDOW_S", 0.5)
    monkeypatch.setattr(
        pacing.Pacer.__init__, "__defaults__", (pacing.LIMIT, 0.5, time.monotonic, time.sleep)
    )
    alters = "\n".join(
        f"ALTER TABLE `${{project}}.${{dataset}}.events` ADD COLUMN IF NOT EXISTS c{n} INT64;"
        for n in range(1, 7)
    )
    project.write("0004_widen_events.up.sql", alters + "\n")
    project.write(
        "0004_widen_events.down.sql",
        "\n".join(
            "-- eros-migrate: allow destructive: undoes the up migration\n"
            f"ALTER TABLE `${{project}}.${{dataset}}.events` DROP COLUMN IF EXISTS c{n};"
            for n in range(1, 7)
        )
        + "\n",
    )
    result = project.run("up")
    assert result.code == 0, result.err

    history = json.loads(project.run("history", "--format", "json").out)
    widen = history[-1]
    assert widen["version"] == 4 and widen["status"] == "applied"
    assert len(widen["job_ids"]) == 2
    assert widen["statements_applied"] == 6

    columns = json.loads(
        project.run(
            "sql", "--format", "json",
            "SELECT column_name FROM `${project}.${dataset}`.INFORMATION_SCHEMA.COLUMNS "
            "WHERE table_name = 'events' ORDER BY column_name",
        ).out
    )
    assert {row["column_name"] for row in columns} >= {f"c{n}" for n in range(1, 7)}


@pytest.mark.parametrize("direction", ["up", "down"])
def test_every_eros_migration_fits_in_one_job(direction: str) -> None:
    chain = load_chain(Path(__file__).parent.parent / "migrations")
    values = {"project": "p", "dataset": "d"}

    jobs = {
        migration.version: len(pacing.chunk(statements(render(text, values))))
        for migration in chain.migrations
        for text in [getattr(migration, direction).text]
    }

    assert {version: count for version, count in jobs.items() if count > 1} == {}
