"""Types and variables in scope: BigQuery's system variables, simple type names, literals.

Script variables and procedure parameters reach the analyzer as named constants of the
catalog and, for assignments, as system variables; their types are GoogleSQL `TypeProto`s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from zetasql.wasi._pb2.zetasql.public import type_pb2

# DECLARE defaults that obviously fit their type, by type kind.
_NUMBER = r"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?"
_FITTING_LITERALS = {
    type_pb2.TYPE_INT64: re.compile(r"^-?\d+$"),
    type_pb2.TYPE_DOUBLE: re.compile(rf"^{_NUMBER}$"),
    type_pb2.TYPE_NUMERIC: re.compile(rf"^{_NUMBER}$"),
    type_pb2.TYPE_BIGNUMERIC: re.compile(rf"^{_NUMBER}$"),
    type_pb2.TYPE_STRING: re.compile(r"""^(?:'[^'\\\n]*'|"[^"\\\n]*")$"""),
    type_pb2.TYPE_BOOL: re.compile(r"^(?:TRUE|FALSE)$", re.IGNORECASE),
}
# Type names that need no analysis, with BigQuery's aliases.
SIMPLE_TYPES = {
    "INT64": type_pb2.TYPE_INT64,
    "INT": type_pb2.TYPE_INT64,
    "INTEGER": type_pb2.TYPE_INT64,
    "BIGINT": type_pb2.TYPE_INT64,
    "SMALLINT": type_pb2.TYPE_INT64,
    "TINYINT": type_pb2.TYPE_INT64,
    "BYTEINT": type_pb2.TYPE_INT64,
    "FLOAT64": type_pb2.TYPE_DOUBLE,
    "NUMERIC": type_pb2.TYPE_NUMERIC,
    "DECIMAL": type_pb2.TYPE_NUMERIC,
    "BIGNUMERIC": type_pb2.TYPE_BIGNUMERIC,
    "BIGDECIMAL": type_pb2.TYPE_BIGNUMERIC,
    "BOOL": type_pb2.TYPE_BOOL,
    "BOOLEAN": type_pb2.TYPE_BOOL,
    "STRING": type_pb2.TYPE_STRING,
    "BYTES": type_pb2.TYPE_BYTES,
    "DATE": type_pb2.TYPE_DATE,
    "DATETIME": type_pb2.TYPE_DATETIME,
    "TIME": type_pb2.TYPE_TIME,
    "TIMESTAMP": type_pb2.TYPE_TIMESTAMP,
    "JSON": type_pb2.TYPE_JSON,
    "INTERVAL": type_pb2.TYPE_INTERVAL,
    "GEOGRAPHY": type_pb2.TYPE_GEOGRAPHY,
}


def struct(fields: Iterable[tuple[str, type_pb2.TypeProto]]) -> type_pb2.TypeProto:
    result = type_pb2.StructTypeProto()
    for name, kind in fields:
        result.field.add(field_name=name, field_type=kind)
    return type_pb2.TypeProto(type_kind=type_pb2.TYPE_STRUCT, struct_type=result)


def scalar(kind: int) -> type_pb2.TypeProto:
    return type_pb2.TypeProto(type_kind=kind)


STRING = scalar(type_pb2.TYPE_STRING)
INT64 = scalar(type_pb2.TYPE_INT64)
TIMESTAMP = scalar(type_pb2.TYPE_TIMESTAMP)
# BigQuery's system variables, as scripts and procedures read them.
SYSTEM_VARIABLES: dict[str, type_pb2.TypeProto] = {
    "error": struct(
        [
            ("message", STRING),
            ("statement_text", STRING),
            ("formatted_stack_trace", STRING),
            (
                "stack_trace",
                type_pb2.TypeProto(
                    type_kind=type_pb2.TYPE_ARRAY,
                    array_type=type_pb2.ArrayTypeProto(
                        element_type=struct(
                            [
                                ("line", INT64),
                                ("column", INT64),
                                ("filename", STRING),
                                ("location", STRING),
                            ]
                        )
                    ),
                ),
            ),
        ]
    ),
    "row_count": INT64,
    "current_job_id": STRING,
    "last_job_id": STRING,
    "project_id": STRING,
    "dataset_id": STRING,
    "dataset_project_id": STRING,
    "location": STRING,
    "query_label": STRING,
    "session_id": STRING,
    "time_zone": STRING,
    "script.bytes_billed": INT64,
    "script.bytes_processed": INT64,
    "script.creation_time": TIMESTAMP,
    "script.job_id": STRING,
    "script.num_child_jobs": INT64,
    "script.slot_ms": INT64,
}


def type_name(kind: type_pb2.TypeProto) -> str:
    name = str(type_pb2.TypeKind.Name(kind.type_kind)).removeprefix("TYPE_")
    if kind.type_kind == type_pb2.TYPE_DOUBLE:
        return "FLOAT64"
    return name


def fits(kind: type_pb2.TypeProto, value: str) -> bool:
    """Whether `value` is a literal (or NULL) that obviously fits a variable of type `kind`."""
    text = value.strip()
    if text.upper() == "NULL":
        return True
    literal = _FITTING_LITERALS.get(kind.type_kind)
    return literal is not None and literal.match(text) is not None
