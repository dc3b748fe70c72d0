"""Schema fingerprints: what a dataset holds, as data that can be hashed and compared.

A fingerprint describes every table, view and routine of one dataset the way the engine
reports it through the client API (`list_tables`/`get_table`, `list_routines`/`get_routine`),
with `INFORMATION_SCHEMA.VIEWS` filling in view SQL where the API leaves it out. Each object
becomes a plain dictionary (its *shape*) and a SHA-256 of that shape; the whole dataset gets
one hash over the sorted object hashes.

Shapes are neutral to where the dataset lives: references to the dataset's own project and
dataset in SQL bodies are rewritten to `${project}.${dataset}`, so a sandbox built from the
chain and the live target compare equal when they hold the same objects. Whitespace in bodies
is collapsed. Times (creation, modification, expiry of a table) are left out: they differ on
every apply without the schema changing.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eros_migrate import ledger, lock

if TYPE_CHECKING:
    from eros_migrate.bigquery import Connection

TOOL_TABLES = frozenset({ledger.LEDGER_TABLE, lock.LOCK_TABLE})
# Every table eros-migrate keeps for itself (ledger, lock, runs of scheduled queries) starts so;
# none of them is part of the schema a chain builds.
TOOL_PREFIX = "_eros_migrate_"

# Object kinds as fingerprints name them.
TABLE = "table"
VIEW = "view"
MATERIALIZED_VIEW = "materialized_view"
ROUTINE = "routine"
_TABLE_KINDS = {
    "TABLE": TABLE,
    "VIEW": VIEW,
    "MATERIALIZED_VIEW": MATERIALIZED_VIEW,
    "EXTERNAL": "external_table",
    "SNAPSHOT": "snapshot",
}

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ObjectPrint:
    """One object of a dataset: its kind, its normalised shape and the hash of that shape."""

    name: str
    kind: str
    shape: dict[str, Any]
    digest: str

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "kind": self.kind, "digest": self.digest, "shape": self.shape}


@dataclass(frozen=True)
class Fingerprint:
    """Every object of a dataset (the tool's own tables aside) and one hash over them all."""

    objects: dict[str, ObjectPrint]
    digest: str
    gaps: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "digest": self.digest,
            "objects": {name: item.digest for name, item in sorted(self.objects.items())},
            "gaps": self.gaps,
        }


@dataclass(frozen=True)
class Difference:
    """How one object of `actual` departs from `expected`."""

    name: str
    kind: str
    problem: str  # "missing" | "unexpected" | "different"
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "kind": self.kind, "problem": self.problem,
                "detail": self.detail}

    def __str__(self) -> str:
        return f"{self.kind} {self.name}: {self.problem}" + (
            f" ({self.detail})" if self.detail else ""
        )


def digest_of(shape: object) -> str:
    text = json.dumps(shape, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build(objects: list[ObjectPrint], gaps: list[str] | None = None) -> Fingerprint:
    by_name = {item.name: item for item in objects}
    overall = digest_of(sorted((item.kind, item.name, item.digest) for item in objects))
    return Fingerprint(by_name, overall, gaps or [])


def is_tool_table(name: str) -> bool:
    return name in TOOL_TABLES or name.startswith(TOOL_PREFIX)


def take(connection: Connection) -> Fingerprint:
    """The fingerprint of the connection's dataset (tool tables aside), via the client API."""
    from google.api_core import exceptions as gexc

    try:
        return _read(connection)
    except gexc.GoogleAPIError as error:
        raise connection.translate(error) from error


def _read(connection: Connection) -> Fingerprint:
    client = connection.client
    project, dataset = connection.target.project, connection.target.dataset
    neutral = Neutraliser(project, dataset)
    gaps: list[str] = []
    objects: list[ObjectPrint] = []

    view_sql: dict[str, str] | None = None
    for item in client.list_tables(connection.dataset_ref, retry=None):
        if is_tool_table(item.table_id):
            continue

        table = client.get_table(item, retry=None)
        shape = table_shape(table, neutral)
        if shape["kind"] in (VIEW, MATERIALIZED_VIEW) and not shape.get("query"):
            # Some engines leave the view's SQL out of the table resource; the
            # INFORMATION_SCHEMA view still carries it.
            if view_sql is None:
                view_sql = _view_definitions(connection)
            found = view_sql.get(table.table_id)
            if found is None:
                gaps.append(f"{table.table_id}: the engine reports no SQL for this view")
            shape["query"] = neutral.sql(found)
        objects.append(_object(table.table_id, shape))

    for item in client.list_routines(connection.dataset_ref, retry=None):
        routine = client.get_routine(item, retry=None)
        objects.append(_object(routine.routine_id, routine_shape(routine, neutral)))
    return build(objects, gaps)


def compare(expected: Fingerprint, actual: Fingerprint) -> list[Difference]:
    """Per object: missing from `actual`, unexpected in it, or different in shape."""
    differences: list[Difference] = []
    for name in sorted(set(expected.objects) | set(actual.objects)):
        want = expected.objects.get(name)
        have = actual.objects.get(name)
        if have is None and want is not None:
            differences.append(Difference(name, want.kind, "missing", ""))
        elif want is None and have is not None:
            differences.append(Difference(name, have.kind, "unexpected", ""))
        elif want is not None and have is not None and want.digest != have.digest:
            detail = "; ".join(describe_changes(want.shape, have.shape))
            differences.append(Difference(name, have.kind, "different", detail))
    return differences


def describe_changes(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Short phrases naming what changed between two shapes of one object."""
    changes: list[str] = []
    for key in sorted(set(expected) | set(actual)):
        want, have = expected.get(key), actual.get(key)
        if want == have:
            continue
        if key == "columns":
            changes.extend(_column_changes(want or [], have or []))
        elif key in ("body", "query"):
            changes.append(f"{key} differs")
        else:
            changes.append(f"{key}: {_short(want)} -> {_short(have)}")
    return changes


class Neutraliser:
    """Rewrites references to one project and dataset so that shapes compare across datasets."""

    def __init__(self, project: str, dataset: str) -> None:
        p, d = re.escape(project), re.escape(dataset)
        # `project.dataset.x`, `project`.`dataset`.x, project.dataset.x and dataset.x: qualified
        # names only, never a bare word that happens to equal the dataset's name.
        self._qualified = re.compile(rf"(?<![\w.-])(?P<tick>`?)(?:{p}`?\.`?)?{d}(?=`?\.)")

    def sql(self, text: str | None) -> str | None:
        if text is None:
            return None
        neutral = self._qualified.sub(lambda match: match["tick"] + "${project}.${dataset}", text)
        return _SPACE.sub(" ", neutral).strip()


def table_shape(table: Any, neutral: Neutraliser) -> dict[str, Any]:
    kind = _TABLE_KINDS.get(str(table.table_type), str(table.table_type).lower())
    shape: dict[str, Any] = {
        "kind": kind,
        "columns": [_column(column) for column in table.schema or []],
        "description": table.description,
        "labels": dict(sorted((table.labels or {}).items())),
    }
    if kind == VIEW:
        shape["query"] = neutral.sql(table.view_query)
        return shape
    if kind == MATERIALIZED_VIEW:
        shape["query"] = neutral.sql(table.mview_query)
        return shape

    time_partitioning = table.time_partitioning
    if time_partitioning is not None:
        shape["partitioning"] = {
            "type": time_partitioning.type_,
            "field": time_partitioning.field,
            "expiration_ms": time_partitioning.expiration_ms,
        }
    range_partitioning = table.range_partitioning
    if range_partitioning is not None:
        bounds = range_partitioning.range_
        shape["partitioning"] = {
            "type": "RANGE",
            "field": range_partitioning.field,
            "range": [str(bounds.start), str(bounds.end), str(bounds.interval)],
        }
    shape["clustering"] = list(table.clustering_fields or [])
    shape["require_partition_filter"] = bool(table.require_partition_filter)
    return shape


def routine_shape(routine: Any, neutral: Neutraliser) -> dict[str, Any]:
    return_type = routine.return_type
    return_table = routine.return_table_type
    return {
        "kind": ROUTINE,
        "type": routine.type_,
        "language": routine.language,
        "arguments": [
            {
                "name": argument.name,
                "kind": argument.kind,
                "mode": argument.mode,
                "type": argument.data_type.to_api_repr() if argument.data_type else None,
            }
            for argument in routine.arguments or []
        ],
        "return_type": return_type.to_api_repr() if return_type else None,
        "return_table": return_table.to_api_repr() if return_table else None,
        "body": neutral.sql(routine.body),
        "description": routine.description,
    }


def _object(name: str, shape: dict[str, Any]) -> ObjectPrint:
    kind = str(shape["kind"])
    return ObjectPrint(name, ROUTINE if kind == ROUTINE else kind, shape, digest_of(shape))


def _column(column: Any) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "name": column.name,
        "type": column.field_type,
        "mode": column.mode or "NULLABLE",
    }
    if column.default_value_expression is not None:
        shape["default"] = column.default_value_expression
    if column.description:
        shape["description"] = column.description
    if column.fields:
        shape["fields"] = [_column(child) for child in column.fields]
    return shape


def _column_changes(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> list[str]:
    want = {column["name"]: column for column in expected}
    have = {column["name"]: column for column in actual}
    changes = [f"column {name} added" for name in have if name not in want]
    changes += [f"column {name} missing" for name in want if name not in have]
    for name in want.keys() & have.keys():
        if want[name] != have[name]:
            changes.append(f"column {name}: {_short(want[name])} -> {_short(have[name])}")
    if not changes and expected != actual:
        changes.append("column order differs")
    return changes


def _short(value: object) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def _view_definitions(connection: Connection) -> dict[str, str]:
    rows = connection.query(
        "SELECT table_name, view_definition "
        f"FROM `{connection.dataset_ref}`.INFORMATION_SCHEMA.VIEWS"
    )
    return {str(row["table_name"]): str(row["view_definition"]) for row in rows}
