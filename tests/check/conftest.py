"""Fixtures for check: one analyzer for the module, skipped when the extra is missing."""

from __future__ import annotations

import pytest

from eros_migrate import check


@pytest.fixture(scope="module")
def analyzer():
    if not check.available():
        pytest.skip("the check extra is not installed: pip install 'eros-migrate[check]'")
    from eros_migrate.check import shared_analyzer

    # One process-wide instance: loading it from the cache is cheap, compiling it is not.
    return shared_analyzer()
