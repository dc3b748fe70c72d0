"""Analysis by content: results kept on disk, the analyzer loaded only when one is missing.

A result depends on the analysed text, the catalog it was analysed against and the variables
in scope, so it is stored under a hash of the three. A second `check` of an unchanged chain
then asks the analyzer nothing, and an edit to one migration costs only the statements whose
text or catalog it changes. Catalogs are registered with the analyzer only when a statement
misses, so a run of hits never registers one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from zetasql.wasi._pb2.zetasql.proto.simple_catalog_pb2 import SimpleCatalogProto
from zetasql.wasi._pb2.zetasql.public import type_pb2
from zetasql.wasi._pb2.zetasql.resolved_ast.resolved_ast_pb2 import AnyResolvedStatementProto

from eros_migrate.check.analyzer import AnalysisError, Analyzer, versions

log = logging.getLogger(__name__)

# Bump when what is stored, or how the catalog or the options are built, changes.
RESULTS_FORMAT = "1"
_RESOLVED = 0
_ERROR = 1


@dataclass
class Registration:
    """A catalog as a statement sees it; registered with the analyzer on first need."""

    proto: SimpleCatalogProto
    builtins: bool
    fingerprint: str = ""
    catalog_id: int | None = None
    generation: int = -1

    def __post_init__(self) -> None:
        digest = hashlib.sha256(self.proto.SerializeToString(deterministic=True))
        digest.update(b"builtins" if self.builtins else b"plain")
        self.fingerprint = digest.hexdigest()


@dataclass
class Session:
    """One check run: the (lazy) analyzer, the results store and the registrations."""

    make_analyzer: Callable[[], Analyzer]
    results_file: Path | None = None
    analyzer: Analyzer | None = None
    _results: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    _used: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    _fingerprints: dict[bytes, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.results_file is not None:
            self._results = _load(self.results_file)

    def _ready(self) -> Analyzer:
        if self.analyzer is None:
            self.analyzer = self.make_analyzer()
        return self.analyzer

    def release(self, registration: Registration | None) -> None:
        """Forget a registration that will not be used again."""
        analyzer = self.analyzer
        if registration is None or registration.catalog_id is None or analyzer is None:
            return
        if registration.generation == analyzer.generation:
            analyzer.unregister(registration.catalog_id)
        registration.catalog_id = None

    def analyze(
        self, sql: str, registration: Registration, system: dict[str, type_pb2.TypeProto]
    ) -> AnyResolvedStatementProto:
        """The analysis of `sql`; raises `AnalysisError` (stored too) or `AnalyzerCrashed`."""
        key = self._key(sql, registration, system)
        stored = self._used.get(key) or self._results.get(key)
        if stored is None:
            stored = self._run(sql, registration, system)
        self._used[key] = stored

        kind, payload = stored
        if kind == _ERROR:
            data = json.loads(payload)
            raise AnalysisError(data["message"], data["line"], data["column"], data["code"])
        return AnyResolvedStatementProto.FromString(payload)

    def _run(
        self, sql: str, registration: Registration, system: dict[str, type_pb2.TypeProto]
    ) -> tuple[int, bytes]:
        analyzer = self._ready()
        if registration.catalog_id is None or registration.generation != analyzer.generation:
            registration.catalog_id = analyzer.register(
                registration.proto, builtins=registration.builtins
            )
            registration.generation = analyzer.generation

        try:
            resolved = analyzer.analyze(sql, registration.catalog_id, system)
        except AnalysisError as error:
            payload = {
                "message": error.message,
                "line": error.line,
                "column": error.column,
                "code": error.code,
            }
            return _ERROR, json.dumps(payload).encode()
        return _RESOLVED, resolved.SerializeToString()

    def _key(
        self, sql: str, registration: Registration, system: dict[str, type_pb2.TypeProto]
    ) -> str:
        described = b"|".join(
            name.encode() + b"=" + kind.SerializeToString(deterministic=True)
            for name, kind in sorted(system.items())
        )
        variables = self._fingerprints.get(described)
        if variables is None:
            variables = hashlib.sha256(described).hexdigest()
            self._fingerprints[described] = variables
        digest = hashlib.sha256(f"{registration.fingerprint}|{variables}|".encode())
        digest.update(sql.encode())
        return digest.hexdigest()

    def save(self) -> None:
        """Keep the results this run used; older ones go, so the store stays small."""
        if self.results_file is None or self._used.keys() == self._results.keys():
            return
        try:
            _store(self.results_file, self._used)
        except (OSError, sqlite3.Error) as error:
            log.warning("cannot write check results to %s: %s", self.results_file, error)


RESULTS_DIR = ".eros/check"


def results_file(project_root: Path) -> Path:
    """In the project; the name changes with anything that changes what analysis answers."""
    from eros_migrate.check import analyzer

    zetasql_version, _wasmtime_version = versions()
    options = Path(analyzer.__file__).read_bytes()
    digest = hashlib.sha256(f"{RESULTS_FORMAT}|{zetasql_version}|".encode() + options)
    return project_root / RESULTS_DIR / f"results-{digest.hexdigest()[:24]}.sqlite"


def _load(path: Path) -> dict[str, tuple[int, bytes]]:
    if not path.is_file():
        return {}
    try:
        with sqlite3.connect(path) as connection:
            rows = connection.execute("SELECT key, kind, payload FROM results").fetchall()
    except sqlite3.Error as error:
        log.warning("ignoring unreadable check results %s: %s", path, error)
        return {}
    return {str(key): (int(kind), bytes(payload)) for key, kind, payload in rows}


def _store(path: Path, results: dict[str, tuple[int, bytes]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob("results-*.sqlite"):
        if stale != path:
            stale.unlink(missing_ok=True)
    connection = sqlite3.connect(path)
    try:
        with connection:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS results "
                "(key TEXT PRIMARY KEY, kind INTEGER, payload BLOB)"
            )
            connection.execute("DELETE FROM results")
            connection.executemany(
                "INSERT INTO results VALUES (?, ?, ?)",
                [(key, kind, payload) for key, (kind, payload) in results.items()],
            )
    finally:
        connection.close()
