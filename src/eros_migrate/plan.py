"""Plans: what a command would do, computed as data before anything runs.

A dry run prints the same plan without executing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eros_migrate.chain import Chain, Migration
from eros_migrate.errors import ChainError
from eros_migrate.ledger import LedgerEvent, LedgerState


@dataclass(frozen=True)
class Step:
    migration: Migration
    direction: str
    previous_failure: LedgerEvent | None = None

    @property
    def version(self) -> int:
        return self.migration.version

    def to_dict(self) -> dict[str, object]:
        return {
            "version": self.version,
            "name": self.migration.name,
            "direction": self.direction,
            "file": str(self.migration.file(self.direction).path),
            "checksum": self.migration.file(self.direction).checksum,
            "retries_failed_attempt": self.previous_failure is not None,
        }


@dataclass(frozen=True)
class Plan:
    command: str
    from_version: int | None
    to_version: int
    steps: list[Step]
    notices: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "command": self.command,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "steps": [step.to_dict() for step in self.steps],
            "notices": self.notices,
        }


def check_applied(chain: Chain, state: LedgerState) -> None:
    """Every applied version must still be in the chain, with the file it was applied from."""
    for version, event in sorted(state.applied.items()):
        if version > chain.head:
            raise ChainError(
                f"the target has version {version} ({event.name}) applied, but the chain ends "
                f"at version {chain.head}",
                version=version,
                hint="restore the missing migration files, or run this from the checkout that "
                "applied them",
            )

        migration = chain.get(version)
        if event.direction == "up" and event.checksum != migration.up.checksum:
            raise ChainError(
                f"{migration.up.path.name} changed after it was applied (applied checksum "
                f"{event.checksum[:12]}, file now {migration.up.checksum[:12]})",
                file=migration.up.path,
                version=version,
                hint="restore the file as it was applied (git log -p on it) and put the change "
                "in a new migration: `eros-migrate new SLUG`",
            )


def plan_up(chain: Chain, state: LedgerState, to: int | None = None) -> Plan:
    check_applied(chain, state)
    target = chain.head if to is None else to
    current = state.current_version
    notices: list[str] = []

    steps: list[Step] = []
    for migration in chain.migrations:
        if migration.version > target or migration.version in state.applied:
            continue

        failure = state.failed.get(migration.version)
        if failure is not None:
            notices.append(
                f"version {migration.version} failed at statement "
                f"{_statement_number(failure)} on {failure.finished_at:%Y-%m-%d %H:%M:%S} UTC "
                f"({failure.error or 'no message'}); it runs again from its first statement"
            )
        if current is not None and migration.version < current:
            notices.append(
                f"version {migration.version} is older than the applied version {current}; "
                "it is applied now, out of order"
            )
        steps.append(Step(migration, "up", failure))

    if current is not None and target < current:
        notices.append(
            f"the target is at version {current}, above {target}; `up` never goes down: "
            f"use `eros-migrate down --to {target}`"
        )
    return Plan("up", current, target, steps, notices)


def plan_down(
    chain: Chain, state: LedgerState, to: int | None = None, count: int | None = None
) -> Plan:
    check_applied(chain, state)
    current = state.current_version
    applied = sorted(state.applied, reverse=True)

    if count is not None:
        chosen = applied[:count]
        target = applied[count] if count < len(applied) else 0
    else:
        target = 0 if to is None else to
        chosen = [version for version in applied if version > target]

    steps: list[Step] = []
    notices: list[str] = []
    for version in chosen:
        migration = chain.get(version)
        if state.applied[version].direction == "baseline":
            notices.append(
                f"version {version} was recorded by `baseline`, not applied by this tool; "
                "its down migration runs all the same"
            )
        steps.append(Step(migration, "down", state.failed.get(version)))
    return Plan("down", current, target, steps, notices)


def _statement_number(event: LedgerEvent) -> str:
    if event.statements_applied is None:
        return "?"
    return f"{event.statements_applied + 1} of {event.statements_total}"
