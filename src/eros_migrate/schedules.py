"""Scheduled queries as code: declared in `schedules.toml`, planned, applied and run.

A declaration names a query, its SQL (with `${project}`/`${dataset}` placeholders), a schedule
in BigQuery's schedule syntax, the IANA time zone the schedule is meant in, and whether it is
enabled. Its SQL is split, parsed and linted like a migration before anything is sent.

`plan` compares the declarations with the scheduled queries on a BigQuery target and `apply`
makes them match. A scheduled query belongs to eros-migrate when its display name starts with
`eros-migrate:` and its query opens with the marker comment; nothing else is ever changed.
The service reads schedules in UTC, so a local time is converted with the offset in effect
when `apply` runs (see docs/SCHEDULES.md for the daylight-saving consequence).

`run` executes declared queries now on any target, the local engine included, and records each
run in `_eros_migrate_schedule_runs` beside the ledger.
"""

from __future__ import annotations

import logging
import re
import tomllib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from eros_migrate import sqltext
from eros_migrate.config import Settings, TargetConfig
from eros_migrate.errors import (
    ConfigError,
    ConfirmationRequired,
    InputError,
    LintError,
    ScriptSyntaxError,
    TargetError,
)
from eros_migrate.findings import Finding

if TYPE_CHECKING:
    from eros_migrate.commands import Session
    from eros_migrate.datatransfer import ConfigSpec, RemoteConfig

log = logging.getLogger(__name__)

SCHEDULES_FILE = "schedules.toml"
DISPLAY_PREFIX = "eros-migrate:"
MARKER = "-- eros-migrate:schedule "
RUNS_TABLE = "_eros_migrate_schedule_runs"
_NAME = re.compile(r"[a-z][a-z0-9_]{0,99}")
_SCHEDULE_KEYS = {"name", "sql", "schedule", "time_zone", "enabled", "service_account_name"}
_TOP_KEYS = {"schedule", "time_zone", "targets"}


# Schedule grammar -------------------------------------------------------------------------------

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_OF = {
    **{name: index for index, name in enumerate(_WEEKDAYS)},
    **{name[:3]: index for index, name in enumerate(_WEEKDAYS)},
}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_OF = {
    **{name: index + 1 for index, name in enumerate(_MONTHS)},
    **{
        full: index + 1
        for index, full in enumerate(
            (
                "january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december",
            )
        )
    },
}
_ORDINAL_OF = {
    "1st": 1, "first": 1, "2nd": 2, "second": 2, "3rd": 3, "third": 3,
    "4th": 4, "fourth": 4, "5th": 5, "fifth": 5,
}
_ORDINAL_TEXT = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th"}
_UNITS = {"minutes": "minutes", "mins": "minutes", "hours": "hours"}
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
GRAMMAR_HINT = (
    "write one of: `every N minutes|hours` (optionally `from HH:MM to HH:MM` or "
    "`synchronized`), `every day HH:MM`, `every monday,friday HH:MM`, "
    "`1st,3rd monday of month HH:MM`, `first sunday of quarter HH:MM`, "
    "`1,15 of month HH:MM`, `every monday of jan,jul HH:MM`"
)


class ScheduleSyntaxError(ValueError):
    """A schedule string outside the grammar; the message says which part."""


@dataclass(frozen=True)
class Interval:
    """`every N minutes|hours`, optionally within a daily window or synchronized."""

    every: int
    unit: str
    window: tuple[clock, clock] | None = None
    synchronized: bool = False

    def text(self) -> str:
        base = f"every {self.every} {self.unit}"
        if self.window:
            start, end = self.window
            return f"{base} from {start:%H:%M} to {end:%H:%M}"
        return f"{base} synchronized" if self.synchronized else base


@dataclass(frozen=True)
class Calendar:
    """Runs at one time of day on the days it selects.

    `ordinals` None means every matching day; `weekdays` None means any day; `days` are days of
    the month (`1,15 of month`); `period` is `month` or `quarter`; `months` limits the months.
    """

    at: clock
    ordinals: tuple[int, ...] | None = None
    weekdays: tuple[int, ...] | None = None
    days: tuple[int, ...] | None = None
    period: str | None = None
    months: tuple[int, ...] | None = None

    def text(self) -> str:
        if self.days is not None:
            head = ",".join(str(day) for day in self.days)
        else:
            which = (
                ",".join(_ORDINAL_TEXT[number] for number in self.ordinals)
                if self.ordinals
                else "every"
            )
            what = (
                ",".join(_WEEKDAYS[day] for day in self.weekdays)
                if self.weekdays is not None
                else "day"
            )
            head = f"{which} {what}"
        if self.months:
            head += " of " + ",".join(_MONTHS[month - 1] for month in self.months)
        elif self.period:
            head += f" of {self.period}"
        return f"{head} {self.at:%H:%M}"


Parsed = Interval | Calendar


def parse_schedule(text: str) -> Parsed:
    """Parse BigQuery's (App Engine cron) schedule syntax; raise ScheduleSyntaxError."""
    words = re.sub(r"\s*,\s*", ",", text.strip().lower()).split()
    if not words:
        raise ScheduleSyntaxError("the schedule is empty")

    if words[0] == "every" and len(words) >= 2 and words[1].isdigit():
        if len(words) < 3 or words[2] not in _UNITS:
            raise ScheduleSyntaxError("an interval is `every N minutes` or `every N hours`")
        return _interval(words)
    return _calendar(words)


def _interval(words: list[str]) -> Interval:
    every = int(words[1])
    if every < 1:
        raise ScheduleSyntaxError("the interval must be at least 1")

    rest = words[3:]
    if not rest:
        return Interval(every, _UNITS[words[2]])
    if rest == ["synchronized"]:
        return Interval(every, _UNITS[words[2]], synchronized=True)
    if len(rest) == 4 and rest[0] == "from" and rest[2] == "to":
        return Interval(every, _UNITS[words[2]], window=(_clock(rest[1]), _clock(rest[3])))
    raise ScheduleSyntaxError(f"unexpected {' '.join(rest)!r} after the interval")


def _calendar(words: list[str]) -> Calendar:
    if len(words) < 2 or not _TIME.fullmatch(words[-1]):
        raise ScheduleSyntaxError(
            f"{words[-1]!r} at the end is not a time of day HH:MM (00:00 to 23:59)"
        )
    at = _clock(words[-1])
    words = words[:-1]

    head = words[0]
    if head != "every" and all(part.isdigit() for part in head.split(",")):
        days = tuple(int(part) for part in head.split(","))
        if any(not 1 <= day <= 31 for day in days):
            raise ScheduleSyntaxError("days of the month run from 1 to 31")
        period, months = _of(words[1:], required=True)
        return Calendar(at, days=days, period=period, months=months)

    ordinals = None if head == "every" else _names(head, _ORDINAL_OF, "ordinal (1st, third)")
    if len(words) < 2:
        raise ScheduleSyntaxError(f"{head!r} needs `day` or weekdays after it")
    weekdays = None if words[1] == "day" else _names(words[1], _WEEKDAY_OF, "weekday")
    if ordinals is not None and weekdays is None:
        raise ScheduleSyntaxError(
            "an ordinal needs weekdays (`1st monday of month`); for a day of the month "
            "write `2 of month`"
        )
    period, months = _of(words[2:], required=ordinals is not None)
    if weekdays is None and (period or months):
        raise ScheduleSyntaxError("`every day` takes no `of ...`")
    return Calendar(at, ordinals=ordinals, weekdays=weekdays, period=period, months=months)


def _of(words: list[str], *, required: bool) -> tuple[str | None, tuple[int, ...] | None]:
    if not words:
        if required:
            raise ScheduleSyntaxError("`of month`, `of quarter` or `of jan,jul` is missing")
        return None, None
    if len(words) != 2 or words[0] != "of":
        raise ScheduleSyntaxError(f"unexpected {' '.join(words)!r}")
    if words[1] in ("month", "quarter"):
        return words[1], None
    return None, _names(words[1], _MONTH_OF, "month")


def _names(text: str, known: dict[str, int], kind: str) -> tuple[int, ...]:
    values = []
    for part in text.split(","):
        if part not in known:
            raise ScheduleSyntaxError(f"{part!r} is not a {kind}")
        values.append(known[part])
    return tuple(sorted(set(values)))


def _clock(text: str) -> clock:
    match = _TIME.fullmatch(text)
    if match is None:
        raise ScheduleSyntaxError(f"{text!r} is not a time of day HH:MM (00:00 to 23:59)")
    return clock(int(match.group(1)), int(match.group(2)))


def to_utc(parsed: Parsed, zone: ZoneInfo, at: datetime) -> Parsed:
    """The same schedule in UTC, with the zone's offset in effect at `at`.

    A weekday list moves with the time when the UTC time falls on another day; forms tied to
    the calendar (ordinals, days of the month, months) cannot move a day and are refused then.
    """
    offset = at.astimezone(zone).utcoffset() or timedelta(0)
    if not offset:
        return parsed

    if isinstance(parsed, Interval):
        if parsed.window is None:
            return parsed
        start, start_shift = _shift(parsed.window[0], offset)
        end, end_shift = _shift(parsed.window[1], offset)
        if start_shift != end_shift or end < start:
            raise ScheduleSyntaxError(
                f"the window crosses midnight in UTC ({start:%H:%M} to {end:%H:%M})"
            )
        return replace(parsed, window=(start, end))

    moved, day_shift = _shift(parsed.at, offset)
    if day_shift == 0 or (parsed.weekdays is None and parsed.days is None and not parsed.period):
        return replace(parsed, at=moved)
    if parsed.ordinals is None and parsed.days is None and parsed.months is None:
        assert parsed.weekdays is not None
        weekdays = tuple(sorted((day + day_shift) % 7 for day in parsed.weekdays))
        return replace(parsed, at=moved, weekdays=weekdays)
    raise ScheduleSyntaxError(
        f"{parsed.at:%H:%M} in this zone is {moved:%H:%M} UTC on another day, which this "
        "calendar form cannot express"
    )


def _shift(value: clock, offset: timedelta) -> tuple[clock, int]:
    minutes = value.hour * 60 + value.minute - int(offset.total_seconds()) // 60
    day_shift, minutes = divmod(minutes, 24 * 60)
    return clock(minutes // 60, minutes % 60), day_shift


def next_offset_change(zone: ZoneInfo, at: datetime) -> datetime | None:
    """The first moment within a year when the zone's UTC offset differs from now's."""
    current = at.astimezone(zone).utcoffset()
    step = at
    for _ in range(366):
        following = step + timedelta(days=1)
        if following.astimezone(zone).utcoffset() != current:
            low, high = step, following
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == current:
                    low = middle
                else:
                    high = middle
            return high.replace(second=0, microsecond=0)
        step = following
    return None


# Declarations -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """One declared scheduled query, with where it was declared."""

    name: str
    sql: str
    schedule: str
    parsed: Parsed
    time_zone: str
    enabled: bool
    file: str
    line: int
    sql_line: int
    sql_column: int
    service_account_name: str | None = None
    findings: tuple[Finding, ...] = ()

    @property
    def display_name(self) -> str:
        return DISPLAY_PREFIX + self.name

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "display_name": self.display_name,
            "schedule": self.schedule,
            "time_zone": self.time_zone,
            "enabled": self.enabled,
            "file": self.file,
            "line": self.line,
        }


@dataclass(frozen=True)
class Declarations:
    file: Path
    schedules: list[Schedule]
    service_accounts: dict[str, str] = field(default_factory=dict)


def schedules_path(settings: Settings) -> Path:
    return settings.root / SCHEDULES_FILE


def declared(settings: Settings, *, path: Path | None = None) -> list[Schedule]:
    """The declared scheduled queries, validated, parsed and linted; none when no file exists.

    Lint errors raise `LintError`; lint warnings stay on each `Schedule.findings`.
    """
    file = path or schedules_path(settings)
    if not file.is_file():
        return []
    return load_declarations(settings, file).schedules


def load_declarations(settings: Settings, file: Path) -> Declarations:
    text = _read(file)
    data = _toml(text, file)
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ConfigError(
            f"unknown key(s): {', '.join(sorted(unknown))}",
            file=file,
            hint="the file holds [[schedule]] tables, an optional top-level time_zone "
            "and [targets.NAME] service_account_name",
        )

    default_zone = data.get("time_zone")
    tables = data.get("schedule", [])
    if not isinstance(tables, list):
        raise ConfigError("`schedule` must be an array of tables: [[schedule]]", file=file)

    located = _locate(text)
    schedules: list[Schedule] = []
    for index, table in enumerate(tables):
        place = located[index] if index < len(located) else _Place(1, {})
        schedules.append(_schedule(table, default_zone, file, place))

    seen: dict[str, Schedule] = {}
    for schedule in schedules:
        if schedule.name in seen:
            raise ConfigError(
                f"schedule {schedule.name!r} is declared twice (first at line "
                f"{seen[schedule.name].line})",
                file=file,
                line=schedule.line,
                hint="names are unique: they become the display name on BigQuery",
            )
        seen[schedule.name] = schedule

    checked = [_checked(schedule, settings) for schedule in schedules]
    return Declarations(file, checked, _service_accounts(data.get("targets", {}), file))


@dataclass(frozen=True)
class _Key:
    line: int
    column: int
    multiline: bool


@dataclass
class _Place:
    line: int
    keys: dict[str, _Key]


_KEY = re.compile(r"\s*([A-Za-z_][\w-]*)\s*=\s*")
_OPENS_MULTILINE = re.compile(r"(\"\"\"|\'\'\')\s*$")


def _locate(text: str) -> list[_Place]:
    """Line of each [[schedule]] header, and where the value of each of its keys starts.

    tomllib reports no positions, so this reads the lines the way the file is written: a
    header per line, `key = value` per line.
    """
    places: list[_Place] = []
    current: _Place | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            current = None
            if re.fullmatch(r"\[\[\s*schedule\s*\]\]", stripped):
                current = _Place(number, {})
                places.append(current)
            continue

        match = _KEY.match(line)
        if current is not None and match and match.group(1) not in current.keys:
            multiline = bool(_OPENS_MULTILINE.fullmatch(line[match.end():]))
            current.keys[match.group(1)] = _Key(number, match.end() + 1, multiline)
    return places


def _schedule(table: object, default_zone: object, file: Path, place: _Place) -> Schedule:
    where: dict[str, Any] = {"file": file, "line": place.line}
    if not isinstance(table, dict):
        raise ConfigError("a [[schedule]] entry must be a table", **where)

    unknown = set(table) - _SCHEDULE_KEYS
    if unknown:
        raise ConfigError(
            f"unknown key(s) in [[schedule]]: {', '.join(sorted(unknown))}",
            **where,
            hint=f"known keys: {', '.join(sorted(_SCHEDULE_KEYS))}",
        )

    def at(key: str) -> dict[str, Any]:
        found = place.keys.get(key)
        return {"file": file, "line": found.line if found else place.line}

    name = _string(table, "name", where)
    if not _NAME.fullmatch(name):
        raise ConfigError(
            f"schedule name {name!r} is not a lowercase identifier",
            **at("name"),
            hint="use lowercase letters, digits and underscores, starting with a letter",
        )

    sql = _string(table, "sql", where)
    if not sql.strip():
        raise ConfigError(f"schedule {name!r} has empty sql", **at("sql"))

    schedule_text = _string(table, "schedule", where)
    try:
        parsed = parse_schedule(schedule_text)
    except ScheduleSyntaxError as error:
        raise ConfigError(
            f"schedule {name!r}: {schedule_text!r} is not a BigQuery schedule: {error}",
            **at("schedule"),
            hint=GRAMMAR_HINT,
        ) from error

    zone_name = table.get("time_zone", default_zone)
    if not isinstance(zone_name, str):
        raise ConfigError(
            f"schedule {name!r} names no time_zone",
            **where,
            hint='add `time_zone = "America/Los_Angeles"` (any IANA name; "UTC" for UTC)',
        )
    _zone(zone_name, at("time_zone" if "time_zone" in table else "name"))

    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"schedule {name!r}: enabled must be true or false", **at("enabled"))

    account = table.get("service_account_name")
    if account is not None and not isinstance(account, str):
        raise ConfigError(
            f"schedule {name!r}: service_account_name must be a string",
            **at("service_account_name"),
        )

    sql_line, sql_column = _sql_start(place)
    return Schedule(
        name=name,
        sql=sql,
        schedule=schedule_text,
        parsed=parsed,
        time_zone=zone_name,
        enabled=enabled,
        file=str(file),
        line=place.line,
        sql_line=sql_line,
        sql_column=sql_column,
        service_account_name=account,
    )


def _sql_start(place: _Place) -> tuple[int, int]:
    """Line and column of the first character of the SQL value in the file."""
    key = place.keys.get("sql")
    if key is None:
        return place.line, 1
    # A multi-line string drops the newline right after its opening quotes.
    if key.multiline:
        return key.line + 1, 1
    return key.line, key.column + 1


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError("file is not UTF-8 text", file=file) from error


def _toml(text: str, file: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = getattr(error, "lineno", None)
        raise ConfigError(
            f"invalid TOML: {error}", file=file, line=line, hint="fix the syntax of the file"
        ) from error


def _string(table: dict[str, Any], key: str, where: dict[str, Any]) -> str:
    value = table.get(key)
    if not isinstance(value, str):
        raise ConfigError(f"[[schedule]] needs `{key}` as a string", **where)
    return value


def _zone(name: str, where: dict[str, Any]) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(
            f"time_zone {name!r} is not an IANA time zone",
            **where,
            hint='use a name such as "America/Los_Angeles", "Europe/Berlin" or "UTC"',
        ) from error


def _service_accounts(value: object, file: Path) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError("[targets] must be a table of [targets.NAME]", file=file)

    accounts = {}
    for target, table in value.items():
        if not isinstance(table, dict) or set(table) - {"service_account_name"}:
            raise ConfigError(
                f"[targets.{target}] takes only service_account_name", file=file
            )
        account = table.get("service_account_name")
        if account is not None:
            accounts[target] = str(account)
    return accounts


def _checked(schedule: Schedule, settings: Settings) -> Schedule:
    """Split, parse and lint the SQL like a migration; place findings in the TOML file."""
    from eros_migrate.lint import lint_text
    from eros_migrate.placeholders import render, validate_values
    from eros_migrate.script import parse_script

    # Checking must not depend on a target, so the SQL is rendered with stand-in names.
    values = validate_values(
        {**settings.placeholders, "project": "check-project", "dataset": "check_dataset"}
    )
    try:
        parsed = parse_script(render(schedule.sql, values, schedule.file), schedule.file)
    except ScriptSyntaxError as error:
        line, column = _in_file(schedule, error.line or 1, error.column or 1)
        raise ScriptSyntaxError(
            f"schedule {schedule.name!r}: {error.message}",
            file=schedule.file,
            line=line,
            column=column,
            hint=error.hint,
        ) from error
    except InputError as error:
        line, column = _in_file(schedule, error.line or 1, error.column or 1)
        error.file, error.line, error.column = schedule.file, line, column
        raise

    if len(parsed.statements) == 1 and parsed.statements[0].kind == "sql":
        expression = parsed.statements[0].expression
        if expression is not None and expression.key in ("select", "union", "intersect", "except"):
            line, column = _in_file(schedule, parsed.statements[0].line, 1)
            raise ConfigError(
                f"schedule {schedule.name!r} is a lone query: its result would go nowhere",
                file=schedule.file,
                line=line,
                column=column,
                hint="declared queries run without a destination table; write the rows with "
                "INSERT or MERGE, or CALL a procedure",
            )

    findings = [
        _relocated(finding, schedule)
        for finding in lint_text(schedule.sql, schedule.file, settings, direction="up")
    ]
    errors = [finding for finding in findings if finding.severity == "error"]
    if errors:
        shown = "\n  ".join(str(finding) for finding in errors)
        raise LintError(
            f"lint reported {len(errors)} error(s) in schedule {schedule.name!r}:\n  {shown}",
            file=schedule.file,
            line=errors[0].line,
            column=errors[0].column,
            hint="fix them, or suppress one with `-- eros-migrate: ignore RULE: reason`",
        )
    return replace(schedule, findings=tuple(findings))


def _in_file(schedule: Schedule, line: int, column: int) -> tuple[int, int]:
    if line == 1:
        return schedule.sql_line, schedule.sql_column + column - 1
    return schedule.sql_line + line - 1, column


def _relocated(finding: Finding, schedule: Schedule) -> Finding:
    line, column = _in_file(schedule, finding.line, finding.column)
    return replace(finding, file=schedule.file, line=line, column=column)


def _load_required(settings: Settings) -> Declarations:
    file = schedules_path(settings)
    if not file.is_file():
        raise InputError(
            f"{file} does not exist",
            file=file,
            hint="declare scheduled queries in schedules.toml (see docs/SCHEDULES.md); without "
            "the file nothing is planned, so nothing is removed by accident",
        )
    return load_declarations(settings, file)


# Plan and apply ---------------------------------------------------------------------------------

Action = Literal["create", "update", "remove", "unchanged", "conflict"]


@dataclass(frozen=True)
class Change:
    """What `apply` does to one scheduled query."""

    action: Action
    name: str
    display_name: str
    fields: tuple[str, ...] = ()
    remote_name: str | None = None
    desired: ConfigSpec | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "action": self.action,
            "name": self.name,
            "display_name": self.display_name,
            "fields": list(self.fields),
            "resource": self.remote_name,
        }
        if self.desired is not None:
            data["schedule_utc"] = self.desired.schedule
            data["disabled"] = self.desired.disabled
        if self.reason:
            data["reason"] = self.reason
        return data


@dataclass
class SchedulePlan:
    target: str
    parent: str
    changes: list[Change]
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def pending(self) -> list[Change]:
        return [change for change in self.changes if change.action != "unchanged"]

    def to_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "parent": self.parent,
            "changes": [change.to_dict() for change in self.changes],
            "notes": self.notes,
            "findings": [finding.to_dict() for finding in self.findings],
        }


@dataclass
class ApplyReport:
    plan: SchedulePlan
    applied: list[Change] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {**self.plan.to_dict(), "applied": [change.to_dict() for change in self.applied]}


def marker(name: str) -> str:
    return f"{MARKER}{name}: declared in {SCHEDULES_FILE}, applied by eros-migrate"


def owned(remote: RemoteConfig) -> bool:
    """Ours when both the display name and the query's first line say so."""
    return remote.display_name.startswith(DISPLAY_PREFIX) and remote.query.startswith(MARKER)


def desired_config(
    schedule: Schedule, settings: Settings, target: TargetConfig, at: datetime,
    service_account: str | None = None,
) -> ConfigSpec:
    """The transfer config a declaration asks for on this target, its schedule in UTC."""
    from eros_migrate.commands import renderer
    from eros_migrate.datatransfer import ConfigSpec

    query = renderer(settings, target)(schedule.sql, schedule.file).strip()
    try:
        utc = to_utc(schedule.parsed, ZoneInfo(schedule.time_zone), at)
    except ScheduleSyntaxError as error:
        raise ConfigError(
            f"schedule {schedule.name!r} ({schedule.schedule!r} in {schedule.time_zone}) "
            f"cannot be sent in UTC: {error}",
            file=schedule.file,
            line=schedule.line,
            hint="pick a local time that stays on the same day in UTC, or declare the "
            'schedule in UTC (time_zone = "UTC")',
        ) from error

    return ConfigSpec(
        display_name=schedule.display_name,
        params={"query": f"{marker(schedule.name)}\n{query}\n"},
        schedule=utc.text(),
        disabled=not schedule.enabled,
        service_account_name=schedule.service_account_name or service_account,
    )


def diff(desired: ConfigSpec, remote: RemoteConfig) -> tuple[str, ...]:
    """The fields of `remote` that differ from `desired`, named as in the update mask."""
    fields = []
    if remote.display_name != desired.display_name:
        fields.append("display_name")
    if remote.params != desired.params:
        fields.append("params")
    if _canonical(remote.schedule) != _canonical(desired.schedule):
        fields.append("schedule")
    if remote.disabled != desired.disabled:
        fields.append("disabled")
    return tuple(fields)


def _canonical(schedule: str) -> str:
    try:
        return parse_schedule(schedule).text()
    except ScheduleSyntaxError:
        return schedule.strip()


def compare(desired: list[ConfigSpec], remote: list[RemoteConfig]) -> list[Change]:
    """Creates, updates and removals that make the owned scheduled queries match `desired`."""
    by_display: dict[str, list[RemoteConfig]] = {}
    for config in remote:
        by_display.setdefault(config.display_name, []).append(config)

    changes: list[Change] = []
    wanted = set()
    for spec in desired:
        name = spec.display_name.removeprefix(DISPLAY_PREFIX)
        wanted.add(spec.display_name)
        same_name = by_display.get(spec.display_name, [])
        ours = [config for config in same_name if owned(config)]
        if not ours and same_name:
            changes.append(
                Change(
                    "conflict", name, spec.display_name, remote_name=same_name[0].name,
                    desired=spec,
                    reason="a scheduled query of this name exists without the eros-migrate "
                    "marker; rename or delete it by hand",
                )
            )
            continue
        if not ours:
            changes.append(Change("create", name, spec.display_name, desired=spec))
            continue

        fields = diff(spec, ours[0])
        action: Action = "update" if fields else "unchanged"
        changes.append(Change(action, name, spec.display_name, fields, ours[0].name, spec))
        changes.extend(
            Change("remove", name, extra.display_name, remote_name=extra.name,
                   reason="a second owned scheduled query of the same name")
            for extra in ours[1:]
        )

    for config in remote:
        if owned(config) and config.display_name not in wanted:
            changes.append(
                Change(
                    "remove", config.display_name.removeprefix(DISPLAY_PREFIX),
                    config.display_name, remote_name=config.name,
                    reason=f"no longer declared in {SCHEDULES_FILE}",
                )
            )
    return changes


def plan(
    settings: Settings,
    target_name: str | None = None,
    *,
    client: Any = None,
    at: datetime | None = None,
) -> SchedulePlan:
    """What `apply` would create, change and remove on the target; nothing is changed."""
    from eros_migrate.datatransfer import connect

    target = settings.target(target_name)
    declarations = _load_required(settings)
    service = connect(target, client)
    return _plan(settings, target, declarations, service.list_scheduled_queries(),
                 service.parent, at or datetime.now(UTC))


def _plan(
    settings: Settings, target: TargetConfig, declarations: Declarations,
    remote: list[RemoteConfig], parent: str, at: datetime,
) -> SchedulePlan:
    account = declarations.service_accounts.get(target.name)
    desired = [
        desired_config(schedule, settings, target, at, account)
        for schedule in declarations.schedules
    ]
    result = SchedulePlan(target.name, parent, compare(desired, remote))
    result.findings = [finding for s in declarations.schedules for finding in s.findings]

    for schedule in declarations.schedules:
        zone = ZoneInfo(schedule.time_zone)
        parsed = schedule.parsed
        local_time = isinstance(parsed, Calendar) or parsed.window is not None
        change = next_offset_change(zone, at) if local_time else None
        if change is not None:
            result.notes.append(
                f"{schedule.name}: {schedule.time_zone} changes its UTC offset at "
                f"{change:%Y-%m-%d %H:%M} UTC; run `eros-migrate schedules apply` after "
                f"that to keep {schedule.schedule!r} in local time"
            )
    return result


def apply(
    settings: Settings,
    target_name: str | None = None,
    *,
    client: Any = None,
    yes: bool = False,
    at: datetime | None = None,
    on_change: Callable[[Change], None] | None = None,
) -> ApplyReport:
    """Make the target's owned scheduled queries match the declarations; safe to repeat."""
    from eros_migrate.datatransfer import connect

    target = settings.target(target_name)
    declarations = _load_required(settings)
    service = connect(target, client)
    planned = _plan(settings, target, declarations, service.list_scheduled_queries(),
                    service.parent, at or datetime.now(UTC))

    conflicts = [change for change in planned.changes if change.action == "conflict"]
    if conflicts:
        raise TargetError(
            f"{conflicts[0].display_name} exists on {target.describe()} but is not managed "
            "by eros-migrate; nothing was changed",
            hint=conflicts[0].reason,
        )
    removals = [change for change in planned.changes if change.action == "remove"]
    if target.protected and removals and not yes:
        raise ConfirmationRequired(
            f"target {target.name!r} is protected; apply would delete "
            f"{', '.join(change.display_name for change in removals)}",
            hint="run it again with --yes if you mean it",
        )

    report = ApplyReport(planned)
    for change in planned.pending:
        if change.action == "create":
            assert change.desired is not None
            created = service.create(change.desired)
            change = replace(change, remote_name=created.name)
        elif change.action == "update":
            assert change.desired is not None and change.remote_name is not None
            service.update(change.remote_name, change.desired, list(change.fields))
        elif change.action == "remove":
            assert change.remote_name is not None
            service.delete(change.remote_name)
        log.info("%s %s (%s)", change.action, change.display_name, change.remote_name)
        report.applied.append(change)
        if on_change is not None:
            on_change(change)
    return report


# Run --------------------------------------------------------------------------------------------

RUN_COLUMNS = (
    ("run_id", "STRING NOT NULL"),
    ("schedule_name", "STRING NOT NULL"),
    ("status", "STRING NOT NULL"),
    ("started_at", "TIMESTAMP NOT NULL"),
    ("finished_at", "TIMESTAMP NOT NULL"),
    ("duration_ms", "INT64"),
    ("job_id", "STRING"),
    ("error", "STRING"),
    ("run_by", "STRING"),
    ("tool_version", "STRING"),
)


@dataclass(frozen=True)
class RunResult:
    """One run of a declared query."""

    schedule: str
    run_id: str
    started_at: datetime
    finished_at: datetime
    status: Literal["succeeded", "failed"]
    job_id: str
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    def to_dict(self) -> dict[str, object]:
        return {
            "schedule": self.schedule,
            "run_id": self.run_id,
            "status": self.status,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "job_id": self.job_id,
            "error": self.error,
        }


def runs_table(project: str, dataset: str) -> str:
    return f"`{project}.{dataset}.{RUNS_TABLE}`"


def runs_create_sql(project: str, dataset: str) -> str:
    columns = ",\n  ".join(f"{name} {kind}" for name, kind in RUN_COLUMNS)
    return (
        f"CREATE TABLE IF NOT EXISTS {runs_table(project, dataset)} (\n  {columns}\n)\n"
        "OPTIONS (description = 'eros-migrate: runs of declared scheduled queries')"
    )


def runs_insert_sql(project: str, dataset: str, result: RunResult, run_by: str) -> str:
    from eros_migrate import __version__

    values = {
        "run_id": sqltext.string(result.run_id),
        "schedule_name": sqltext.string(result.schedule),
        "status": sqltext.string(result.status),
        "started_at": sqltext.timestamp(result.started_at),
        "finished_at": sqltext.timestamp(result.finished_at),
        "duration_ms": sqltext.integer(
            int((result.finished_at - result.started_at).total_seconds() * 1000)
        ),
        "job_id": sqltext.string(result.job_id),
        "error": sqltext.string(result.error) if result.error is not None else "NULL",
        "run_by": sqltext.string(run_by),
        "tool_version": sqltext.string(__version__),
    }
    return (
        f"INSERT INTO {runs_table(project, dataset)} ({', '.join(values)})\n"
        f"VALUES ({', '.join(values.values())})"
    )


def runs_select_sql(project: str, dataset: str) -> str:
    names = ", ".join(name for name, _ in RUN_COLUMNS)
    return f"SELECT {names} FROM {runs_table(project, dataset)} ORDER BY started_at"


def run_schedules(
    session_or_settings: Session | Settings,
    names: Sequence[str] | None = None,
    *,
    target_name: str | None = None,
    schedules: Sequence[Schedule] | None = None,
    on_result: Callable[[RunResult], None] | None = None,
) -> list[RunResult]:
    """Run declared queries now, in file order, and record each run; a failure does not stop
    the others.

    Without `names`, every enabled declaration runs; a name runs even when disabled. Pass a
    `Session` to run inside an open one (as `rehearse` does), or `Settings` to open one on
    `target_name`.
    """
    from eros_migrate.commands import Session, open_session

    if isinstance(session_or_settings, Session):
        session = session_or_settings
        chosen = _choose(schedules, session.settings, names)
        return _run_all(session, chosen, on_result)

    settings = session_or_settings
    chosen = _choose(schedules, settings, names)
    with open_session(settings, target_name) as opened:
        return _run_all(opened, chosen, on_result)


def _choose(
    schedules: Sequence[Schedule] | None, settings: Settings, names: Sequence[str] | None
) -> list[Schedule]:
    available = list(schedules) if schedules is not None else _load_required(settings).schedules
    if not names:
        return [schedule for schedule in available if schedule.enabled]

    by_name = {schedule.name: schedule for schedule in available}
    missing = [name for name in names if name not in by_name]
    if missing:
        raise InputError(
            f"no schedule named {missing[0]!r} is declared",
            file=schedules_path(settings),
            hint=f"declared: {', '.join(by_name) or 'none'}",
        )
    return [by_name[name] for name in names]


def _run_all(
    session: Session, chosen: list[Schedule], on_result: Callable[[RunResult], None] | None
) -> list[RunResult]:
    from eros_migrate.bigquery import new_job_id
    from eros_migrate.commands import ensure_dataset, renderer

    ensure_dataset(session)
    connection = session.connection
    connection.run(runs_create_sql(session.project, session.dataset) + ";")
    render = renderer(session.settings, session.target)

    results = []
    for schedule in chosen:
        job_id = new_job_id(session.run_id)
        run_id = uuid.uuid4().hex
        started = datetime.now(UTC)
        error: str | None = None
        try:
            connection.run(render(schedule.sql, schedule.file), job_id=job_id)
        except TargetError as failure:
            error = failure.message
        result = RunResult(
            schedule=schedule.name,
            run_id=run_id,
            started_at=started,
            finished_at=datetime.now(UTC),
            status="failed" if error else "succeeded",
            job_id=job_id,
            error=error,
        )
        log.info("schedule %s %s (job %s)", schedule.name, result.status, job_id)
        connection.run(
            runs_insert_sql(session.project, session.dataset, result, session.identity) + ";"
        )
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def recorded_runs(session: Session) -> list[dict[str, Any]]:
    """The rows of the runs table, oldest first."""
    return session.connection.query(runs_select_sql(session.project, session.dataset))
