"""update_caption_performance: per (caption, page) successes against the page's median EMV.

Every message here has viewed_count 10 and purchased_count 1, so its EMV is earnings / 10.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from tests.eros import builders
from tests.eros.conftest import Eros
from tests.eros.test_udfs import wilson

NOW = dt.datetime.now(dt.UTC)


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def msg(
    row_id: int, page: str, caption_id: int | None, emv: float, sent_at: dt.datetime
) -> dict[str, Any]:
    return builders.message(
        page, caption_id, sent_at, row_id=row_id, viewed=10, purchased=1.0, earnings=emv * 10
    )


# Page A: EMVs of the 30-day window 10 20 25 30 30 30 40 50 50 -> median 30 (30 itself fails).
# Page B: EMVs 5 15 25 -> median 15.
MESSAGES = [
    msg(1, "page_a", 101, 10, days_ago(2)),
    msg(2, "page_a", 101, 50, days_ago(3)),
    msg(3, "page_a", 102, 30, days_ago(2.5)),
    msg(4, "page_a", 102, 40, days_ago(4)),
    msg(5, "page_a", 104, 50, days_ago(5)),
    msg(6, "page_a", None, 20, days_ago(2)),
    msg(7, "page_a", None, 25, days_ago(3)),
    # In the median window only: older than 7 days, or younger than 24 hours (not settled).
    msg(8, "page_a", 101, 30, days_ago(8)),
    msg(9, "page_a", 101, 30, NOW - dt.timedelta(hours=2)),
    msg(10, "page_b", 101, 25, days_ago(1.5)),
    msg(11, "page_b", 103, 5, days_ago(2)),
    msg(12, "page_b", 103, 15, days_ago(6)),
    # Not viewed: in neither window.
    {**msg(13, "page_b", 103, 90, days_ago(2)), "viewed_count": 0},
]

# (caption_id, page) -> new successes, new failures, observations, revenue of those messages.
EXPECTED_BATCH = {
    (101, "page_a"): (1, 1, 2, 600.0),
    (102, "page_a"): (1, 1, 2, 700.0),
    (104, "page_a"): (1, 0, 1, 500.0),
    (101, "page_b"): (1, 0, 1, 250.0),
    (103, "page_b"): (0, 2, 2, 200.0),
}

# (104, page_a) already has statistics: its new counts add to them.
EXISTING: dict[str, Any] = {
    "caption_id": 104,
    "page_name": "page_a",
    "successes": 3,
    "failures": 2,
    "total_observations": 3,
    "total_revenue": 100.0,
    "avg_conversion_rate": 0.01,
    "avg_emv": 20.0,
    "last_updated": days_ago(10),
}


def expected_totals(key: tuple[int, str]) -> tuple[int, int, int, float]:
    new_s, new_f, observations, revenue = EXPECTED_BATCH[key]
    if key == (104, "page_a"):
        return (
            EXISTING["successes"] + new_s,
            EXISTING["failures"] + new_f,
            EXISTING["total_observations"] + observations,
            EXISTING["total_revenue"] + revenue,
        )
    return 1 + new_s, 1 + new_f, observations, revenue


def stats(eros: Eros) -> dict[tuple[int, str], dict[str, Any]]:
    rows = eros.query("SELECT * FROM `$ds.caption_bandit_stats`")
    return {(row["caption_id"], row["page_name"]): row for row in rows}


def call(eros: Eros) -> None:
    eros.query("CALL `$ds.update_caption_performance`()")


@pytest.fixture
def messages(eros: Eros) -> None:
    eros.reset()
    eros.insert("mass_messages", MESSAGES)
    eros.insert("caption_bandit_stats", [EXISTING])


@pytest.mark.usefixtures("messages")
def test_counts_each_caption_against_its_page_median(eros: Eros) -> None:
    call(eros)

    rows = stats(eros)
    assert set(rows) == set(EXPECTED_BATCH)
    for key in EXPECTED_BATCH:
        successes, failures, observations, revenue = expected_totals(key)
        row = rows[key]
        assert (row["successes"], row["failures"]) == (successes, failures), key
        assert row["total_observations"] == observations, key
        assert row["total_revenue"] == pytest.approx(revenue), key

        lower, upper, bonus = wilson(successes, failures)
        assert row["confidence_lower_bound"] == pytest.approx(lower, abs=1e-9), key
        assert row["confidence_upper_bound"] == pytest.approx(upper, abs=1e-9), key
        assert row["exploration_score"] == pytest.approx(bonus, abs=1e-9), key
    assert eros.count("caption_performance_message_log") == 8


@pytest.mark.usefixtures("messages")
def test_new_rows_carry_means_and_last_use_of_the_batch(eros: Eros) -> None:
    call(eros)

    row = stats(eros)[(103, "page_b")]
    assert row["avg_emv"] == pytest.approx(10.0)
    assert row["avg_conversion_rate"] == pytest.approx(0.01)
    assert row["last_emv_observed"] == pytest.approx(5.0)
    assert row["last_used"] == MESSAGES[10]["sending_time"]
    assert row["last_updated"] >= NOW

    updated = stats(eros)[(104, "page_a")]
    # Lifetime mean weighted by observations: (20 * 3 + 50 * 1) / 4.
    assert updated["avg_emv"] == pytest.approx(27.5)


@pytest.mark.usefixtures("messages")
def test_running_again_counts_no_message_twice(eros: Eros) -> None:
    call(eros)
    first = stats(eros)

    call(eros)
    second = stats(eros)

    counted = ("successes", "failures", "total_observations", "total_revenue")
    for key, row in first.items():
        assert {c: second[key][c] for c in counted} == {c: row[c] for c in counted}, key
    assert eros.count("caption_performance_message_log") == 8

    # One more settled message of caption 101 on page_a (EMV 45 > median 30): one success more.
    eros.insert("mass_messages", [msg(20, "page_a", 101, 45, days_ago(1.5))])
    call(eros)
    third = stats(eros)

    before, after = second[(101, "page_a")], third[(101, "page_a")]
    assert after["successes"] == before["successes"] + 1
    assert after["failures"] == before["failures"]
    assert after["total_observations"] == before["total_observations"] + 1
    assert after["total_revenue"] == pytest.approx(before["total_revenue"] + 450.0)
    assert third[(103, "page_b")]["successes"] == second[(103, "page_b")]["successes"]


@pytest.mark.usefixtures("messages")
def test_exploration_score_is_one_formula_on_insert_and_update(eros: Eros) -> None:
    call(eros)

    for key, row in stats(eros).items():
        n = row["successes"] + row["failures"]
        assert row["exploration_score"] == pytest.approx(1 / math.sqrt(n + 1), abs=1e-12), key


@pytest.mark.usefixtures("messages")
def test_performance_percentile_ranks_avg_emv_within_each_page(eros: Eros) -> None:
    call(eros)

    rows = stats(eros)
    page_b = sorted(
        (row["avg_emv"], row["performance_percentile"])
        for key, row in rows.items()
        if key[1] == "page_b"
    )
    assert [percentile for _, percentile in page_b] == [0, 100]
    assert all(0 <= row["performance_percentile"] <= 100 for row in rows.values())


def test_no_data_ends_quietly_with_an_info_alert(eros: Eros) -> None:
    eros.reset()
    eros.insert("caption_bandit_stats", [EXISTING])

    call(eros)

    alerts = eros.query(
        "SELECT alert_level, alert_source, alert_message FROM `$ds.automation_alerts`"
    )
    assert len(alerts) == 1
    assert alerts[0]["alert_level"] == "INFO"
    assert alerts[0]["alert_source"] == "caption_performance"
    assert "30 days" in alerts[0]["alert_message"]
    assert stats(eros)[(104, "page_a")]["successes"] == EXISTING["successes"]


def test_duplicate_message_rows_count_once(eros: Eros) -> None:
    eros.reset()
    page = [msg(i, "page_c", None, emv, days_ago(3)) for i, emv in enumerate((10, 20, 30), 1)]
    twice = msg(4, "page_c", 301, 40, days_ago(2))
    eros.insert("mass_messages", [*page, twice, twice])

    call(eros)

    row = stats(eros)[(301, "page_c")]
    assert (row["successes"], row["failures"], row["total_observations"]) == (2, 1, 1)
    assert row["total_revenue"] == pytest.approx(400.0)


def test_duplicate_statistics_rows_do_not_break_the_update(eros: Eros) -> None:
    eros.reset()
    eros.insert("mass_messages", MESSAGES)
    eros.insert("caption_bandit_stats", [EXISTING, EXISTING])

    call(eros)

    rows = eros.query(
        "SELECT successes, failures FROM `$ds.caption_bandit_stats`"
        " WHERE caption_id = 104 AND page_name = 'page_a'"
    )
    assert rows == [{"successes": 4, "failures": 2}] * 2
