"""sweep_expired_caption_locks: expires past locks, logs the sweep, alerts on volume."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.eros import builders
from tests.eros.conftest import Eros

LA = ZoneInfo("America/Los_Angeles")

ALERT_MESSAGES = {
    "WARNING": "Active lock count growing: {} active locks. Monitor for potential issues.",
    "CRITICAL": (
        "Active lock table bloat detected: {} active locks."
        " Consider reviewing scheduling frequency."
    ),
}


def today_la() -> dt.date:
    return dt.datetime.now(LA).date()


def call(eros: Eros) -> None:
    eros.query("CALL `$ds.sweep_expired_caption_locks`()")


def locks(eros: Eros) -> dict[str, dict[str, Any]]:
    rows = eros.query(
        "SELECT schedule_id, is_active, deactivated_at, deactivation_reason"
        " FROM `$ds.active_caption_assignments`"
    )
    return {row["schedule_id"]: row for row in rows}


def lock(name: str, send_in_days: int | None, **options: Any) -> dict[str, Any]:
    today = today_la()
    send_date = None if send_in_days is None else today + dt.timedelta(days=send_in_days)
    row = builders.assignment("page_a", len(name), send_date, **options)
    return {**row, "schedule_id": name}


def test_deactivates_exactly_the_expired_locks_with_their_reason(eros: Eros) -> None:
    eros.reset()
    today = today_la()
    eros.insert(
        "active_caption_assignments",
        [
            lock("yesterday", -1),
            lock("seven_days_ago", -7),
            lock("eight_days_ago", -8),
            lock("a_month_ago", -30),
            lock("today", 0),
            lock("next_week", 7),
            lock("inactive_past", -3, active=False),
            lock("no_date_old", None, assigned=today - dt.timedelta(days=10)),
            lock("no_date_recent", None, assigned=today - dt.timedelta(days=2)),
            lock("no_key_past", -2, key=None),
            lock("duplicate_key_1", -4, key="same-key"),
            lock("duplicate_key_2", -5, key="same-key"),
        ],
    )
    before = eros.query("SELECT CURRENT_TIMESTAMP() AS t")[0]["t"]

    call(eros)

    after = eros.query("SELECT CURRENT_TIMESTAMP() AS t")[0]["t"]
    rows = locks(eros)
    expired = {
        "yesterday": "PAST_SEND_DATE",
        "seven_days_ago": "PAST_SEND_DATE",
        "eight_days_ago": "STALE_7DAY",
        "a_month_ago": "STALE_7DAY",
        "no_date_old": "NO_SEND_DATE_7DAY",
        "no_key_past": "PAST_SEND_DATE",
        "duplicate_key_1": "PAST_SEND_DATE",
        "duplicate_key_2": "PAST_SEND_DATE",
    }
    assert {name for name, row in rows.items() if row["deactivated_at"]} == set(expired)
    for name, reason in expired.items():
        assert rows[name]["is_active"] is False, name
        assert rows[name]["deactivation_reason"] == reason, name
        assert before <= rows[name]["deactivated_at"] <= after, name
    assert len({rows[name]["deactivated_at"] for name in expired}) == 1

    for name in ("today", "next_week", "no_date_recent"):
        assert rows[name]["is_active"] is True, name
        assert rows[name]["deactivation_reason"] is None, name
    assert rows["inactive_past"] == {
        "schedule_id": "inactive_past",
        "is_active": False,
        "deactivated_at": None,
        "deactivation_reason": None,
    }

    log = eros.query("SELECT * FROM `$ds.lock_sweep_log`")
    assert len(log) == 1
    assert log[0]["sweep_id"].startswith("sweep_")
    assert log[0]["sweep_time"] == rows["yesterday"]["deactivated_at"]
    assert log[0]["locks_expired_stale"] == 3
    assert log[0]["locks_expired_past_date"] == 5
    assert log[0]["total_locks_cleaned"] == 8
    assert 0 <= log[0]["sweep_duration_seconds"] <= (after - before).total_seconds()

    assert eros.count("automation_alerts") == 0


def test_a_second_sweep_finds_nothing_more(eros: Eros) -> None:
    eros.reset()
    eros.insert("active_caption_assignments", [lock("yesterday", -1), lock("tomorrow", 1)])
    call(eros)
    first = locks(eros)

    call(eros)

    assert locks(eros) == first
    totals = eros.query("SELECT total_locks_cleaned FROM `$ds.lock_sweep_log` ORDER BY sweep_time")
    assert [row["total_locks_cleaned"] for row in totals] == [1, 0]


def generate_locks(eros: Eros, count: int, send_in_days: int, prefix: str) -> None:
    """``count`` active locks of distinct captions, in one INSERT ... SELECT."""
    send_date = today_la() + dt.timedelta(days=send_in_days)
    eros.query(
        "INSERT INTO `$ds.active_caption_assignments` (page_name, caption_id, caption_text,"
        " assigned_date, scheduled_send_date, is_active, assignment_key, schedule_id)\n"
        f"SELECT 'bulk', n, 'bulk caption', {builders.literal(send_date)},"
        f" {builders.literal(send_date)}, TRUE, CONCAT('{prefix}', CAST(n AS STRING)), '{prefix}'\n"
        f"FROM UNNEST(GENERATE_ARRAY(1, {count})) AS n"
    )


def lock_alerts(eros: Eros) -> list[dict[str, Any]]:
    return eros.query(
        "SELECT alert_level, alert_message, job_id FROM `$ds.automation_alerts`"
        " WHERE alert_source = 'lock_cleanup' ORDER BY alert_level"
    )


@pytest.mark.parametrize(("expired", "alerted"), [(1000, False), (1001, True)])
def test_warns_when_more_than_a_thousand_locks_are_cleaned(
    eros: Eros, expired: int, alerted: bool
) -> None:
    eros.reset()
    generate_locks(eros, expired, -2, "past")

    call(eros)

    alerts = lock_alerts(eros)
    if not alerted:
        assert alerts == []
        return
    assert len(alerts) == 1
    assert alerts[0]["alert_level"] == "WARNING"
    assert alerts[0]["alert_message"] == (
        f"Unusually high lock cleanup volume: {expired} locks expired (0 stale, {expired} past"
        " send date)"
    )
    sweep_id = eros.query("SELECT sweep_id FROM `$ds.lock_sweep_log`")[0]["sweep_id"]
    assert alerts[0]["job_id"] == sweep_id


@pytest.mark.parametrize(
    ("active", "level"), [(5000, None), (5001, "WARNING"), (10000, "WARNING"), (10001, "CRITICAL")]
)
def test_alerts_on_the_number_of_locks_left_active(
    eros: Eros, active: int, level: str | None
) -> None:
    eros.reset()
    generate_locks(eros, active, 3, "future")
    generate_locks(eros, 10, -1, "past")

    call(eros)

    alerts = lock_alerts(eros)
    assert eros.count("active_caption_assignments", "is_active") == active
    if level is None:
        assert alerts == []
        return
    assert [alert["alert_level"] for alert in alerts] == [level]
    assert alerts[0]["alert_message"] == ALERT_MESSAGES[level].format(active)
