"""Configuration: disable, enable, severity overrides and suppression markers."""

from __future__ import annotations

import pytest

from eros_migrate.errors import ConfigError
from eros_migrate.lint import lint_text
from tests.lint.lint_support import make_settings

TEXT = "SELECT a / b FROM t;\n"


def rules_of(**lint: object) -> list[tuple[str, str]]:
    return [(f.rule, f.severity) for f in lint_text(TEXT, "x.up.sql", make_settings(**lint))]


def test_defaults() -> None:
    assert rules_of() == [("unsafe-division", "warning"), ("unqualified-reference", "warning")]


def test_disable() -> None:
    assert rules_of(disable=frozenset({"unsafe-division"})) == [
        ("unqualified-reference", "warning")
    ]


def test_enable_selects_rules_but_keeps_parse_errors() -> None:
    settings = make_settings(enable=frozenset({"unsafe-division"}))

    findings = lint_text(TEXT + "SELECT FROM;\n", "x.up.sql", settings)

    assert [f.rule for f in findings] == ["unsafe-division", "parse-error"]


def test_severity_override_and_off() -> None:
    severity = {"unsafe-division": "error", "unqualified-reference": "off"}

    assert rules_of(severity=severity) == [("unsafe-division", "error")]


def test_unknown_rule_ids_are_configuration_errors() -> None:
    with pytest.raises(ConfigError, match="unknown rule"):
        rules_of(disable=frozenset({"no-such-rule"}))


def test_marker_suppresses_only_its_rules_and_line() -> None:
    text = (
        "SELECT a / b FROM t; -- eros-migrate: ignore unsafe-division: b is never 0 here\n"
        "SELECT a / b FROM t;\n"
    )

    findings = lint_text(text, "x.up.sql", make_settings())

    assert [(f.line, f.rule) for f in findings] == [
        (1, "unqualified-reference"),
        (2, "unsafe-division"),
        (2, "unqualified-reference"),
    ]


def test_marker_alone_covers_the_next_line_only() -> None:
    text = (
        "-- eros-migrate: ignore unsafe-division, unqualified-reference: staging only\n"
        "SELECT a / b FROM t;\n"
        "SELECT a / b FROM t;\n"
    )

    findings = lint_text(text, "x.up.sql", make_settings())

    assert [f.line for f in findings] == [3, 3]


def test_allow_destructive_needs_the_line_directly_before() -> None:
    text = (
        "-- eros-migrate: allow destructive: rebuilt from source below\n"
        "\n"
        "TRUNCATE TABLE ${dataset}.t;\n"
    )

    findings = lint_text(text, "0001_a.up.sql", make_settings())

    assert [(f.line, f.rule) for f in findings] == [(3, "destructive-statement")]
