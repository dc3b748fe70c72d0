"""select_captions_for_creator: tier quotas, restrictions, cooldown and weekly budgets."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.eros import builders
from tests.eros.conftest import Eros
from tests.eros.test_udfs import wilson

LA = ZoneInfo("America/Los_Angeles")
PAGE = "me"


def day(offset: int) -> dt.date:
    """A date relative to today in America/Los_Angeles, the procedure's calendar."""
    return dt.datetime.now(LA).date() + dt.timedelta(days=offset)


def select(
    eros: Eros,
    *,
    page: str = PAGE,
    segment: str = "STANDARD",
    budget: int = 0,
    mid: int = 0,
    premium: int = 0,
    bump: int = 0,
) -> list[dict[str, Any]]:
    names = f"{builders.literal(page)}, {builders.literal(segment)}"
    return eros.query(
        f"CALL `$ds.select_captions_for_creator`({names}, {budget}, {mid}, {premium}, {bump})"
    )


def ids(rows: list[dict[str, Any]]) -> set[int]:
    return {row["caption_id"] for row in rows}


def lock(
    caption_id: int, send_date: dt.date | None, page: str = PAGE, **options: Any
) -> dict[str, Any]:
    return builders.assignment(page, caption_id, send_date, **options)


def test_fills_each_tier_up_to_its_quota(eros: Eros) -> None:
    eros.reset()
    eros.insert(
        "caption_bank",
        [builders.caption(i, price_tier="budget", avg_revenue=10.0 * i) for i in range(1, 6)]
        + [builders.caption(i, price_tier="mid") for i in (11, 12)]
        # D-22: no statistics and no avg_revenue must not drop the caption.
        + [builders.caption(13, price_tier="mid", avg_revenue=None)]
        + [builders.caption(21, price_tier="premium", avg_revenue=80.0)]
        + [builders.caption(i, price_tier="bump") for i in range(31, 35)]
        + [builders.caption(41, price_tier="luxury")],
    )

    rows = select(eros, segment="premium", budget=2, mid=3, premium=2, bump=0)

    tiers = Counter(row["price_tier"] for row in rows)
    assert tiers == {"budget": 2, "mid": 3, "premium": 1}
    assert {11, 12, 13, 21} <= ids(rows)
    scores = [row["final_score"] for row in rows]
    assert scores == sorted(scores, reverse=True)
    assert all(score is not None for score in scores)


def test_final_score_follows_the_documented_formula(eros: Eros) -> None:
    eros.reset()
    revenue = {1: 40.0, 2: None, 21: 120.0}
    eros.insert(
        "caption_bank",
        [
            builders.caption(1, price_tier="budget", avg_revenue=revenue[1]),
            builders.caption(2, price_tier="mid", avg_revenue=revenue[2]),
            builders.caption(21, price_tier="premium", avg_revenue=revenue[21]),
        ],
    )
    eros.insert(
        "caption_bandit_stats",
        [
            {
                "caption_id": 21,
                "page_name": PAGE,
                "successes": 30,
                "failures": 10,
                "avg_emv": 60.0,
                "confidence_lower_bound": 0.6,
                "confidence_upper_bound": 0.85,
                "last_updated": dt.datetime.now(dt.UTC),
            },
            # Another creator's statistics do not count for this one.
            {"caption_id": 1, "page_name": "other", "successes": 90, "failures": 1},
        ],
    )

    rows = {
        row["caption_id"]: row
        for row in select(eros, segment="PREMIUM", budget=1, mid=1, premium=1)
    }

    assert set(rows) == {1, 2, 21}
    historical = {1: 40.0, 2: 0.0, 21: 60.0}
    multiplier = {1: 1.0, 2: 1.0, 21: 1.25}
    for caption_id, row in rows.items():
        debug = row["debug_info"]
        assert debug["diversity_bonus"] == pytest.approx(0.25)
        assert debug["budget_penalty"] == 0.0
        assert debug["segment_multiplier"] == multiplier[caption_id]
        expected = (
            0.70 * debug["thompson_score"] + 0.15 * 0.25 + 0.15 * historical[caption_id] / 100
        ) * multiplier[caption_id]
        assert row["final_score"] == pytest.approx(expected, abs=1e-12), caption_id

    premium = rows[21]["debug_info"]
    assert (premium["successes"], premium["failures"]) == (30, 10)
    assert (premium["confidence_lower"], premium["confidence_upper"]) == (0.6, 0.85)
    lower, upper, _ = wilson(30, 10)
    assert lower - 1e-12 <= premium["thompson_score"] <= upper + 1e-12
    assert (rows[1]["debug_info"]["successes"], rows[1]["debug_info"]["failures"]) == (1, 1)


def test_budget_segment_boosts_budget_and_mid(eros: Eros) -> None:
    eros.reset()
    eros.insert(
        "caption_bank",
        [
            builders.caption(1, price_tier="budget"),
            builders.caption(2, price_tier="mid"),
            builders.caption(3, price_tier="premium"),
        ],
    )

    rows = select(eros, segment="BUDGET", budget=1, mid=1, premium=1)

    multipliers = {row["caption_id"]: row["debug_info"]["segment_multiplier"] for row in rows}
    assert multipliers == {1: 1.15, 2: 1.15, 3: 1.0}


def test_restrictions_exclude_categories_price_tiers_and_hard_patterns(eros: Eros) -> None:
    eros.reset()
    eros.insert(
        "caption_bank",
        [
            builders.caption(1, category="General"),
            builders.caption(2, category="Solo"),
            builders.caption(3, text="a FORBIDDEN fruit"),
            builders.caption(4, category="B/G", text="fine words"),
            builders.caption(21, price_tier="premium"),
            builders.caption(22, price_tier="premium", category="Solo"),
        ],
    )
    eros.insert(
        "creator_caption_restrictions",
        [
            builders.restriction(PAGE, categories=["Solo"], hard_patterns=["forbid+en"]),
            # A second active version adds to the first; an inactive one is ignored.
            builders.restriction(PAGE, price_tiers=["premium"], version=2),
            builders.restriction(PAGE, categories=["B/G"], active=False, version=3),
            builders.restriction("other", categories=["General"]),
        ],
    )

    mine = select(eros, budget=10, premium=10)
    others = select(eros, page="other", budget=10, premium=10)

    assert ids(mine) == {1, 4}
    assert len(mine) == 2
    assert ids(others) == {2, 4, 22}


def test_captions_locked_in_the_last_seven_days_are_on_cooldown(eros: Eros) -> None:
    eros.reset()
    eros.insert("caption_bank", [builders.caption(i) for i in range(1, 9)])
    eros.insert(
        "active_caption_assignments",
        [
            lock(1, day(-3)),
            lock(2, day(-3), active=False),
            lock(3, day(2), page="other"),
            lock(4, day(-7)),
            lock(5, day(-8)),
            lock(6, day(5)),
            lock(7, day(-10), page="other"),
        ],
    )

    rows = select(eros, budget=10)

    # 1, 4, 6: this creator's active locks of the week; 3: another creator's (agency-wide).
    assert ids(rows) == {2, 5, 7, 8}


def usage(
    category: str, count: int, first_id: int, *, urgent: bool = False
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``count`` captions of ``category`` and this creator's locks of them this week."""
    captions = [
        builders.caption(first_id + i, category=category, urgent=urgent) for i in range(count)
    ]
    locks = [lock(first_id + i, day(1 + i % 5)) for i in range(count)]
    return captions, locks


def test_weekly_category_budget_excludes_without_taking_quota(eros: Eros) -> None:
    eros.reset()
    heavy, heavy_locks = usage("Heavy", 20, 100)
    mid16, mid16_locks = usage("Mid16", 16, 200)
    mid12, mid12_locks = usage("Mid12", 12, 300)
    candidates = [
        # Would rank first on revenue if the budget did not exclude them.
        builders.caption(1, category="Heavy", avg_revenue=10_000.0),
        builders.caption(2, category="Heavy", avg_revenue=10_000.0),
        builders.caption(3, category="Light"),
        builders.caption(4, category="Light"),
        builders.caption(5, category="Light"),
        builders.caption(6, category="Mid16"),
        builders.caption(7, category="Mid12"),
    ]
    eros.insert("caption_bank", heavy + mid16 + mid12 + candidates)
    eros.insert("active_caption_assignments", heavy_locks + mid16_locks + mid12_locks)

    top_three = select(eros, budget=3)
    everything = {row["caption_id"]: row for row in select(eros, budget=100)}

    assert len(top_three) == 3
    assert not ids(top_three) & {1, 2}
    assert set(everything) == {3, 4, 5, 6, 7}
    penalties = {cid: row["debug_info"]["budget_penalty"] for cid, row in everything.items()}
    assert penalties == {3: 0.0, 4: 0.0, 5: 0.0, 6: -0.3, 7: -0.15}


@pytest.mark.parametrize(("urgent_used", "excluded"), [(4, False), (5, True)])
def test_weekly_urgency_budget(eros: Eros, urgent_used: int, excluded: bool) -> None:
    eros.reset()
    used, used_locks = usage("Tease", urgent_used, 100, urgent=True)
    eros.insert(
        "caption_bank",
        [
            *used,
            builders.caption(1, category="Tease", urgent=True),
            builders.caption(2, category="Tease"),
            builders.caption(3, category="Other"),
        ],
    )
    eros.insert("active_caption_assignments", used_locks)

    rows = {row["caption_id"]: row for row in select(eros, budget=10)}

    if excluded:
        assert set(rows) == {2, 3}
    else:
        assert set(rows) == {1, 2, 3}
        assert rows[1]["debug_info"]["budget_penalty"] == -0.5
        assert rows[2]["debug_info"]["budget_penalty"] == 0.0
