"""`drift`: where the target no longer matches what its chain says it should hold.

Two kinds of drift are looked for:

- changed files: an applied migration whose up file has another checksum than the ledger
  recorded when it was applied. Cheap (the ledger and the files), so `status` reports it too.
- changed objects: the chain is applied up to the target's current version in a throwaway
  sandbox (the mechanism of `rehearse`), and the sandbox's schema fingerprint is compared per
  object with the live dataset's: a routine body edited by hand, a column added out of band,
  a view dropped, an object nobody migrated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eros_migrate import commands
from eros_migrate.chain import Chain, load_chain
from eros_migrate.config import Settings
from eros_migrate.errors import MigrateError, TargetError
from eros_migrate.fingerprint import Difference, Fingerprint, build, compare
from eros_migrate.ledger import LedgerState


@dataclass(frozen=True)
class ChangedFile:
    """An applied migration whose up file changed since it was applied."""

    version: int
    name: str
    file: str | None
    recorded: str
    current: str | None

    def to_dict(self) -> dict[str, object]:
        return {
            "version": self.version,
            "name": self.name,
            "file": self.file,
            "recorded_checksum": self.recorded,
            "current_checksum": self.current,
        }

    def describe(self) -> str:
        if self.current is None:
            return f"{self.name}: applied, but no longer in the chain"
        return f"{self.name}: {self.file} changed since it was applied"


@dataclass
class DriftReport:
    target: str
    version: int | None
    changed_files: list[ChangedFile]
    objects: list[Difference]
    notes: list[str] = field(default_factory=list)

    @property
    def drift(self) -> bool:
        return bool(self.changed_files or self.objects)

    def to_dict(self) -> dict[str, object]:
        return {
            "drift": self.drift,
            "target": self.target,
            "version": self.version,
            "changed_files": [item.to_dict() for item in self.changed_files],
            "objects": [item.to_dict() for item in self.objects],
            "notes": self.notes,
        }


def changed_files(chain: Chain, state: LedgerState) -> list[ChangedFile]:
    """Applied versions whose up file's checksum differs from the one the ledger recorded."""
    versions = set(chain.versions)
    found: list[ChangedFile] = []
    for version, event in sorted(state.applied.items()):
        if version not in versions:
            found.append(ChangedFile(version, event.name, None, event.checksum, None))
            continue

        up_file = chain.get(version).up
        if up_file.checksum != event.checksum:
            found.append(
                ChangedFile(version, event.name, str(up_file.path), event.checksum,
                            up_file.checksum)
            )
    return found


def drift(settings: Settings, target_name: str | None = None) -> DriftReport:
    """Changed files, then the live schema against the chain applied in a sandbox."""
    from eros_migrate.fingerprint import take

    target = settings.target(target_name)
    chain = load_chain(settings.migrations_dir)
    with commands.open_session(settings, target_name) as session:
        state = commands.read_state(session)
        exists = session.connection.dataset_exists()
        live = take(session.connection) if exists else build([])

    report = DriftReport(target.name, state.current_version, changed_files(chain, state), [])
    expected = expected_fingerprint(settings, target_name, state.current_version, report)
    report.objects = compare(expected, live)
    report.notes.extend(expected.gaps + live.gaps)
    return report


def expected_fingerprint(
    settings: Settings, target_name: str | None, version: int | None, report: DriftReport
) -> Fingerprint:
    """What the chain builds up to `version`, read from a sandbox dropped right after."""
    from eros_migrate.fingerprint import take
    from eros_migrate.rehearse import create_sandbox, drop_sandbox, sandbox_settings, sandbox_target

    if version is None:
        return build([])

    target = settings.target(target_name)
    run_id = commands.new_run_id()
    sandbox = sandbox_target(target, run_id)
    scratch = sandbox_settings(settings, sandbox)
    create_sandbox(scratch, sandbox, run_id)
    try:
        commands.up(scratch, sandbox.name, str(version))
        with commands.open_session(scratch, sandbox.name) as session:
            return take(session.connection)
    except MigrateError as error:
        raise TargetError(
            f"could not build the expected schema in a sandbox: {error.message}",
            file=error.file,
            line=error.line,
            version=error.version,
            hint="the chain itself fails to apply; `eros-migrate rehearse` shows which step",
        ) from error
    finally:
        try:
            drop_sandbox(scratch, sandbox)
        except MigrateError as error:
            report.notes.append(
                f"could not drop the sandbox {sandbox.project}.{sandbox.dataset}: "
                f"{error.message}; its tables expire within a day"
            )
