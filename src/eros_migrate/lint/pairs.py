"""down-mismatch: a down migration must undo exactly what its up migration did.

Objects are read from the DDL text of statements that run when the migration is applied
(procedure bodies run later and are left out), so statements sqlglot cannot parse, such as
DROP TABLE FUNCTION or multi-action ALTER TABLE, are still understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from eros_migrate.lint.context import FileLint, StatementVisit
from eros_migrate.lint.names import Reference, text_reference
from eros_migrate.placeholders import LINT_DATASET, LINT_PROJECT

_NAME = r"(?P<name>(?:`[^`]+`|[\w\-]+)(?:\s*\.\s*(?:`[^`]+`|[\w\-]+))*)"
_KIND = (
    r"(?P<kind>TABLE\s+FUNCTION|MATERIALIZED\s+VIEW|EXTERNAL\s+TABLE|SNAPSHOT\s+TABLE|TABLE"
    r"|VIEW|FUNCTION|PROCEDURE|SCHEMA)"
)
_LEAD = r"^\s*(?:(?:--|#)[^\n]*\n\s*|/\*.*?\*/\s*)*"
_CREATE = re.compile(
    _LEAD
    + r"CREATE\s+(?P<replace>OR\s+REPLACE\s+)?(?P<temp>TEMP(?:ORARY)?\s+)?"
    + _KIND
    + r"\s+(?P<exists>IF\s+NOT\s+EXISTS\s+)?"
    + _NAME,
    re.IGNORECASE | re.DOTALL,
)
_DROP = re.compile(
    _LEAD + r"DROP\s+" + _KIND + r"\s+(?P<exists>IF\s+EXISTS\s+)?" + _NAME,
    re.IGNORECASE | re.DOTALL,
)
_ALTER = re.compile(_LEAD + r"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?" + _NAME, re.I | re.DOTALL)
_ADD_COLUMN = re.compile(r"\bADD\s+COLUMN\s+(?:IF\s+NOT\s+EXISTS\s+)?`?(?P<column>\w+)`?", re.I)
_DROP_COLUMN = re.compile(r"\bDROP\s+COLUMN\s+(?:IF\s+EXISTS\s+)?`?(?P<column>\w+)`?", re.I)

_CREATES = ("create", "replace-or-create", "create-if-missing")
_FAMILIES = {
    "TABLE": "table",
    "EXTERNAL TABLE": "table",
    "SNAPSHOT TABLE": "table",
    "VIEW": "view",
    "MATERIALIZED VIEW": "materialized view",
    "FUNCTION": "function",
    "TABLE FUNCTION": "table function",
    "PROCEDURE": "procedure",
    "SCHEMA": "schema",
}


@dataclass(frozen=True)
class Change:
    """One object or column a migration creates, replaces or drops, and where it says so."""

    action: str  # create, replace-or-create, create-if-missing, drop, add-column, drop-column
    family: str
    name: str
    line: int
    column: int

    @property
    def object(self) -> tuple[str, str]:
        return self.family, self.name


@dataclass
class Changes:
    """What one migration file does to the dataset when it is applied."""

    file: str
    items: list[Change] = field(default_factory=list)

    def of(self, *actions: str) -> list[Change]:
        return [change for change in self.items if change.action in actions]


def record(visit: StatementVisit, changes: Changes) -> None:
    """Add the DDL of one statement that runs at apply time."""
    if visit.scope.in_procedure or visit.statement.kind not in ("sql", "create_procedure"):
        return

    lint = visit.lint
    text = visit.statement.text
    base = visit.base
    create = _CREATE.match(text)
    if create is not None:
        if create.group("temp"):
            return
        action = (
            "replace-or-create"
            if create.group("replace")
            else "create-if-missing"
            if create.group("exists")
            else "create"
        )
        _add(changes, lint, action, create, base)
        return

    drop = _DROP.match(text)
    if drop is not None:
        if "TEMP" not in drop.group("kind").upper() and not _is_temp(drop, lint):
            _add(changes, lint, "drop", drop, base)
        return

    alter = _ALTER.match(text)
    if alter is not None:
        table = _name(alter.group("name"))
        for pattern, action in ((_ADD_COLUMN, "add-column"), (_DROP_COLUMN, "drop-column")):
            for found in pattern.finditer(text, alter.end()):
                line, column = lint.source.position(base + found.start("column"))
                name = f"{table}.{found.group('column').lower()}"
                changes.items.append(Change(action, "column", name, line, column))


def compare(
    up: Changes,
    down: Changes,
    up_lint: FileLint,
    down_lint: FileLint,
    existing: dict[tuple[str, str], str] | None,
) -> None:
    """Report what the down fails to undo, and what it undoes that the up never did.

    `existing` maps objects created by earlier migrations to the file that created them; None
    when the history is not known (a single pair linted on its own).
    """
    # A staging table the down creates and drops again itself is neither undone nor restored.
    down_transient = _created_then_dropped(down)
    down_drops = {change.object for change in down.of("drop")} - down_transient
    down_creates = {change.object for change in down.of(*_CREATES)} - down_transient
    created: set[tuple[str, str]] = set()
    replaced: dict[tuple[str, str], tuple[Change, str]] = {}

    up_drops = {change.object for change in up.of("drop")}
    transient = _created_then_dropped(up)
    for change in up.of(*_CREATES):
        if change.object in transient:
            continue
        earlier = existing.get(change.object) if existing is not None else None
        if earlier is not None and change.action != "create":
            # IF NOT EXISTS of an existing object does nothing, unless the up dropped it
            # first; OR REPLACE, or a drop followed by a create, replaces it.
            if change.action == "replace-or-create" or change.object in up_drops:
                replaced[change.object] = (change, earlier)
            continue

        created.add(change.object)
        if change.object in down_drops:
            continue
        if change.object in down_creates and existing is None:
            # Without the history, a down that re-creates the object reads as a replacement.
            continue
        name = display(change.name)
        up_lint.report_at(
            "down-mismatch",
            change.line,
            change.column,
            f"the up migration creates {change.family} `{name}` but its down does not drop "
            f"it: add `DROP {change.family.upper()} IF EXISTS {name};` to {down.file}",
        )

    for obj, (change, earlier) in replaced.items():
        if obj not in down_creates:
            up_lint.report_at(
                "down-mismatch",
                change.line,
                change.column,
                f"the up migration replaces {change.family} `{display(change.name)}`, which "
                f"{earlier} created, but its down does not restore it: re-create the earlier "
                "definition in the down migration",
            )

    for change in down.of("drop"):
        name = display(change.name)
        if change.object in down_transient:
            continue
        if change.object in replaced and change.object in down_creates:
            # Dropping the replacement and creating the earlier shape again restores it.
            continue
        if change.object in replaced:
            message = (
                f"the down drops {change.family} `{name}`, but its up only replaced it "
                f"({replaced[change.object][1]} created it): re-create the earlier definition "
                "instead of dropping it"
            )
        elif change.object not in created:
            message = (
                f"the down drops {change.family} `{name}`, which its up migration does not "
                "create: remove the DROP, or create the object in the up migration"
            )
        else:
            continue
        down_lint.report_at("down-mismatch", change.line, change.column, message)

    _compare_columns(up, down, up_lint, down_lint)


def _created_then_dropped(changes: Changes) -> set[tuple[str, str]]:
    """Objects the migration creates and drops again itself (a staging table): its down owes
    nothing for them."""
    created: set[tuple[str, str]] = set()
    transient: set[tuple[str, str]] = set()
    for change in changes.items:
        if change.action in _CREATES:
            created.add(change.object)
            transient.discard(change.object)
        elif change.action == "drop" and change.object in created:
            transient.add(change.object)
    return transient


def _compare_columns(up: Changes, down: Changes, up_lint: FileLint, down_lint: FileLint) -> None:
    """ALTER TABLE ADD COLUMN in the up and DROP COLUMN in the down go together."""
    added = {change.name for change in up.of("add-column")}
    dropped = {change.name for change in down.of("drop-column")}
    dropped_tables = {change.name for change in down.of("drop") if change.family == "table"}

    for change in up.of("add-column"):
        table, column = change.name.rsplit(".", 1)
        if change.name in dropped or table in dropped_tables:
            continue
        up_lint.report_at(
            "down-mismatch",
            change.line,
            change.column,
            f"the up migration adds column `{display(change.name)}` but its down does not drop "
            f"it: add `ALTER TABLE {display(table)} DROP COLUMN IF EXISTS {column};`",
        )

    for change in down.of("drop-column"):
        if change.name not in added:
            down_lint.report_at(
                "down-mismatch",
                change.line,
                change.column,
                f"the down drops column `{display(change.name)}`, which its up migration does "
                "not add: dropping it loses data the up never wrote",
            )


def apply_history(changes: Changes, existing: dict[tuple[str, str], str]) -> None:
    """After an up migration: what it created exists, what it dropped no longer does."""
    for change in changes.items:
        if change.action in _CREATES:
            existing.setdefault(change.object, changes.file)
        elif change.action == "drop":
            existing.pop(change.object, None)


def _add(changes: Changes, lint: FileLint, action: str, match: re.Match[str], base: int) -> None:
    kind = " ".join(match.group("kind").upper().split())
    line, column = lint.source.position(base + match.start("name"))
    changes.items.append(Change(action, _FAMILIES[kind], _name(match.group("name")), line, column))


def display(name: str) -> str:
    """A fully qualified lint name as the user writes it, with placeholders."""
    for rendered, placeholder in (
        (f"{LINT_PROJECT}.{LINT_DATASET}.", "${dataset}."),
        (f"{LINT_PROJECT}.", "${project}."),
    ):
        if name.startswith(rendered):
            return placeholder + name[len(rendered) :]
    return name


def _name(text: str) -> str:
    reference: Reference | None = text_reference(re.sub(r"\s+", "", text))
    return reference.key() if reference is not None else text


def _is_temp(match: re.Match[str], lint: FileLint) -> bool:
    name = match.group("name").strip("`")
    return "." not in name and name.lower() in lint.temp_tables
