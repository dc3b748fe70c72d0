"""Helpers for check tests: run fixture files against the base schema, read expectations."""

from __future__ import annotations

import re
from pathlib import Path

from eros_migrate.check.analyzer import Analyzer
from eros_migrate.check.catalog import Catalog
from eros_migrate.check.runner import FileChecker
from eros_migrate.check.session import Session
from eros_migrate.findings import Finding

FIXTURES = Path(__file__).parent / "fixtures"
VALUES = {"project": "local-project", "dataset": "eros"}

_EXPECT = re.compile(r"-- expect: (?P<text>.+)$")


def check_fixture(analyzer: Analyzer, name: str) -> list[Finding]:
    """Findings of `name` after `base.sql`, which itself must be clean."""
    session = Session(lambda: analyzer)
    checker = FileChecker(session, Catalog(session, **VALUES), VALUES)
    base = FIXTURES / "base.sql"
    assert checker.check_file(base.read_text(encoding="utf-8"), str(base)) == []

    path = FIXTURES / name
    return checker.check_file(path.read_text(encoding="utf-8"), str(path))


def expectations(name: str) -> dict[int, str]:
    """`-- expect: text` at the end of a line: an error on that line whose message has text."""
    text = (FIXTURES / name).read_text(encoding="utf-8")
    expected: dict[int, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            expected[number] = match["text"].strip()
    return expected
