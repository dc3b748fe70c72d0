"""Safe SQL literals for the statements the tool writes itself (ledger and lock rows)."""

from __future__ import annotations

from datetime import datetime


def string(value: str | None) -> str:
    """A GoogleSQL string literal; the escapes keep any text inside the quotes."""
    if value is None:
        return "NULL"
    escaped = (
        value.replace("\\", "\\\\")
        .replace("'", "\\'")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f"'{escaped}'"


def integer(value: int | None) -> str:
    return "NULL" if value is None else str(int(value))


def timestamp(value: datetime) -> str:
    return f"TIMESTAMP {string(value.isoformat())}"


def string_array(values: list[str]) -> str:
    if not values:
        return "CAST([] AS ARRAY<STRING>)"
    return "[" + ", ".join(string(value) for value in values) + "]"
