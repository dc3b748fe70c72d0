"""down-mismatch across a chain, and how lint_paths finds the partner of a migration file."""

from __future__ import annotations

from pathlib import Path

from eros_migrate.chain import load_chain
from eros_migrate.findings import Finding
from eros_migrate.lint import lint_chain, lint_paths
from tests.lint.lint_support import make_settings

CHAIN = {
    "0001_base": (
        "CREATE TABLE IF NOT EXISTS ${dataset}.jobs (id INT64) CLUSTER BY id;\n"
        "CREATE OR REPLACE VIEW ${dataset}.jobs_v AS SELECT id FROM ${dataset}.jobs;\n",
        "DROP VIEW IF EXISTS ${dataset}.jobs_v;\n"
        "-- eros-migrate: allow destructive: undoes 0001\n"
        "DROP TABLE IF EXISTS ${dataset}.jobs;\n",
    ),
    "0002_score": (
        "ALTER TABLE ${dataset}.jobs ADD COLUMN IF NOT EXISTS score FLOAT64;\n"
        "CREATE OR REPLACE VIEW ${dataset}.jobs_v AS SELECT id, score FROM ${dataset}.jobs;\n"
        "CREATE OR REPLACE FUNCTION ${dataset}.half(x FLOAT64) AS (x / 2);\n",
        "DROP VIEW IF EXISTS ${dataset}.jobs_v;\n",
    ),
    "0003_routines": (
        "CREATE OR REPLACE TABLE FUNCTION ${dataset}.top_jobs(n INT64) AS\n"
        "SELECT id FROM ${dataset}.jobs LIMIT 10;\n"
        "CREATE OR REPLACE PROCEDURE ${dataset}.refresh()\n"
        "BEGIN\n"
        "  CREATE TABLE IF NOT EXISTS ${dataset}.run_log (id INT64) CLUSTER BY id;\n"
        "END;\n",
        "DROP TABLE FUNCTION IF EXISTS ${dataset}.top_jobs;\n"
        "DROP PROCEDURE IF EXISTS ${dataset}.refresh;\n"
        "ALTER TABLE ${dataset}.jobs DROP COLUMN IF EXISTS legacy;\n"
        "DROP VIEW IF EXISTS ${dataset}.never_created;\n",
    ),
}

EXPECTED = [
    ("0002_score.down.sql", 1, 21, "drops view `${dataset}.jobs_v`, but its up only replaced it"),
    ("0002_score.up.sql", 1, 54, "adds column `${dataset}.jobs.score`"),
    ("0002_score.up.sql", 2, 24, "which 0001_base.up.sql created, but its down does not restore"),
    ("0002_score.up.sql", 3, 28, "DROP FUNCTION IF EXISTS ${dataset}.half;"),
    ("0003_routines.down.sql", 3, 51, "does not add"),
    (
        "0003_routines.down.sql",
        4,
        21,
        "`${dataset}.never_created`, which its up migration does not",
    ),
]


def write_chain(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (up, down) in CHAIN.items():
        (folder / f"{name}.up.sql").write_text(up, encoding="utf-8")
        (folder / f"{name}.down.sql").write_text(down, encoding="utf-8")
    return folder


def mismatches(findings: list[Finding]) -> list[tuple[str, int, int, str]]:
    return [
        (Path(f.file).name, f.line, f.column, f.message)
        for f in findings
        if f.rule == "down-mismatch"
    ]


def assert_expected(found: list[tuple[str, int, int, str]]) -> None:
    assert [where[:3] for where in found] == [where[:3] for where in EXPECTED]
    for (_, _, _, message), (_, _, _, words) in zip(found, EXPECTED, strict=True):
        assert words in message


def test_chain_pairs(tmp_path: Path) -> None:
    chain = load_chain(write_chain(tmp_path / "migrations"))

    findings = lint_chain(chain, make_settings())

    assert_expected(mismatches(findings))
    # DROP TABLE FUNCTION is BigQuery that sqlglot cannot parse; lint must not call it an error.
    assert not [f for f in findings if f.rule == "parse-error"]


def test_folder_gives_the_same_pairs(tmp_path: Path) -> None:
    folder = write_chain(tmp_path / "migrations")

    findings = lint_paths([folder], make_settings())

    assert_expected(mismatches(findings))


def test_an_up_file_finds_its_down_partner(tmp_path: Path) -> None:
    folder = write_chain(tmp_path / "migrations")

    findings = lint_paths([folder / "0003_routines.up.sql"], make_settings())

    # Only pair findings come from the partner; the up file itself is linted in full.
    assert {Path(f.file).name for f in findings} <= {"0003_routines.down.sql"}
    assert [(f.line, f.column) for f in findings] == [(3, 51), (4, 21)]


def test_single_pair_without_history_accepts_a_restoring_down(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0007_view.up.sql").write_text(
        "CREATE OR REPLACE VIEW ${dataset}.v AS SELECT 2 AS x;\n", encoding="utf-8"
    )
    (folder / "0007_view.down.sql").write_text(
        "CREATE OR REPLACE VIEW ${dataset}.v AS SELECT 1 AS x;\n", encoding="utf-8"
    )

    assert lint_paths([folder], make_settings()) == []


def test_temp_objects_and_procedure_bodies_are_not_pair_objects(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_a.up.sql").write_text(
        "CREATE TEMP TABLE scratch AS SELECT 1 AS x;\n"
        "CREATE OR REPLACE PROCEDURE ${dataset}.p()\n"
        "BEGIN\n"
        "  CREATE TABLE IF NOT EXISTS ${dataset}.made_at_run_time (x INT64) CLUSTER BY x;\n"
        "END;\n",
        encoding="utf-8",
    )
    (folder / "0001_a.down.sql").write_text(
        "DROP PROCEDURE IF EXISTS ${dataset}.p;\n", encoding="utf-8"
    )

    assert mismatches(lint_paths([folder], make_settings())) == []


def test_table_dropped_and_recreated_is_a_replacement(tmp_path: Path) -> None:
    """An up that drops a table and creates its new shape, and a down that drops the new shape
    and creates the old one again, match."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    files = {
        "0001_calendar.up.sql": "CREATE TABLE IF NOT EXISTS ${dataset}.cal (d DATE)\n"
        "CLUSTER BY d;\n",
        "0001_calendar.down.sql": "-- eros-migrate: allow destructive: undoes 0001\n"
        "DROP TABLE IF EXISTS ${dataset}.cal;\n",
        "0002_reshape.up.sql": "-- eros-migrate: allow destructive: reshaped, rows kept\n"
        "DROP TABLE IF EXISTS ${dataset}.cal;\n"
        "CREATE TABLE IF NOT EXISTS ${dataset}.cal (d DATE, name STRING) CLUSTER BY d;\n",
        "0002_reshape.down.sql": "DROP TABLE IF EXISTS ${dataset}.cal;\n"
        "CREATE TABLE IF NOT EXISTS ${dataset}.cal (d DATE) CLUSTER BY d;\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")

    findings = lint_chain(load_chain(folder), make_settings())
    assert [finding for finding in findings if finding.rule == "down-mismatch"] == []


def test_a_staging_table_created_and_dropped_by_the_up_needs_no_down(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_stage.up.sql").write_text(
        "CREATE TABLE IF NOT EXISTS ${dataset}.staging (d DATE) CLUSTER BY d;\n"
        "-- eros-migrate: allow destructive: the staging table is only needed above\n"
        "DROP TABLE IF EXISTS ${dataset}.staging;\n",
        encoding="utf-8",
    )
    (folder / "0001_stage.down.sql").write_text("SELECT 1;\n", encoding="utf-8")

    findings = lint_chain(load_chain(folder), make_settings())
    assert [finding for finding in findings if finding.rule == "down-mismatch"] == []


def test_a_staging_table_created_and_dropped_by_the_down_is_not_undone(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_stage.up.sql").write_text("SELECT 1;\n", encoding="utf-8")
    (folder / "0001_stage.down.sql").write_text(
        "CREATE TABLE IF NOT EXISTS ${dataset}.carry (d DATE) CLUSTER BY d;\n"
        "-- eros-migrate: allow destructive: the staging table is only needed above\n"
        "DROP TABLE IF EXISTS ${dataset}.carry;\n",
        encoding="utf-8",
    )

    findings = lint_chain(load_chain(folder), make_settings())
    assert [finding for finding in findings if finding.rule == "down-mismatch"] == []
