"""Outputs: SARIF 2.1.0, and positions reported against the file as written."""

from __future__ import annotations

import json

from eros_migrate.lint import RULES, lint_text, to_sarif
from tests.lint.lint_support import make_settings


def test_sarif_shape() -> None:
    findings = lint_text("SELECT a / b FROM t;\n", "migrations/0001 a.up.sql", make_settings())

    sarif = json.loads(json.dumps(to_sarif(findings)))

    assert sarif["version"] == "2.1.0"
    assert sarif["$schema"].endswith("sarif-2.1.0.json")
    (run,) = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "eros-migrate"
    assert [rule["id"] for rule in driver["rules"]] == list(RULES)
    assert all(rule["shortDescription"]["text"] for rule in driver["rules"])

    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("unsafe-division", "warning"),
        ("unqualified-reference", "warning"),
    ]
    for result in results:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "migrations/0001%20a.up.sql"
        assert physical["region"]["startLine"] == 1
        assert physical["region"]["startColumn"] in (12, 19)


def test_sarif_of_no_findings() -> None:
    sarif = to_sarif([])

    assert sarif["runs"][0]["results"] == []  # type: ignore[index]


def test_columns_map_back_through_placeholders() -> None:
    # ${project} and ${dataset} render to longer or shorter text; columns must not move.
    text = (
        "SELECT x FROM `${project}.${dataset}.a` JOIN ${dataset}.b USING (id) "
        "WHERE CURRENT_DATE() > d AND v / w > 0;\n"
        "  SELECT ${dataset}.f(1), other.g(2);\n"
    )

    findings = lint_text(text, "x.up.sql", make_settings())

    assert [(f.line, f.column, f.rule) for f in findings] == [
        (1, 76, "time-zone"),
        (1, 103, "unsafe-division"),
        (2, 27, "hardcoded-name"),
    ]


def test_unknown_placeholder_is_a_finding_at_its_position() -> None:
    text = "SELECT 1;\nSELECT * FROM ${dataset}.t WHERE region = '${region}';\n"

    findings = lint_text(text, "x.up.sql", make_settings())

    assert [(f.line, f.column, f.rule) for f in findings] == [(2, 44, "unknown-placeholder")]


def test_configured_placeholders_render() -> None:
    text = "SELECT * FROM ${dataset}.t WHERE region = '${region}';\n"

    assert lint_text(text, "x.up.sql", make_settings(region=True)) == []
