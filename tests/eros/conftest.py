"""The EROS chain at v2 on the embedded engine, once per session, and a handle to query it.

Bringing the chain up costs close to a minute, so one dataset serves every test here; each
test empties the tables it reads (``Eros.reset``) and then writes its own small rows. Queries
go through one engine kept open for the session: every ``commands.*`` call would start and
stop an engine of its own on the same data directory.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from eros_migrate import commands
from eros_migrate.config import load_settings
from eros_migrate.local_engine import LocalEngine
from tests.eros import builders

if TYPE_CHECKING:
    from google.cloud import bigquery

REPO = Path(__file__).resolve().parents[2]

# Every table the EROS procedures read or write; reset() empties any of them.
DATA_TABLES = (
    "mass_messages",
    "caption_bank",
    "caption_bandit_stats",
    "caption_performance_message_log",
    "active_caption_assignments",
    "creator_caption_restrictions",
    "automation_alerts",
    "lock_sweep_log",
    "etl_job_runs",
    "creator_processing_errors",
    "schedule_generation_queue",
)


@dataclass
class Eros:
    """The v2 dataset: ``$ds`` in a query stands for its fully qualified name."""

    client: bigquery.Client
    dataset: str

    def render(self, sql: str) -> str:
        return sql.replace("$ds", self.dataset)

    def query(
        self, sql: str, parameters: Sequence[bigquery.ArrayQueryParameter] = ()
    ) -> list[dict[str, Any]]:
        """Run one statement or script; the rows of its result (a script's last SELECT)."""
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(query_parameters=list(parameters))
        job = self.client.query(
            self.render(sql),
            job_config=config,
            retry=None,  # type: ignore[arg-type]
            job_retry=None,
        )
        return [dict(row.items()) for row in job.result()]

    def insert(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        self.query(builders.insert(f"{self.dataset}.{table}", rows))

    def reset(self, *tables: str) -> None:
        """Empty the named tables (all of DATA_TABLES when none is named) in one script."""
        chosen = tables or DATA_TABLES
        unknown = set(chosen) - set(DATA_TABLES)
        assert not unknown, f"not a data table: {sorted(unknown)}"
        self.query("\n".join(f"DELETE FROM `$ds.{table}` WHERE TRUE;" for table in chosen))

    def count(self, table: str, where: str = "TRUE") -> int:
        rows = self.query(f"SELECT COUNT(*) AS n FROM `$ds.{table}` WHERE {where}")
        return int(rows[0]["n"])


@pytest.fixture(scope="session")
def eros_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalEngine, str]]:
    """A persistent local engine holding a fresh dataset brought to v2 with ``commands.up``."""
    root = tmp_path_factory.mktemp("eros_v2")
    dataset = f"eros_{uuid.uuid4().hex[:10]}"
    (root / "eros-migrate.toml").write_text(
        f'migrations = "{REPO / "migrations"}"\n'
        f'checks = "{REPO / "checks"}"\n'
        "[targets.local]\n"
        'engine = "local"\n'
        f'dataset = "{dataset}"\n'
        'data_dir = "engine"\n',
        encoding="utf-8",
    )
    settings = load_settings(root, environment={})
    report = commands.up(settings)
    assert report.results[-1].version == 20, report

    # Opened only after up() has stopped its own engine: one engine per data directory.
    engine = LocalEngine(settings.target().data_dir, project=settings.target().project)
    engine.start()
    try:
        yield engine, f"{engine.project}.{dataset}"
    finally:
        engine.stop()


@pytest.fixture(scope="session")
def eros(eros_engine: tuple[LocalEngine, str]) -> Eros:
    engine, dataset = eros_engine
    return Eros(engine.client(), dataset)
