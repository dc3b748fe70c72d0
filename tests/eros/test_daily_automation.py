"""run_daily_automation: per-creator isolation, the consecutive-failure breaker, job bookkeeping.

Creators fail through a stand-in analyze_creator_performance that raises for chosen pages;
the chain's own procedure is put back after each test.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.eros import builders
from tests.eros.conftest import REPO, Eros

LA = ZoneInfo("America/Los_Angeles")
EXECUTION_DATE = dt.date(2025, 6, 15)
ANALYZER = REPO / "migrations" / "0006_analyze_creator_performance.up.sql"
SWEEP = REPO / "migrations" / "0018_sweep_expired_caption_locks.up.sql"

# Five captions in the pool; saturation is the share of them a creator has locked.
POOL = [
    builders.caption(1, category="General"),
    builders.caption(2, category="General"),
    builders.caption(3, category="Solo"),
    builders.caption(4, category="Solo"),
    builders.caption(5, category="Solo"),
]

# Rows of other jobs that a run must leave exactly as they are (D-7, D-8).
OTHER_JOBS = [
    {
        "run_id": "gmail-etl-1",
        "job_name": "gmail-etl",
        "started_at": dt.datetime(2025, 6, 1, 8, tzinfo=dt.UTC),
        "status": "SUCCESS",
        "error_message": "an old warning",
        "execution_duration_seconds": 12.5,
    },
    {
        "run_id": "daily_automation_20250614_old",
        "job_name": "daily_automation",
        "started_at": dt.datetime(2025, 6, 14, 10, tzinfo=dt.UTC),
        "status": "RUNNING",
        "job_id": "daily_automation_20250614_old",
        "job_start_time": dt.datetime(2025, 6, 14, 10, tzinfo=dt.UTC),
        "job_status": "RUNNING",
        "execution_date": dt.date(2025, 6, 14),
        "error_message": None,
        "execution_duration_seconds": None,
    },
]

SetFailing = Callable[[Sequence[str]], None]


@pytest.fixture
def set_failing(eros: Eros) -> Iterator[SetFailing]:
    """Replace analyze_creator_performance with one that raises for the given pages."""

    def replace(pages: Sequence[str]) -> None:
        eros.query(
            "CREATE OR REPLACE PROCEDURE `$ds.analyze_creator_performance`(\n"
            "  IN p_page_name STRING, OUT performance_report STRING)\n"
            "BEGIN\n"
            f"  IF p_page_name IN UNNEST({builders.literal(list(pages))}) THEN\n"
            "    RAISE USING MESSAGE = CONCAT('analysis failed for ', p_page_name);\n"
            "  END IF;\n"
            "  SET performance_report = TO_JSON_STRING(STRUCT(p_page_name AS creator_name));\n"
            "END"
        )

    yield replace

    original = ANALYZER.read_text(encoding="utf-8")
    eros.query(original.replace("${project}.${dataset}", eros.dataset))


@pytest.fixture
def failing_sweep(eros: Eros) -> Iterator[None]:
    """Replace sweep_expired_caption_locks with one that raises."""
    eros.query(
        "CREATE OR REPLACE PROCEDURE `$ds.sweep_expired_caption_locks`()\n"
        "BEGIN\n"
        "  RAISE USING MESSAGE = 'sweep broke';\n"
        "END"
    )

    yield

    original = SWEEP.read_text(encoding="utf-8")
    eros.query(original.replace("${project}.${dataset}", eros.dataset))


def creators(count: int) -> list[str]:
    return [f"c{number:02d}" for number in range(1, count + 1)]


def setup_run(eros: Eros, pages: Sequence[str]) -> None:
    """Fresh tables; each page sent one message at noon LA on the execution date."""
    eros.reset()
    sent_at = dt.datetime.combine(EXECUTION_DATE, dt.time(12), LA)
    eros.insert(
        "mass_messages",
        [builders.message(page, None, sent_at, row_id=i) for i, page in enumerate(pages)],
    )
    eros.insert("caption_bank", POOL)
    eros.insert("etl_job_runs", OTHER_JOBS)


def run(eros: Eros, execution_date: dt.date = EXECUTION_DATE) -> float:
    """CALL the procedure; its wall time in seconds."""
    started = time.monotonic()
    eros.query(f"CALL `$ds.run_daily_automation`({builders.literal(execution_date)})")
    return time.monotonic() - started


def job(eros: Eros) -> dict[str, Any]:
    rows = eros.query(
        "SELECT * FROM `$ds.etl_job_runs`"
        " WHERE job_name = 'daily_automation' AND job_id LIKE 'daily_automation_20250615_%'"
    )
    assert len(rows) == 1, rows
    return rows[0]


def other_jobs(eros: Eros) -> list[dict[str, Any]]:
    names = builders.literal([row["run_id"] for row in OTHER_JOBS])
    return eros.query(f"SELECT * FROM `$ds.etl_job_runs` WHERE run_id IN UNNEST({names})")


def failed_pages(eros: Eros) -> list[str]:
    rows = eros.query("SELECT page_name FROM `$ds.creator_processing_errors` ORDER BY page_name")
    return [row["page_name"] for row in rows]


def queued(eros: Eros) -> dict[str, float | None]:
    rows = eros.query(
        "SELECT page_name, saturation_pct, status FROM `$ds.schedule_generation_queue`"
    )
    assert all(row["status"] == "PENDING" for row in rows)
    return {row["page_name"]: row["saturation_pct"] for row in rows}


def alerts(eros: Eros) -> list[dict[str, Any]]:
    return eros.query(
        "SELECT alert_level, alert_message, job_id FROM `$ds.automation_alerts`"
        " WHERE alert_source = 'daily_automation'"
    )


def test_all_creators_succeed_with_the_chains_analyzer(eros: Eros) -> None:
    pages = creators(3)
    setup_run(eros, pages)
    before = other_jobs(eros)

    wall = run(eros)

    row = job(eros)
    assert row["job_status"] == row["status"] == "SUCCESS"
    assert row["execution_date"] == EXECUTION_DATE
    assert (row["creators_processed"], row["creators_failed"]) == (3, 0)
    assert row["error_message"] is None
    assert row["run_id"] == row["job_id"]
    assert row["started_at"] == row["job_start_time"]
    duration = (row["job_end_time"] - row["job_start_time"]).total_seconds()
    assert 0 <= row["job_duration_seconds"] <= wall
    assert row["job_duration_seconds"] == pytest.approx(duration, abs=0.002)

    assert other_jobs(eros) == before
    # The chain's analyzer logged one row per creator; the job's UPDATE left them alone.
    analyses = eros.query(
        "SELECT status, job_status FROM `$ds.etl_job_runs`"
        " WHERE job_name = 'analyze_creator_performance'"
    )
    assert analyses == [{"status": "SUCCESS", "job_status": None}] * 3
    assert failed_pages(eros) == []
    assert queued(eros) == {page: 0.0 for page in pages}
    assert alerts(eros) == []


def test_a_failing_creator_is_logged_and_the_others_carry_on(
    eros: Eros, set_failing: SetFailing
) -> None:
    pages = creators(4)
    setup_run(eros, pages)
    set_failing(["c02"])
    before = other_jobs(eros)

    run(eros)

    row = job(eros)
    assert row["job_status"] == "COMPLETED_WITH_ERRORS"
    assert (row["creators_processed"], row["creators_failed"]) == (3, 1)
    assert row["error_message"] is None
    errors = eros.query("SELECT * FROM `$ds.creator_processing_errors`")
    assert len(errors) == 1
    assert errors[0]["job_id"] == row["job_id"]
    assert errors[0]["page_name"] == "c02"
    assert errors[0]["execution_date"] == EXECUTION_DATE
    assert "analysis failed for c02" in errors[0]["error_message"]
    assert set(queued(eros)) == {"c01", "c03", "c04"}
    assert alerts(eros) == [
        {
            "alert_level": "WARNING",
            "alert_message": "Job completed with issues: 1/4 creators failed."
            " See error log for details",
            "job_id": row["job_id"],
        }
    ]
    assert other_jobs(eros) == before


def test_a_success_resets_the_consecutive_failure_count(
    eros: Eros, set_failing: SetFailing
) -> None:
    pages = creators(9)
    setup_run(eros, pages)
    set_failing([page for page in pages if page != "c05"])

    run(eros)

    row = job(eros)
    assert row["job_status"] == "COMPLETED_WITH_ERRORS"
    assert (row["creators_processed"], row["creators_failed"]) == (1, 8)
    assert row["error_message"] is None
    assert failed_pages(eros) == [page for page in pages if page != "c05"]
    assert set(queued(eros)) == {"c05"}
    assert [alert["alert_level"] for alert in alerts(eros)] == ["WARNING"]


def test_five_consecutive_failures_trip_the_breaker(eros: Eros, set_failing: SetFailing) -> None:
    pages = creators(8)
    setup_run(eros, pages)
    set_failing(["c02", "c03", "c04", "c05", "c06"])
    before = other_jobs(eros)

    run(eros)

    row = job(eros)
    message = "Circuit breaker triggered: 5 consecutive failures"
    assert row["job_status"] == row["status"] == "FAILED"
    assert (row["creators_processed"], row["creators_failed"]) == (1, 5)
    assert row["error_message"] == message
    assert row["job_duration_seconds"] >= 0
    # The loop stopped at the fifth failure: c07 and c08 were never analysed.
    assert failed_pages(eros) == ["c02", "c03", "c04", "c05", "c06"]
    assert set(queued(eros)) == {"c01"}
    assert alerts(eros) == [
        {
            "alert_level": "CRITICAL",
            "alert_message": f"Job completed with issues: 5/8 creators failed. {message}",
            "job_id": row["job_id"],
        }
    ]
    assert other_jobs(eros) == before
    # The lock sweep still ran after the loop.
    assert eros.count("lock_sweep_log") == 1


def test_queues_only_creators_under_the_saturation_threshold(eros: Eros) -> None:
    setup_run(eros, ["empty", "half", "saturated"])
    future = dt.datetime.now(LA).date() + dt.timedelta(days=2)
    eros.insert("creator_caption_restrictions", [builders.restriction("half", categories=["Solo"])])
    eros.insert(
        "active_caption_assignments",
        # half: 1 of its 2 allowed captions (the Solo lock is outside its pool) -> 50 %.
        [builders.assignment("half", caption_id, future) for caption_id in (1, 3)]
        # saturated: 4 of 5 -> 80 %, not below the threshold.
        + [builders.assignment("saturated", caption_id, future) for caption_id in (1, 2, 3, 4)],
    )

    run(eros)

    assert queued(eros) == {"empty": 0.0, "half": 50.0}
    assert job(eros)["job_status"] == "SUCCESS"

    # A second run for the same date does not queue anyone twice.
    run(eros)
    assert eros.count("schedule_generation_queue") == 2


def test_no_active_creators_completes_with_no_work(eros: Eros) -> None:
    setup_run(eros, ["c01"])

    run(eros, EXECUTION_DATE + dt.timedelta(days=60))

    rows = eros.query(
        "SELECT job_status, creators_processed, error_message FROM `$ds.etl_job_runs`"
        " WHERE job_id LIKE 'daily_automation_20250814_%'"
    )
    assert rows == [
        {
            "job_status": "COMPLETED_NO_WORK",
            "creators_processed": 0,
            "error_message": "No active creators found in last 30 days",
        }
    ]
    assert eros.count("schedule_generation_queue") == 0


@pytest.mark.usefixtures("failing_sweep")
def test_a_failing_lock_sweep_is_logged_and_not_fatal(eros: Eros) -> None:
    setup_run(eros, ["c01", "c02"])

    run(eros)

    errors = eros.query("SELECT page_name, error_message FROM `$ds.creator_processing_errors`")
    assert len(errors) == 1
    assert errors[0]["page_name"] == "SYSTEM_CLEANUP"
    assert "sweep broke" in errors[0]["error_message"]
    row = job(eros)
    assert row["job_status"] == "SUCCESS"
    assert (row["creators_processed"], row["creators_failed"]) == (2, 0)
    assert set(queued(eros)) == {"c01", "c02"}


def test_active_creators_are_the_thirty_la_days_up_to_the_execution_date(eros: Eros) -> None:
    eros.reset()
    eros.insert("caption_bank", POOL)

    def at(page: str, days_before: int, hour: int) -> dict[str, Any]:
        day = EXECUTION_DATE - dt.timedelta(days=days_before)
        sent_at = dt.datetime.combine(day, dt.time(hour), LA)
        return builders.message(page, None, sent_at, row_id=days_before * 100 + hour)

    eros.insert(
        "mass_messages",
        [
            at("first_day", 29, 0),
            at("last_minute", 0, 23),
            at("too_old", 30, 23),
            at("too_new", -1, 0),
        ],
    )

    run(eros)

    assert set(queued(eros)) == {"first_day", "last_minute"}
    assert (job(eros)["creators_processed"], job(eros)["creators_failed"]) == (2, 0)
