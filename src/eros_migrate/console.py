"""What the user reads: text for people, JSON for machines. Diagnostics go to `logging`."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import click

from eros_migrate.errors import MigrateError


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, default=_default, ensure_ascii=False)


def emit_json(data: Any) -> None:
    click.echo(to_json(data))


def say(text: str = "") -> None:
    click.echo(text)


def ok(text: str) -> None:
    click.echo(click.style(text, fg="green"))


def warn(text: str) -> None:
    click.echo(click.style(text, fg="yellow"), err=True)


def fail(text: str) -> None:
    click.echo(click.style(text, fg="red"), err=True)


def report_error(error: MigrateError, as_json: bool) -> None:
    """Errors go to stderr for people; with --format json a JSON object also goes to stdout."""
    fail(f"error: {error}")
    if as_json:
        emit_json(error.to_dict())


def progress(text: str) -> None:
    """One line per step of long work, on stderr so that stdout stays machine-readable."""
    if sys.stderr.isatty():
        click.echo(click.style(text, dim=True), err=True)
    else:
        click.echo(text, err=True)


def table(rows: list[dict[str, Any]]) -> str:
    """A plain text table of query rows."""
    if not rows:
        return "(no rows)"
    columns = list(rows[0])
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [
        max(len(column), *(len(line[index]) for line in cells))
        for index, column in enumerate(columns)
    ]
    head = "  ".join(column.ljust(width) for column, width in zip(columns, widths, strict=True))
    rule = "  ".join("-" * width for width in widths)
    body = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in cells
    ]
    return "\n".join([head, rule, *body])


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dict | list):
        return to_json(value).replace("\n", " ")
    return str(value)
