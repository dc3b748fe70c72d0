"""The EROS chain of this repository passes check with no finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from eros_migrate.chain import load_chain
from eros_migrate.check import check_chain
from eros_migrate.check.analyzer import Analyzer
from eros_migrate.config import load_settings
from eros_migrate.errors import MigrateError

ROOT = Path(__file__).resolve().parents[2]


def test_eros_chain_has_no_finding(analyzer: Analyzer) -> None:
    if not (ROOT / "migrations" / "tags.toml").is_file():
        pytest.skip("the EROS chain (migrations/tags.toml) is not in this checkout yet")
    settings = load_settings(ROOT, environment={})
    try:
        chain = load_chain(settings.migrations_dir)
    except MigrateError as error:
        pytest.skip(f"the EROS chain does not load yet: {error}")

    findings = check_chain(
        settings, chain, settings.target(None), analyzer=analyzer, reuse_results=False
    )

    assert [str(finding) for finding in findings] == []
