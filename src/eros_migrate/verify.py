"""`verify`: the project's own checks, run against a target.

Checks live in `checks/<tag>/*.sql`. Each file is one query returning rows of
`check_id, description, passed, detail`. A file that returns no row, or fails to run, is a
failed check of its own: a check that cannot see its object must never pass by silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from eros_migrate.chain import load_chain
from eros_migrate.config import Settings
from eros_migrate.errors import InputError, TargetError

if TYPE_CHECKING:
    from eros_migrate.bigquery import Connection

REQUIRED_COLUMNS = ("check_id", "description", "passed", "detail")


@dataclass(frozen=True)
class CheckResult:
    check_id: str
    description: str
    passed: bool
    detail: str
    file: str

    def to_dict(self) -> dict[str, object]:
        return {
            "check_id": self.check_id,
            "description": self.description,
            "status": "PASS" if self.passed else "FAIL",
            "detail": self.detail,
            "file": self.file,
        }


@dataclass(frozen=True)
class VerifyReport:
    target: str
    tag: str
    version: int | None
    results: list[CheckResult]

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(result.passed for result in self.results)

    def to_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "tag": self.tag,
            "version": self.version,
            "passed": self.passed,
            "total": len(self.results),
            "failed": sum(not result.passed for result in self.results),
            "checks": [result.to_dict() for result in self.results],
        }


def choose_tag(tags: dict[str, int], version: int | None, checks_dir: Path) -> str:
    """The tag whose checks describe this version: the highest tag at or below it."""
    reached = [
        (tagged, tag)
        for tag, tagged in tags.items()
        if version is not None and tagged <= version and (checks_dir / tag).is_dir()
    ]
    if not reached:
        raise InputError(
            f"no checks apply to version {version}: no tag at or below it has a folder in "
            f"{checks_dir}",
            hint="apply the chain first (`eros-migrate up`), or name the checks with --tag",
        )
    return max(reached)[1]


def check_files(checks_dir: Path, tag: str) -> list[Path]:
    folder = checks_dir / tag
    files = sorted(folder.glob("*.sql")) if folder.is_dir() else []
    if not files:
        raise InputError(
            f"no checks in {folder}",
            hint="write one query per file returning check_id, description, passed, detail",
        )
    return files


def verify(
    settings: Settings, target_name: str | None = None, tag: str | None = None
) -> VerifyReport:
    from eros_migrate.commands import open_session, read_state, renderer

    target = settings.target(target_name)
    chain = load_chain(settings.migrations_dir, check_scripts=False)
    render_file = renderer(settings, target)
    if tag is not None and not (settings.checks_dir / tag).is_dir():
        raise InputError(
            f"no checks folder for tag {tag!r} in {settings.checks_dir}",
            hint=f"known: {', '.join(sorted(p.name for p in settings.checks_dir.glob('*/')))}",
        )

    with open_session(settings, target_name) as session:
        version = read_state(session).current_version
        chosen = tag or choose_tag(chain.tags, version, settings.checks_dir)
        results: list[CheckResult] = []
        for path in check_files(settings.checks_dir, chosen):
            query = render_file(path.read_text(encoding="utf-8"), str(path))
            results.extend(_run_check(session.connection, query, path))
    return VerifyReport(target.name, chosen, version, results)


def _run_check(connection: Connection, query: str, path: Path) -> list[CheckResult]:
    name = path.stem
    try:
        rows = connection.query(query)
    except TargetError as error:
        return [CheckResult(name, f"query of {path.name}", False, error.message, str(path))]

    if not rows:
        return [CheckResult(name, f"query of {path.name}", False, "returned no row", str(path))]

    missing = [column for column in REQUIRED_COLUMNS if column not in rows[0]]
    if missing:
        raise InputError(
            f"check file returns no column {', '.join(missing)}",
            file=path,
            hint="return check_id, description, passed, detail",
        )
    return [
        CheckResult(
            str(row["check_id"]),
            str(row["description"]),
            row["passed"] is True,
            "" if row["detail"] is None else str(row["detail"]),
            str(path),
        )
        for row in rows
    ]
