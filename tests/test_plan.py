"""Planning is pure logic over the chain and the ledger state: no target involved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from eros_migrate.chain import Chain, load_chain
from eros_migrate.errors import ChainError
from eros_migrate.ledger import LedgerEvent, derive_state
from eros_migrate.plan import plan_down, plan_up

CHAIN = Path(__file__).parent / "chains" / "basic"
START = datetime(2026, 1, 1, tzinfo=UTC)


def chain() -> Chain:
    return load_chain(CHAIN)


def event(
    version: int, direction: str = "up", status: str = "applied", minute: int = 0,
    checksum: str | None = None,
) -> LedgerEvent:
    migration = chain().get(version)
    return LedgerEvent(
        event_id=f"e{version}{direction}{minute}",
        seq=minute,
        version=version,
        name=migration.name,
        direction=direction,
        checksum=checksum or migration.file("up" if direction != "down" else "down").checksum,
        status=status,
        started_at=START + timedelta(minutes=minute),
        finished_at=START + timedelta(minutes=minute),
        duration_ms=1,
        statements_applied=0 if status == "failed" else 1,
        statements_total=1,
        applied_by="tester",
        tool_version="0",
        run_id="r",
        job_ids=(),
        error="boom" if status == "failed" else None,
        failed_statement=None,
        backups=(),
    )


def test_state_replays_events_in_order() -> None:
    state = derive_state([event(2, minute=2), event(1, minute=1), event(2, "down", minute=3)])
    assert sorted(state.applied) == [1]
    assert state.current_version == 1


def test_plan_up_from_empty() -> None:
    plan = plan_up(chain(), derive_state([]))
    assert [step.version for step in plan.steps] == [1, 2, 3]
    assert plan.from_version is None and plan.to_version == 3


def test_plan_up_to_tag_version() -> None:
    the_chain = chain()
    plan = plan_up(the_chain, derive_state([]), the_chain.resolve("first"))
    assert [step.version for step in plan.steps] == [1]


def test_failed_version_is_retried_with_a_notice() -> None:
    state = derive_state([event(1, minute=1), event(2, status="failed", minute=2)])
    plan = plan_up(chain(), state)
    assert [step.version for step in plan.steps] == [2, 3]
    assert plan.steps[0].previous_failure is not None
    assert "runs again from its first statement" in plan.notices[0]


def test_changed_applied_file_is_refused() -> None:
    state = derive_state([event(1, checksum="0" * 64, minute=1)])
    with pytest.raises(ChainError, match="changed after it was applied"):
        plan_up(chain(), state)


def test_version_beyond_chain_is_refused() -> None:
    applied = event(3, minute=1)
    state = derive_state([applied])
    short = chain()
    short.migrations = short.migrations[:2]
    with pytest.raises(ChainError, match="chain ends at version 2"):
        plan_up(short, state)


def test_plan_down_to_zero_newest_first() -> None:
    state = derive_state([event(1, minute=1), event(2, minute=2), event(3, minute=3)])
    plan = plan_down(chain(), state, to=0)
    assert [(step.version, step.direction) for step in plan.steps] == [
        (3, "down"), (2, "down"), (1, "down"),
    ]


def test_plan_down_by_steps() -> None:
    state = derive_state([event(1, minute=1), event(2, minute=2), event(3, minute=3)])
    plan = plan_down(chain(), state, count=2)
    assert [step.version for step in plan.steps] == [3, 2]
    assert plan.to_version == 1


def test_up_below_current_is_a_notice_not_a_down() -> None:
    state = derive_state([event(1, minute=1), event(2, minute=2)])
    plan = plan_up(chain(), state, 1)
    assert plan.steps == []
    assert "eros-migrate down --to 1" in plan.notices[0]


def test_out_of_order_version_is_applied_with_notice() -> None:
    state = derive_state([event(1, minute=1), event(3, minute=3)])
    plan = plan_up(chain(), state)
    assert [step.version for step in plan.steps] == [2]
    assert "out of order" in plan.notices[0]
