"""Helpers for lint tests: settings without a configuration file, and fixture expectations."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from eros_migrate.config import LintConfig, Settings

FIXTURES = Path(__file__).parent / "fixtures"

_RULES = re.compile(r"^-- rules: (?P<rules>.+)$", re.MULTILINE)
_EXPECT_HERE = re.compile(r"-- expect: (?P<items>[^\n]+)$")
_EXPECT_AT = re.compile(r"^-- expect line (?P<line>\d+): (?P<items>.+)$")


def make_settings(**lint: object) -> Settings:
    return Settings(
        root=Path("."),
        config_file=None,
        migrations_dir=Path("migrations"),
        checks_dir=Path("checks"),
        placeholders={"region": "region-us"} if lint.pop("region", False) else {},
        lint=replace(LintConfig(), **lint),  # type: ignore[arg-type]
        targets={},
        default_target="local",
    )


def expectations(text: str) -> tuple[set[str], set[tuple[int, int, str]]]:
    """The rules a fixture tests and the findings it expects, as (line, column, rule).

    `-- expect: rule@column, ...` at the end of a line expects findings on that line;
    `-- expect line N: ...` near the top expects them on line N (for lines that hold a marker).
    """
    header = _RULES.search(text)
    assert header is not None, "a fixture starts with `-- rules: rule-id, ...`"
    rules = {rule.strip() for rule in header["rules"].split(",")}

    expected: set[tuple[int, int, str]] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        at = _EXPECT_AT.match(line)
        here = _EXPECT_HERE.search(line) if at is None else None
        if at is not None:
            expected |= _items(int(at["line"]), at["items"])
        elif here is not None:
            expected |= _items(number, here["items"])
    return rules, expected


def _items(line: int, items: str) -> set[tuple[int, int, str]]:
    found = set()
    for item in items.split(","):
        rule, column = item.strip().split("@")
        found.add((line, int(column), rule))
    return found
