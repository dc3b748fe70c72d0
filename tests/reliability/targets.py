"""Projects whose target is a served engine reached through an endpoint, and what they hold.

The target is `engine = "bigquery"` with an `endpoint`: the code path of a real BigQuery
project, against the embedded engine served over HTTP. On that engine the dataset must exist
before `up`, as on BigQuery.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Project, make_project

SERVED_PROJECT = "served-project"


def new_dataset(client: Any) -> str:
    dataset = f"rel_{uuid.uuid4().hex[:10]}"
    client.create_dataset(f"{SERVED_PROJECT}.{dataset}")
    return dataset


def endpoint_project(
    root: Path, capsys: pytest.CaptureFixture[str], endpoint: str, dataset: str,
    extra: str = "",
) -> Project:
    project = make_project(root, capsys)
    (root / "eros-migrate.toml").write_text(
        "[targets.remote]\n"
        'engine = "bigquery"\n'
        f'project = "{SERVED_PROJECT}"\n'
        f'dataset = "{dataset}"\n'
        f'endpoint = "{endpoint}"\n' + extra,
        encoding="utf-8",
    )
    return project


def ledger(client: Any, dataset: str) -> list[tuple[int, str, str, str]]:
    """(version, direction, status, run_id) of every ledger event, oldest first."""
    rows = client.query(
        "SELECT version, direction, status, run_id "
        f"FROM `{SERVED_PROJECT}.{dataset}._eros_migrate_ledger` ORDER BY finished_at, seq"
    ).result()
    return [(row["version"], row["direction"], row["status"], row["run_id"]) for row in rows]


def lock_rows(client: Any, dataset: str) -> int:
    rows = client.query(
        f"SELECT COUNT(*) AS n FROM `{SERVED_PROJECT}.{dataset}._eros_migrate_lock`"
    ).result()
    return int(next(iter(rows))["n"])


def objects(client: Any, dataset: str) -> set[str]:
    """Tables, views and routines of the dataset, the tool's own tables aside."""
    where = f"`{SERVED_PROJECT}.{dataset}`.INFORMATION_SCHEMA"
    names = [
        row["name"]
        for view, column in (("TABLES", "table_name"), ("ROUTINES", "routine_name"))
        for row in client.query(f"SELECT {column} AS name FROM {where}.{view}").result()
    ]
    return {name for name in names if not name.startswith("_eros_migrate")}


BASIC_OBJECTS = {"events", "labelled_events", "kind_label", "count_events"}
