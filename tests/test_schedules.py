"""Scheduled queries: declarations, the schedule grammar, plan/apply requests, local runs.

There is no local Data Transfer Service, so plan and apply talk to the real client library
whose gRPC channel is a recorder: each request is serialized by the library as it would be sent
and read back here, and the answers are TransferConfig messages loaded from JSON in the shape
the API returns (tests/fixtures/datatransfer/). Runs use the embedded local engine.
"""

from __future__ import annotations

import shutil
import textwrap
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import grpc  # type: ignore[import-untyped]
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery_datatransfer as dts
from google.cloud.bigquery_datatransfer_v1.services.data_transfer_service.transports import (
    DataTransferServiceGrpcTransport,
)
from google.protobuf import empty_pb2

from eros_migrate import schedules
from eros_migrate.commands import open_session, up
from eros_migrate.config import load_settings
from eros_migrate.errors import ConfigError, ConfirmationRequired, InputError, TargetError
from tests.conftest import Project

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "datatransfer"
# A winter day: Los Angeles is on PST, UTC-8.
WINTER = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
SUMMER = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
PARENT = "projects/eros-test-proj/locations/us"
QUERY_PREFIX = "`eros-test-proj.eros_scheduling_brain"
DAILY_ID = "6556d2c2-0000-2a4b-8f3e-001a114f2f70"
RETIRED_ID = "6556d2c3-0000-2a4b-8f3e-001a114f2f70"
RUNNER = "eros-runner@eros-test-proj.iam.gserviceaccount.com"
SERVICE = "/google.cloud.bigquery.datatransfer.v1.DataTransferService/"


# A recording gRPC channel ---------------------------------------------------------------------


class _Done(grpc.Call, grpc.Future):  # type: ignore[misc]
    """The finished call the client library expects back from a unary call."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def result(self, timeout: float | None = None) -> Any:
        return self._value

    def exception(self, timeout: float | None = None) -> None:
        return None

    def traceback(self, timeout: float | None = None) -> None:
        return None

    def add_done_callback(self, callback: Any) -> None:
        callback(self)

    def cancel(self) -> bool:
        return False

    def cancelled(self) -> bool:
        return False

    def running(self) -> bool:
        return False

    def done(self) -> bool:
        return True

    def initial_metadata(self) -> tuple[()]:
        return ()

    def trailing_metadata(self) -> tuple[()]:
        return ()

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.OK

    def details(self) -> str:
        return ""

    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> None:
        return None

    def add_callback(self, callback: Any) -> bool:
        return False


class _Method(grpc.UnaryUnaryMultiCallable):  # type: ignore[misc]
    def __init__(self, channel: RecordingChannel, method: str, serialize: Any, parse: Any):
        self.channel, self.method, self.serialize, self.parse = channel, method, serialize, parse

    def _call(self, request: Any) -> Any:
        return self.parse(self.channel.answer(self.method.removeprefix(SERVICE),
                                              self.serialize(request)))

    def __call__(self, request: Any, **_: Any) -> Any:
        return self._call(request)

    def with_call(self, request: Any, **_: Any) -> tuple[Any, _Done]:
        response = self._call(request)
        return response, _Done(response)

    def future(self, request: Any, **_: Any) -> _Done:
        return _Done(self._call(request))


class RecordingChannel(grpc.Channel):  # type: ignore[misc]
    """Records each request as the library serialized it; answers from the fixtures."""

    REQUESTS: ClassVar[dict[str, Any]] = {
        "ListTransferConfigs": dts.ListTransferConfigsRequest,
        "CreateTransferConfig": dts.CreateTransferConfigRequest,
        "UpdateTransferConfig": dts.UpdateTransferConfigRequest,
        "DeleteTransferConfig": dts.DeleteTransferConfigRequest,
    }

    def __init__(self, listed: dts.ListTransferConfigsResponse) -> None:
        self.listed = listed
        self.calls: list[tuple[str, Any]] = []

    def answer(self, method: str, wire: bytes) -> bytes:
        request = self.REQUESTS[method].deserialize(wire)
        self.calls.append((method, request))
        if method == "ListTransferConfigs":
            return bytes(dts.ListTransferConfigsResponse.serialize(self.listed))
        if method == "CreateTransferConfig":
            created = dts.TransferConfig.from_json(
                (FIXTURES / "create_transfer_config.json").read_text()
            )
            return bytes(dts.TransferConfig.serialize(created))
        if method == "UpdateTransferConfig":
            return bytes(dts.TransferConfig.serialize(request.transfer_config))
        return bytes(empty_pb2.Empty().SerializeToString())

    def sent(self, method: str) -> list[Any]:
        return [request for name, request in self.calls if name == method]

    def subscribe(self, callback: Any, try_to_connect: bool = False) -> None:
        pass

    def unsubscribe(self, callback: Any) -> None:
        pass

    def unary_unary(self, method: str, request_serializer: Any = None,
                    response_deserializer: Any = None, _registered_method: bool = False) -> Any:
        return _Method(self, method, request_serializer, response_deserializer)

    def unary_stream(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def stream_unary(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def stream_stream(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> RecordingChannel:
        return self

    def __exit__(self, *args: Any) -> None:
        pass


def recorded_service(listed: dts.ListTransferConfigsResponse | None = None) -> tuple[
    Any, RecordingChannel
]:
    if listed is None:
        listed = dts.ListTransferConfigsResponse.from_json(
            (FIXTURES / "list_transfer_configs.json").read_text()
        )
    channel = RecordingChannel(listed)
    transport = DataTransferServiceGrpcTransport(
        channel=channel, credentials=AnonymousCredentials()  # type: ignore[no-untyped-call]
    )
    return dts.DataTransferServiceClient(transport=transport), channel


@pytest.fixture
def eros(tmp_path: Path) -> Path:
    """A project with the EROS declarations, a BigQuery target and a protected one."""
    shutil.copy(ROOT / "schedules.toml", tmp_path / "schedules.toml")
    (tmp_path / "migrations").mkdir()
    (tmp_path / "eros-migrate.toml").write_text(
        textwrap.dedent(
            """\
            [targets.prod]
            engine = "bigquery"
            project = "eros-test-proj"
            dataset = "eros_scheduling_brain"
            location = "US"

            [targets.guarded]
            engine = "bigquery"
            project = "eros-test-proj"
            dataset = "eros_scheduling_brain"
            location = "US"
            protected = true

            [targets.local]
            engine = "local"
            """
        ),
        encoding="utf-8",
    )
    return tmp_path


def write_schedules(root: Path, text: str) -> Path:
    path = root / "schedules.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# Declarations ---------------------------------------------------------------------------------


def test_the_three_eros_schedules_are_declared() -> None:
    declared = schedules.declared(load_settings(ROOT, environment={}))

    assert [(s.name, s.schedule, s.time_zone, s.enabled) for s in declared] == [
        ("update_caption_performance", "every 6 hours", "America/Los_Angeles", True),
        ("run_daily_automation", "every day 03:05", "America/Los_Angeles", True),
        ("sweep_expired_caption_locks", "every 1 hours", "America/Los_Angeles", True),
    ]
    assert all(s.display_name == f"eros-migrate:{s.name}" for s in declared)
    assert all(not s.findings for s in declared)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("every 6 hours", "every 6 hours"),
        ("every 15 mins", "every 15 minutes"),
        ("every 5 minutes synchronized", "every 5 minutes synchronized"),
        ("every 10 minutes from 08:00 to 18:30", "every 10 minutes from 08:00 to 18:30"),
        ("every day 03:05", "every day 03:05"),
        ("every monday 09:00", "every monday 09:00"),
        ("every wed, fri of jan,jun 13:15", "every wednesday,friday of jan,jun 13:15"),
        ("1st,3rd monday of month 09:00", "1st,3rd monday of month 09:00"),
        ("first sunday of quarter 00:00", "1st sunday of quarter 00:00"),
        ("1,15 of month 06:30", "1,15 of month 06:30"),
    ],
)
def test_schedule_grammar_accepts_bigquery_forms(text: str, canonical: str) -> None:
    assert schedules.parse_schedule(text).text() == canonical


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("every 6 hrs", "every N minutes"),
        ("every day 3:05", "not a time of day"),
        ("every day 24:00", "not a time of day"),
        ("every monday", "not a time of day"),
        ("every funday 09:00", "'funday' is not a weekday"),
        ("1st monday 09:00", "of month"),
        ("2nd day of month 09:00", "2 of month"),
        ("32 of month 09:00", "1 to 31"),
        ("every 0 hours", "at least 1"),
        ("every 2 hours until 18:00", "unexpected"),
    ],
)
def test_schedule_grammar_refuses_others(text: str, says: str) -> None:
    with pytest.raises(schedules.ScheduleSyntaxError, match=says):
        schedules.parse_schedule(text)


def test_invalid_schedule_is_reported_at_its_line(eros: Path) -> None:
    write_schedules(
        eros,
        """\
        time_zone = "America/Los_Angeles"

        [[schedule]]
        name = "nightly"
        schedule = "every night 03:00"
        sql = "CALL `${project}.${dataset}.p`();"
        """,
    )

    with pytest.raises(ConfigError) as caught:
        schedules.declared(load_settings(eros, environment={}))
    assert caught.value.file == str(eros / "schedules.toml")
    assert caught.value.line == 5
    assert "'night' is not a weekday" in caught.value.message
    assert "every day HH:MM" in (caught.value.hint or "")


def test_unknown_time_zone_and_duplicate_names_are_refused(eros: Path) -> None:
    write_schedules(
        eros,
        """\
        [[schedule]]
        name = "a"
        schedule = "every day 03:05"
        time_zone = "America/Los_Angles"
        sql = "CALL `${project}.${dataset}.p`();"
        """,
    )
    with pytest.raises(ConfigError, match="not an IANA time zone") as caught:
        schedules.declared(load_settings(eros, environment={}))
    assert caught.value.line == 4

    write_schedules(
        eros,
        """\
        time_zone = "UTC"

        [[schedule]]
        name = "a"
        schedule = "every 1 hours"
        sql = "CALL `${project}.${dataset}.p`();"

        [[schedule]]
        name = "a"
        schedule = "every 2 hours"
        sql = "CALL `${project}.${dataset}.p`();"
        """,
    )
    with pytest.raises(ConfigError, match="declared twice") as caught:
        schedules.declared(load_settings(eros, environment={}))
    assert caught.value.line == 8


def test_sql_findings_point_into_the_declaration_file(eros: Path) -> None:
    write_schedules(
        eros,
        """\
        time_zone = "UTC"

        [[schedule]]
        name = "rates"
        schedule = "every day 04:10"
        sql = \"\"\"
        DECLARE v_today DATE DEFAULT CURRENT_DATE();
        INSERT INTO `${project}.${dataset}.rates` (d, r) SELECT v_today, 1 / 0;
        \"\"\"
        """,
    )

    [schedule] = schedules.declared(load_settings(eros, environment={}))

    where = {(f.rule, f.file, f.line, f.column) for f in schedule.findings}
    assert ("time-zone", str(eros / "schedules.toml"), 7, 30) in where
    assert ("unsafe-division", str(eros / "schedules.toml"), 8, 70) in where


def test_sql_that_cannot_be_split_or_writes_nowhere_is_refused(eros: Path) -> None:
    write_schedules(
        eros,
        """\
        time_zone = "UTC"

        [[schedule]]
        name = "broken"
        schedule = "every 1 hours"
        sql = \"\"\"
        BEGIN
          CALL `${project}.${dataset}.p`();
        \"\"\"
        """,
    )
    with pytest.raises(InputError) as caught:
        schedules.declared(load_settings(eros, environment={}))
    assert caught.value.file == str(eros / "schedules.toml")
    assert caught.value.line is not None and caught.value.line >= 7

    write_schedules(
        eros,
        """\
        time_zone = "UTC"

        [[schedule]]
        name = "report"
        schedule = "every 1 hours"
        sql = "SELECT COUNT(*) FROM `${project}.${dataset}.events`"
        """,
    )
    with pytest.raises(ConfigError, match="lone query") as caught:
        schedules.declared(load_settings(eros, environment={}))
    assert caught.value.line == 6


def test_local_times_are_sent_in_utc_with_the_offset_of_the_day() -> None:
    zone = ZoneInfo("America/Los_Angeles")
    daily = schedules.parse_schedule("every day 03:05")
    evenings = schedules.parse_schedule("every monday,friday 20:30")

    assert schedules.to_utc(daily, zone, WINTER).text() == "every day 11:05"
    assert schedules.to_utc(daily, zone, SUMMER).text() == "every day 10:05"
    assert schedules.to_utc(evenings, zone, WINTER).text() == "every tuesday,saturday 04:30"
    assert schedules.to_utc(schedules.parse_schedule("every 6 hours"), zone, WINTER).text() \
        == "every 6 hours"
    assert schedules.next_offset_change(zone, WINTER) == datetime(2027, 3, 14, 10, 0, tzinfo=UTC)

    with pytest.raises(schedules.ScheduleSyntaxError, match="another day"):
        schedules.to_utc(schedules.parse_schedule("1st monday of month 20:00"), zone, WINTER)


# Plan and apply: the exact requests -----------------------------------------------------------


def test_plan_lists_and_reports_each_change_without_changing_anything(eros: Path) -> None:
    client, channel = recorded_service()

    plan = schedules.plan(load_settings(eros, environment={}), "prod", client=client, at=WINTER)

    assert [method for method, _ in channel.calls] == ["ListTransferConfigs"]
    [listed] = channel.sent("ListTransferConfigs")
    assert listed.parent == PARENT
    assert list(listed.data_source_ids) == ["scheduled_query"]

    actions = {(c.action, c.display_name, c.fields) for c in plan.changes}
    assert actions == {
        ("create", "eros-migrate:update_caption_performance", ()),
        ("update", "eros-migrate:run_daily_automation", ("schedule",)),
        ("unchanged", "eros-migrate:sweep_expired_caption_locks", ()),
        ("remove", "eros-migrate:refresh_page_report", ()),
    }
    assert any("2027-03-14" in note and "run_daily_automation" in note for note in plan.notes)


def test_apply_sends_exactly_the_requests_the_plan_names(eros: Path) -> None:
    client, channel = recorded_service()

    report = schedules.apply(load_settings(eros, environment={}), "prod", client=client, at=WINTER)

    assert [method for method, _ in channel.calls] == [
        "ListTransferConfigs", "CreateTransferConfig", "UpdateTransferConfig",
        "DeleteTransferConfig",
    ]

    [create] = channel.sent("CreateTransferConfig")
    assert create.parent == PARENT
    assert create.service_account_name == ""
    config = create.transfer_config
    assert config.display_name == "eros-migrate:update_caption_performance"
    assert config.data_source_id == "scheduled_query"
    assert config.schedule == "every 6 hours"
    assert config.disabled is False
    assert config.destination_dataset_id == ""
    assert dict(config.params) == {
        "query": schedules.marker("update_caption_performance")
        + f"\nCALL {QUERY_PREFIX}.update_caption_performance`();\n"
    }

    [update] = channel.sent("UpdateTransferConfig")
    assert update.transfer_config.name == f"{PARENT}/transferConfigs/{DAILY_ID}"
    assert update.transfer_config.schedule == "every day 11:05"
    assert list(update.update_mask.paths) == ["schedule"]

    [delete] = channel.sent("DeleteTransferConfig")
    assert delete.name == f"{PARENT}/transferConfigs/{RETIRED_ID}"

    # Nothing but the owned configs was touched: not the export, not the unmarked look-alike.
    touched = {update.transfer_config.name, delete.name}
    assert not any("64f1d0a" in name for name in touched)
    assert [c.action for c in report.applied] == ["create", "update", "remove"]
    assert report.applied[0].remote_name is not None
    assert report.applied[0].remote_name.endswith("67a0c4e9-0000-2f11-9d6c-3c286d4f5e12")


def test_apply_twice_changes_nothing_the_second_time(eros: Path) -> None:
    settings = load_settings(eros, environment={})
    target = settings.target("prod")
    current = dts.ListTransferConfigsResponse()
    for schedule in schedules.declared(settings):
        spec = schedules.desired_config(schedule, settings, target, WINTER)
        config = dts.TransferConfig(
            name=f"{PARENT}/transferConfigs/{uuid.uuid4()}",
            display_name=spec.display_name,
            data_source_id="scheduled_query",
            schedule=spec.schedule,
            disabled=spec.disabled,
        )
        config.params = spec.params
        current.transfer_configs.append(config)
    client, channel = recorded_service(current)

    report = schedules.apply(settings, "prod", client=client, at=WINTER)

    assert [method for method, _ in channel.calls] == ["ListTransferConfigs"]
    assert report.applied == []


def test_disabled_declarations_and_service_accounts_reach_the_requests(eros: Path) -> None:
    text = (eros / "schedules.toml").read_text()
    text = text.replace('name = "update_caption_performance"\nschedule = "every 6 hours"\n'
                        "enabled = true", 'name = "update_caption_performance"\n'
                        'schedule = "every 6 hours"\nenabled = false')
    text += f'\n[targets.prod]\nservice_account_name = "{RUNNER}"\n'
    (eros / "schedules.toml").write_text(text)
    client, channel = recorded_service()

    schedules.apply(load_settings(eros, environment={}), "prod", client=client, at=WINTER)

    [create] = channel.sent("CreateTransferConfig")
    assert create.transfer_config.disabled is True
    assert create.service_account_name == RUNNER
    [update] = channel.sent("UpdateTransferConfig")
    assert update.service_account_name == RUNNER
    assert list(update.update_mask.paths) == ["schedule", "service_account_name"]


def test_apply_refuses_a_look_alike_and_protected_removals(eros: Path) -> None:
    settings = load_settings(eros, environment={})
    listed = dts.ListTransferConfigsResponse.from_json(
        (FIXTURES / "list_transfer_configs.json").read_text()
    )
    listed.transfer_configs[4].display_name = "eros-migrate:update_caption_performance"
    client, channel = recorded_service(listed)
    with pytest.raises(TargetError, match="not managed by eros-migrate"):
        schedules.apply(settings, "prod", client=client, at=WINTER)
    assert [method for method, _ in channel.calls] == ["ListTransferConfigs"]

    client, channel = recorded_service()
    with pytest.raises(ConfirmationRequired, match="refresh_page_report"):
        schedules.apply(settings, "guarded", client=client, at=WINTER)
    assert [method for method, _ in channel.calls] == ["ListTransferConfigs"]

    schedules.apply(settings, "guarded", client=client, yes=True, at=WINTER)
    assert len(channel.sent("DeleteTransferConfig")) == 1


def test_plan_needs_a_bigquery_target_and_a_declaration_file(eros: Path) -> None:
    settings = load_settings(eros, environment={})
    with pytest.raises(InputError, match="no scheduler"):
        schedules.plan(settings, "local")

    (eros / "schedules.toml").unlink()
    client, channel = recorded_service()
    with pytest.raises(InputError, match="does not exist"):
        schedules.plan(settings, "prod", client=client)
    assert channel.calls == []
    assert schedules.declared(settings) == []


# Runs on the local engine ---------------------------------------------------------------------


def test_run_records_succeeded_and_failed_runs(project: Project) -> None:
    assert project.run("up").code == 0
    write_schedules(
        project.root,
        """\
        time_zone = "UTC"

        [[schedule]]
        name = "count_seed"
        schedule = "every 1 hours"
        sql = \"\"\"
        DECLARE v_total INT64;
        CALL `${project}.${dataset}.count_events`('seed', v_total);
        \"\"\"

        [[schedule]]
        name = "always_fails"
        schedule = "every day 04:10"
        sql = \"\"\"
        DECLARE v_total INT64;
        CALL `${project}.${dataset}.count_events`('none', v_total);
        IF v_total = 0 THEN
          RAISE USING MESSAGE = 'no events of kind none';
        END IF;
        \"\"\"
        """,
    )

    ok = project.run("schedules", "run", "count_seed", "--format", "json")
    assert ok.code == 0, ok.err
    failed = project.run("schedules", "run", "always_fails")
    assert failed.code == 1
    assert "no events of kind none" in failed.err

    with open_session(project.settings(), None) as session:
        rows = schedules.recorded_runs(session)
    assert [(row["schedule_name"], row["status"]) for row in rows] == [
        ("count_seed", "succeeded"),
        ("always_fails", "failed"),
    ]
    assert rows[0]["error"] is None
    assert "no events of kind none" in rows[1]["error"]
    assert all(row["job_id"].startswith("eros_migrate_") for row in rows)
    assert all(row["finished_at"] >= row["started_at"] for row in rows)


def test_unknown_schedule_name_is_refused(project: Project) -> None:
    write_schedules(
        project.root,
        """\
        time_zone = "UTC"

        [[schedule]]
        name = "count_seed"
        schedule = "every 1 hours"
        sql = "DECLARE v INT64; CALL `${project}.${dataset}.count_events`('seed', v);"
        """,
    )

    result = project.run("schedules", "run", "count_sed")

    assert result.code == 2
    assert "no schedule named 'count_sed'" in result.err


def _eros_chain_missing() -> str | None:
    """Why the EROS chain cannot be run here yet, or None when it can."""
    from eros_migrate.chain import load_chain

    try:
        chain = load_chain(ROOT / "migrations")
    except InputError as error:
        return f"the EROS chain in migrations/ does not load yet: {error.message}"
    if "v2" not in chain.tags or chain.head < chain.tags["v2"]:
        return "the EROS chain has no v2 tag yet (migrations/tags.toml)"

    texts = "".join(m.up.text for m in chain.migrations)
    for name in ("update_caption_performance", "run_daily_automation",
                 "sweep_expired_caption_locks"):
        if f"{name}`" not in texts:
            return f"the EROS chain does not create {name} yet"
    return None


def test_eros_schedules_run_on_the_local_engine_after_up(tmp_path: Path) -> None:
    reason = _eros_chain_missing()
    if reason:
        pytest.skip(reason)

    shutil.copytree(ROOT / "migrations", tmp_path / "migrations")
    shutil.copy(ROOT / "schedules.toml", tmp_path / "schedules.toml")
    (tmp_path / "eros-migrate.toml").write_text(
        f'[targets.local]\nengine = "local"\ndataset = "eros_{uuid.uuid4().hex[:8]}"\n'
        'data_dir = ".eros/local"\n',
        encoding="utf-8",
    )
    settings = load_settings(tmp_path, environment={})
    try:
        up(settings)
    except InputError as error:
        pytest.skip(f"the EROS chain does not pass `up` yet: {error.message.splitlines()[0]}")

    with open_session(settings, None) as session:
        session.connection.run(_render(settings, SYNTHETIC_EROS_DATA))
        results = schedules.run_schedules(session)
        rows = schedules.recorded_runs(session)
        [effects] = session.connection.query(_render(settings, EFFECTS))

    assert [(r.schedule, r.status, r.error) for r in results] == [
        ("update_caption_performance", "succeeded", None),
        ("run_daily_automation", "succeeded", None),
        ("sweep_expired_caption_locks", "succeeded", None),
    ]
    assert [row["schedule_name"] for row in rows] == [r.schedule for r in results]
    assert effects == {"stats": True, "job": True, "swept": 0}


EFFECTS = """
SELECT
  (SELECT COUNT(*) > 0 FROM `${project}.${dataset}.caption_bandit_stats`) AS stats,
  (SELECT COUNT(*) > 0 FROM `${project}.${dataset}.etl_job_runs`) AS job,
  (SELECT COUNT(*) FROM `${project}.${dataset}.active_caption_assignments`
   WHERE is_active) AS swept
"""


def _render(settings: Any, sql: str) -> str:
    from eros_migrate.commands import renderer

    return renderer(settings, settings.target(None))(sql, "<synthetic data>")


# Two pages with messages of the last days, three captions and two caption locks whose send
# dates have passed: enough for each procedure to take its main path, not its "no work" exit.
SYNTHETIC_EROS_DATA = """
INSERT INTO `${project}.${dataset}.caption_bank`
  (caption_id, caption_text, content_category, price_tier, created_at, updated_at)
VALUES
  (101, 'New set just dropped', 'photo', 'mid', CURRENT_TIMESTAMP(), CURRENT_TIMESTAMP()),
  (102, 'Only for you tonight', 'video', 'premium', CURRENT_TIMESTAMP(), CURRENT_TIMESTAMP()),
  (103, 'Weekend special inside', 'bundle', 'budget', CURRENT_TIMESTAMP(), CURRENT_TIMESTAMP());

INSERT INTO `${project}.${dataset}.mass_messages`
  (row_id, page_name, message, sending_time, price, sent_count, viewed_count, purchased_count,
   earnings, message_type, caption_id)
SELECT
  n, IF(MOD(n, 2) = 0, 'page_a', 'page_b'), CONCAT('message ', CAST(n AS STRING)),
  TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 26 + n * 5 HOUR), 9.99, 500, 100 + n * 7,
  CAST(MOD(n * 13, 17) AS FLOAT64), MOD(n * 13, 17) * 9.99, 'mass', 101 + MOD(n, 3)
FROM UNNEST(GENERATE_ARRAY(1, 12)) AS n;

INSERT INTO `${project}.${dataset}.active_caption_assignments`
  (page_name, caption_id, caption_text, assigned_date, scheduled_send_date, scheduled_send_hour,
   price_tier, is_active, assigned_at)
VALUES
  ('page_a', 101, 'New set just dropped', DATE_SUB(CURRENT_DATE('America/Los_Angeles'),
   INTERVAL 5 DAY), DATE_SUB(CURRENT_DATE('America/Los_Angeles'), INTERVAL 2 DAY), 20, 'mid',
   TRUE, CURRENT_TIMESTAMP()),
  ('page_b', 102, 'Only for you tonight', DATE_SUB(CURRENT_DATE('America/Los_Angeles'),
   INTERVAL 20 DAY), DATE_SUB(CURRENT_DATE('America/Los_Angeles'), INTERVAL 12 DAY), 21,
   'premium', TRUE, CURRENT_TIMESTAMP());
"""
