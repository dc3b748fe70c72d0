"""Fixtures of the reliability tests: an engine served over HTTP, fast retries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from eros_migrate import bigquery
from eros_migrate.local_engine import LocalEngine
from tests.reliability.targets import SERVED_PROJECT


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalEngine]:
    """The embedded engine, reached by `bigquery` targets through its endpoint."""
    with LocalEngine(None, project=SERVED_PROJECT) as served:
        yield served


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bigquery, "BASE_DELAY_S", 0.001)


@pytest.fixture(autouse=True)
def fresh_log_handlers() -> Iterator[None]:
    """Let each in-process CLI run log to this test's stderr.

    The CLI calls `logging.basicConfig`, which binds the root logger to the stderr of the test
    that ran first; later tests would log into that closed capture and print a logging
    traceback instead.
    """
    import logging

    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers = []
    yield
    root.handlers = saved
