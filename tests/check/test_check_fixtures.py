"""Each fixture against the base schema: every error BigQuery would raise at run time is
reported at its line, and nothing else is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eros_migrate.check.analyzer import Analyzer
from eros_migrate.check.catalog import Catalog
from eros_migrate.check.runner import FileChecker
from eros_migrate.check.session import Session
from eros_migrate.findings import Finding

FIXTURES = Path(__file__).parent / "fixtures"
VALUES = {"project": "local-project", "dataset": "eros"}

_EXPECT = re.compile(r"-- expect: (?P<text>.+)$")
_UNSUPPORTED = re.compile(r"-- unsupported: (?P<text>.+)$")


def check_fixture(analyzer: Analyzer, name: str) -> list[Finding]:
    """Findings of `name` after `base.sql`, which itself must be clean."""
    session = Session(lambda: analyzer)
    checker = FileChecker(session, Catalog(session, **VALUES), VALUES)
    base = FIXTURES / "base.sql"
    assert checker.check_file(base.read_text(encoding="utf-8"), str(base)) == []

    path = FIXTURES / name
    return checker.check_file(path.read_text(encoding="utf-8"), str(path))


def expectations(name: str, marker: re.Pattern[str] = _EXPECT) -> dict[int, str]:
    """`-- expect: text` at the end of a line: an error on that line whose message has text
    (`-- unsupported: text`: a check-unsupported warning)."""
    text = (FIXTURES / name).read_text(encoding="utf-8")
    expected: dict[int, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = marker.search(line)
        if match:
            expected[number] = match["text"].strip()
    return expected


WARNINGS = "unsupported_is_a_warning.sql"
CASES = sorted(
    path.name for path in FIXTURES.glob("*.sql") if path.name not in ("base.sql", WARNINGS)
)


@pytest.mark.parametrize("name", CASES)
def test_fixture(analyzer: Analyzer, name: str) -> None:
    findings = check_fixture(analyzer, name)
    expected = expectations(name)

    assert {finding.line for finding in findings} == set(expected), [str(f) for f in findings]
    for finding in findings:
        assert finding.severity == "error"
        assert finding.rule == "check"
        assert expected[finding.line] in finding.message, str(finding)


def test_what_check_cannot_see_is_a_warning(analyzer: Analyzer) -> None:
    findings = check_fixture(analyzer, WARNINGS)
    expected = expectations(WARNINGS, _UNSUPPORTED)

    assert {finding.line for finding in findings} == set(expected), [str(f) for f in findings]
    for finding in findings:
        assert (finding.severity, finding.rule) == ("warning", "check-unsupported")
        assert expected[finding.line] in finding.message, str(finding)


def test_clean_fixture_exists() -> None:
    assert expectations("clean_script.sql") == {}


def test_positions_are_those_of_the_file_not_the_rendered_text(analyzer: Analyzer) -> None:
    # `${project}` renders longer than it is written; columns point into the written line.
    findings = check_fixture(analyzer, "udf_wrong_argument_types.sql")

    assert (findings[0].line, findings[0].column) == (3, 3)


def test_a_finding_is_suppressed_by_a_marker_with_a_reason(analyzer: Analyzer) -> None:
    session = Session(lambda: analyzer)
    values = {"project": "local-project", "dataset": "eros"}
    checker = FileChecker(session, Catalog(session, **values), values)
    text = (
        "-- eros-migrate: ignore check: the column is added by a job outside the chain\n"
        "SELECT missing_column FROM UNNEST([1]) AS x;\n"
        "SELECT other_missing FROM UNNEST([1]) AS x;\n"
    )

    findings = checker.check_file(text, "marker.sql")

    assert [finding.line for finding in findings] == [3]
