"""The chain: every migration of a project, read from disk and validated as a whole.

A migration is a pair `NNNN_slug.up.sql` / `NNNN_slug.down.sql`. Versions run 1, 2, 3, ...
without gaps. Tags (`migrations/tags.toml`) name versions so users can say `--to v1`.
Checksums are SHA-256 of the raw bytes, so they never change with the tool's version.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from eros_migrate.errors import ChainError, ScriptSyntaxError

FILE_NAME = re.compile(r"^(?P<version>\d{1,9})_(?P<slug>[a-z0-9_]+)\.(?P<direction>up|down)\.sql$")
TAG_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")
TAGS_FILE = "tags.toml"
BOM = b"\xef\xbb\xbf"
# BigQuery's limit on the text of one query (1,024K characters); a migration is sent as one.
MAX_QUERY_CHARACTERS = 1024 * 1024


@dataclass(frozen=True)
class MigrationFile:
    path: Path
    raw: bytes
    text: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


@dataclass(frozen=True)
class Migration:
    version: int
    slug: str
    up: MigrationFile
    down: MigrationFile

    @property
    def name(self) -> str:
        return f"{self.version:04d}_{self.slug}"

    def file(self, direction: str) -> MigrationFile:
        return self.up if direction == "up" else self.down


@dataclass
class Chain:
    directory: Path
    migrations: list[Migration]
    tags: dict[str, int] = field(default_factory=dict)

    @property
    def versions(self) -> list[int]:
        return [migration.version for migration in self.migrations]

    @property
    def head(self) -> int:
        return self.migrations[-1].version if self.migrations else 0

    def get(self, version: int) -> Migration:
        for migration in self.migrations:
            if migration.version == version:
                return migration
        raise ChainError(
            f"version {version} is not in the chain ({self.directory})",
            version=version,
            hint=f"the chain holds versions 1 to {self.head}; run `eros-migrate status`",
        )

    def resolve(self, spec: str) -> int:
        """Turn `--to` text (a version number, `0`, or a tag) into a version."""
        if spec in self.tags:
            return self.tags[spec]

        if spec.isdigit():
            version = int(spec)
            if version == 0 or version in self.versions:
                return version
            raise ChainError(
                f"version {version} is not in the chain",
                hint=f"choose 0 to {self.head} or a tag: {', '.join(sorted(self.tags)) or 'none'}",
            )

        raise ChainError(
            f"{spec!r} is neither a version nor a tag",
            hint=f"tags defined in {self.directory / TAGS_FILE}: "
            f"{', '.join(sorted(self.tags)) or 'none'}",
        )

    def tags_of(self, version: int) -> list[str]:
        return sorted(tag for tag, tagged in self.tags.items() if tagged == version)


def load_chain(directory: Path, *, check_scripts: bool = True) -> Chain:
    """Read and validate the chain; every problem names the file and what to do."""
    if not directory.is_dir():
        raise ChainError(
            f"migrations folder {directory} does not exist",
            hint="create it, or set `migrations = \"...\"` in eros-migrate.toml; "
            "`eros-migrate new SLUG` writes the first pair",
        )

    pairs = _collect_files(directory)
    migrations = [_make_migration(version, files) for version, files in sorted(pairs.items())]
    _check_numbering(directory, migrations)

    if check_scripts:
        for migration in migrations:
            for direction in ("up", "down"):
                _check_script(migration.file(direction))

    chain = Chain(directory, migrations)
    chain.tags = _load_tags(directory, chain)
    return chain


def _collect_files(directory: Path) -> dict[int, dict[str, tuple[str, Path]]]:
    pairs: dict[int, dict[str, tuple[str, Path]]] = {}
    for path in sorted(directory.iterdir()):
        if path.is_dir() or path.name == TAGS_FILE or path.name.startswith("."):
            continue

        match = FILE_NAME.match(path.name)
        if match is None:
            if path.suffix == ".sql":
                raise ChainError(
                    "file name does not follow NNNN_slug.up.sql / NNNN_slug.down.sql",
                    file=path,
                    hint="use a number, an underscore, a lower-case slug and .up.sql or "
                    ".down.sql, e.g. 0003_add_holiday_calendar.up.sql",
                )
            continue

        version = int(match["version"])
        direction = match["direction"]
        slot = pairs.setdefault(version, {})
        if direction in slot:
            other = slot[direction][1]
            raise ChainError(
                f"version {version} is defined twice: {other.name} and {path.name}",
                file=path,
                version=version,
                hint="give one of them the next free number",
            )
        slot[direction] = (match["slug"], path)
    return pairs


def _make_migration(version: int, files: dict[str, tuple[str, Path]]) -> Migration:
    for needed, other in (("down", "up"), ("up", "down")):
        if needed not in files:
            _slug, path = files[other]
            raise ChainError(
                f"migration {version} has no {needed} file",
                file=path,
                version=version,
                hint=f"add {path.name.replace(f'.{other}.sql', f'.{needed}.sql')}",
            )

    up_slug, up_path = files["up"]
    down_slug, down_path = files["down"]
    if up_slug != down_slug:
        raise ChainError(
            f"version {version} has up and down files with different names: "
            f"{up_path.name} and {down_path.name}",
            file=down_path,
            version=version,
            hint="rename one so both share the slug",
        )
    return Migration(version, up_slug, _read_file(up_path), _read_file(down_path))


def _read_file(path: Path) -> MigrationFile:
    raw = path.read_bytes()
    if raw.startswith(BOM):
        raise ChainError(
            "file starts with a UTF-8 byte-order mark",
            file=path,
            line=1,
            column=1,
            hint="save it as UTF-8 without BOM (a BOM changes the checksum invisibly)",
        )

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise ChainError(
            f"file is not UTF-8 text (byte 0x{raw[error.start]:02x})",
            file=path,
            line=line,
            column=column,
            hint="save it as UTF-8; migrations are SQL text",
        ) from error

    if "\x00" in text:
        raise ChainError(
            "file holds NUL bytes: it looks binary",
            file=path,
            hint="migrations are SQL text files",
        )
    if len(text) > MAX_QUERY_CHARACTERS:
        raise ChainError(
            f"file is {len(raw) / 1_000_000:.1f} MB ({len(text):,} characters); BigQuery "
            f"accepts at most {MAX_QUERY_CHARACTERS:,} characters in one query, and a "
            "migration is sent as one",
            file=path,
            hint="split it into several migrations, or load bulk data with a load job "
            "(bq load) instead of INSERT statements",
        )
    if not text.strip():
        raise ChainError(
            "file is empty",
            file=path,
            hint="write the SQL of this step; a step with nothing to undo still needs a "
            "statement, e.g. `SELECT 1;` with a comment saying why",
        )
    return MigrationFile(path, raw, text)


def _check_numbering(directory: Path, migrations: list[Migration]) -> None:
    expected = 1
    for migration in migrations:
        if migration.version != expected:
            raise ChainError(
                f"version {expected} is missing: the chain jumps from {expected - 1} "
                f"to {migration.version}",
                file=migration.up.path,
                version=migration.version,
                hint=f"renumber {migration.up.path.name} to {expected:04d}, or add the "
                "missing migration",
            )
        expected += 1


def _check_script(migration_file: MigrationFile) -> None:
    from eros_migrate.script import split_statements

    try:
        statements = split_statements(migration_file.text, str(migration_file.path))
    except ScriptSyntaxError as error:
        if error.file is None:
            error.file = str(migration_file.path)
        raise

    if not statements:
        raise ChainError(
            "file holds only comments: there is no statement to run",
            file=migration_file.path,
            hint="write the SQL of this step, or `SELECT 1;` with a comment saying why",
        )


def _load_tags(directory: Path, chain: Chain) -> dict[str, int]:
    path = directory / TAGS_FILE
    if not path.exists():
        return {}

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ChainError(f"cannot read tags: {error}", file=path) from error

    tags: dict[str, int] = {}
    for name, version in data.items():
        if not TAG_NAME.match(name) or name.isdigit():
            raise ChainError(
                f"tag name {name!r} is not valid",
                file=path,
                hint="a tag starts with a letter, e.g. v1 = 6",
            )
        if not isinstance(version, int) or isinstance(version, bool):
            raise ChainError(f"tag {name} must be a version number", file=path)
        if version not in chain.versions:
            raise ChainError(
                f"tag {name} points at version {version}, which is not in the chain",
                file=path,
                hint=f"choose a version from 1 to {chain.head}",
            )
        tags[name] = version
    return tags
