"""Every rule against its fixture: what it must catch, at which line and column, and what it
must leave alone (the lines of a fixture without an expectation)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eros_migrate.lint import RULES, lint_text
from tests.lint.lint_support import FIXTURES, expectations, make_settings

FIXTURE_FILES = sorted(FIXTURES.glob("*.sql"))


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda path: path.name)
def test_fixture(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    rules, expected = expectations(text)

    findings = lint_text(text, path.name, make_settings())

    found = {(f.line, f.column, f.rule) for f in findings if f.rule in rules}
    assert sorted(found) == sorted(expected)


def test_every_rule_has_a_fixture_or_a_test() -> None:
    covered: set[str] = {"parse-error", "unparsed-command", "down-mismatch"}
    for path in FIXTURE_FILES:
        covered |= expectations(path.read_text(encoding="utf-8"))[0]
    assert covered >= set(RULES)


def test_findings_carry_the_rule_severity() -> None:
    findings = lint_text("SELECT CURRENT_DATE() FROM t;", "x.up.sql", make_settings())

    assert {(f.rule, f.severity) for f in findings} == {
        ("time-zone", "warning"),
        ("unqualified-reference", "warning"),
    }


def test_findings_are_sorted_by_file_line_column() -> None:
    text = "SELECT a / b FROM t;\nSELECT CURRENT_DATE();\n"

    findings = lint_text(text, "x.up.sql", make_settings())

    keys = [(f.file, f.line, f.column) for f in findings]
    assert keys == sorted(keys)
    assert len(findings) == 3


def test_parse_errors_and_commands_are_findings() -> None:
    text = "SELECT 1;\nSELECT FROM WHERE;\nCREATE SNAPSHOT TABLE ${dataset}.s CLONE ${dataset}.t;\n"

    findings = lint_text(text, "x.up.sql", make_settings())

    assert [(f.line, f.rule) for f in findings if f.rule.startswith(("parse", "unparsed"))] == [
        (2, "parse-error"),
        (3, "unparsed-command"),
    ]


def test_a_script_that_cannot_be_split_is_one_finding() -> None:
    findings = lint_text("SELECT 1;\nBEGIN\n  SELECT 2;\n", "x.up.sql", make_settings())

    assert [(f.line, f.column, f.rule) for f in findings] == [(2, 1, "parse-error")]


def test_time_zone_follows_the_configuration() -> None:
    settings = make_settings(time_zone="UTC")

    findings = lint_text(
        "SELECT CURRENT_DATE('UTC'), CURRENT_DATE('America/Los_Angeles');", "x.up.sql", settings
    )

    assert [(f.column, f.rule) for f in findings] == [(42, "time-zone")]


def test_down_direction_from_the_file_name() -> None:
    text = "DROP TABLE IF EXISTS ${dataset}.t;\n"

    assert lint_text(text, "0001_a.down.sql", make_settings()) == []
    assert [f.rule for f in lint_text(text, "0001_a.up.sql", make_settings())] == [
        "destructive-statement"
    ]
    assert lint_text(text, "scratch.sql", make_settings(), direction="down") == []
