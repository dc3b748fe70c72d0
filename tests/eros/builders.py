"""Small synthetic rows for the EROS tables, written as GoogleSQL literals.

Tests describe rows as dicts; these helpers turn them into one INSERT statement, so a test's
data reaches the engine in a single job.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def literal(value: Any) -> str:
    """The GoogleSQL literal of None, a bool, number, string, date, datetime or list."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"no literal for {value!r}")
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
        return f"'{escaped}'"
    if isinstance(value, dt.datetime):
        stamp = value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return f"TIMESTAMP '{stamp}+00'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, list | tuple):
        items = ", ".join(literal(item) for item in value)
        return f"[{items}]"
    raise TypeError(f"no literal for {type(value).__name__}")


def insert(table: str, rows: Sequence[Mapping[str, Any]]) -> str:
    """One INSERT of ``rows`` into the fully qualified ``table``; a missing key is NULL."""
    if not rows:
        raise ValueError("insert needs at least one row")

    columns = list(dict.fromkeys(column for row in rows for column in row))
    values = ",\n".join(
        "(" + ", ".join(literal(row.get(column)) for column in columns) + ")" for row in rows
    )
    return f"INSERT INTO `{table}` ({', '.join(columns)})\nVALUES {values}"


def caption(
    caption_id: int,
    *,
    text: str | None = None,
    price_tier: str = "budget",
    category: str = "General",
    urgent: bool = False,
    avg_revenue: float | None = 50.0,
    score: float = 1.0,
    usage_status: str = "available",
) -> dict[str, Any]:
    """A caption_bank row that available_captions shows (positive score, available)."""
    return {
        "caption_id": caption_id,
        "caption_text": text if text is not None else f"caption number {caption_id}",
        "content_category": category,
        "price_tier": price_tier,
        "has_urgency": urgent,
        "overall_performance_score": score,
        "avg_revenue": avg_revenue,
        "usage_status": usage_status,
    }


def message(
    page: str,
    caption_id: int | None,
    sent_at: dt.datetime,
    *,
    row_id: int,
    sent: int = 100,
    viewed: int = 50,
    purchased: float = 5.0,
    earnings: float = 100.0,
    message_type: str = "PPV",
) -> dict[str, Any]:
    """A mass_messages row; its EMV is purchased / viewed * earnings."""
    return {
        "row_id": row_id,
        "page_name": page,
        "message": f"message {row_id}",
        "sending_time": sent_at,
        "price": 10.0,
        "sent_count": sent,
        "viewed_count": viewed,
        "purchased_count": purchased,
        "earnings": earnings,
        "message_type": message_type,
        "caption_id": caption_id,
    }


def assignment(
    page: str,
    caption_id: int,
    send_date: dt.date | None,
    *,
    assigned: dt.date | None = None,
    active: bool = True,
    key: str | None = "",
) -> dict[str, Any]:
    """An active_caption_assignments row (a caption lock); ``key=""`` derives a unique key."""
    assignment_key = f"{page}|{caption_id}|{send_date}" if key == "" else key
    return {
        "page_name": page,
        "caption_id": caption_id,
        "caption_text": f"caption number {caption_id}",
        "assigned_date": assigned or (send_date or dt.date(2026, 1, 1)),
        "scheduled_send_date": send_date,
        "scheduled_send_hour": 12,
        "price_tier": "budget",
        "is_active": active,
        "assigned_at": None,
        "assignment_key": assignment_key,
        "schedule_id": f"schedule_{page}",
    }


def restriction(
    page: str,
    *,
    categories: Iterable[str] = (),
    price_tiers: Iterable[str] = (),
    hard_patterns: Iterable[str] = (),
    active: bool = True,
    version: int = 1,
) -> dict[str, Any]:
    """A creator_caption_restrictions row."""
    return {
        "page_name": page,
        "hard_patterns": list(hard_patterns),
        "restricted_categories": list(categories),
        "restricted_price_tiers": list(price_tiers),
        "applies_to_scope": "ALL",
        "is_active": active,
        "updated_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        "version": version,
    }
