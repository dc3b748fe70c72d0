"""Every benchmark of eros-migrate, printed as one JSON object.

Each figure is measured side by side with its baseline in the same run:

- `jobs_per_migration`: query jobs sent per migration when `up` applies the EROS chain,
  counted where requests leave google-cloud-bigquery; `jobs_per_statement_baseline` is the
  same chain sent one statement per job plus one history row per migration, as tools that
  run statement by statement do.
- `help_cold_start_s`: median wall time of `eros-migrate --help` in a new process, beside
  `python_start_s`, the interpreter alone.
- `status_1000_s`: `eros-migrate status` on a ledger of 1,000 applied migrations, whole process,
  beside `status_empty_s` on an empty ledger, with the queries each sends; `history_1000_s`
  and `history_1000_queries` the same for `eros-migrate history`.
- `lint_speedup_vs_sqlfluff`: from `bench/lint_bench.py`, both linters on the same files.

Usage: `python bench/run.py [--skip-lint] [--lint-files N]`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@contextmanager
def counting_jobs() -> Iterator[dict[str, int]]:
    """Count job-creating requests at the HTTP layer of the client library."""
    from google.cloud import _http

    counts = {"jobs": 0, "requests": 0}
    original = _http.JSONConnection.api_request

    def counted(self: Any, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        counts["requests"] += 1
        if method == "POST" and (path.endswith("/jobs") or path.endswith("/queries")):
            counts["jobs"] += 1
        return original(self, method, path, *args, **kwargs)  # type: ignore[no-untyped-call]

    _http.JSONConnection.api_request = counted  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        _http.JSONConnection.api_request = original  # type: ignore[method-assign]


def write_project(folder: Path, migrations: Path, dataset: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "eros-migrate.toml").write_text(
        f'migrations = "{migrations}"\n'
        "[targets.local]\n"
        'engine = "local"\n'
        f'dataset = "{dataset}"\n'
        f'data_dir = "{folder / "engine"}"\n',
        encoding="utf-8",
    )
    return folder


def jobs_per_migration(workdir: Path) -> dict[str, float]:
    from eros_migrate import commands
    from eros_migrate.config import load_settings

    project = write_project(workdir / "jobs", ROOT / "migrations", "bench_jobs")
    settings = load_settings(project, environment={})
    with counting_jobs() as counts:
        report = commands.up(settings)
    migrations = len(report.results)
    splits = forced_splits(settings)
    return {
        "migrations": migrations,
        "jobs_total": counts["jobs"],
        "jobs_per_migration": round(counts["jobs"] / migrations, 3),
        "jobs_split_for_metadata_limit": splits,
        "jobs_fixed_per_run": counts["jobs"] - migrations - splits,
    }


def forced_splits(settings: Any) -> int:
    """Extra jobs of migrations that change one table more often than BigQuery allows in one."""
    from eros_migrate import pacing
    from eros_migrate.chain import load_chain
    from eros_migrate.script import parse_script

    extra = 0
    for migration in load_chain(settings.migrations_dir).migrations:
        statements = parse_script(migration.up.text, str(migration.up.path)).statements
        body = [statement for statement in statements if statement.kind != "declare"]
        extra += len(pacing.chunk(body)) - 1
    return extra


def jobs_per_statement(workdir: Path) -> dict[str, float]:
    """The same chain, one job per top-level statement and one per history row."""
    from eros_migrate.chain import load_chain
    from eros_migrate.local_engine import LocalEngine
    from eros_migrate.placeholders import render
    from eros_migrate.script import split_statements

    chain = load_chain(ROOT / "migrations")
    values = {"project": "local-project", "dataset": "bench_statements"}
    engine = LocalEngine(None)
    engine.start()
    try:
        # Typed loosely: retry=None (no client-side retries) is valid at run time only.
        client: Any = engine.client()
        client.create_dataset("local-project.bench_statements")
        client.query(
            "CREATE TABLE `local-project.bench_statements.history` (version INT64, name STRING)",
            retry=None, job_retry=None,
        ).result()
        with counting_jobs() as counts:
            for migration in chain.migrations:
                text = render(migration.up.text, values, str(migration.up.path))
                for statement in split_statements(text, str(migration.up.path)):
                    client.query(statement.text, retry=None, job_retry=None).result()
                client.query(
                    "INSERT INTO `local-project.bench_statements.history` VALUES "
                    f"({migration.version}, '{migration.name}')",
                    retry=None, job_retry=None,
                ).result()
    finally:
        engine.stop()
    return {"jobs_per_statement_baseline": round(counts["jobs"] / len(chain.migrations), 3)}


def median_seconds(command: list[str], runs: int, cwd: Path | None = None) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=cwd)
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 4)


def cold_start() -> dict[str, float]:
    help_command = [sys.executable, "-m", "eros_migrate.cli", "--help"]
    return {
        "help_cold_start_s": median_seconds(help_command, 7),
        "python_start_s": median_seconds([sys.executable, "-c", "pass"], 7),
    }


def status_with_ledger(workdir: Path, versions: int = 1000) -> dict[str, float]:
    from eros_migrate import commands
    from eros_migrate.config import load_settings

    migrations = workdir / "many" / "migrations"
    migrations.mkdir(parents=True)
    for version in range(1, versions + 1):
        for direction in ("up", "down"):
            (migrations / f"{version:04d}_step_{version}.{direction}.sql").write_text(
                "SELECT 1;\n", encoding="utf-8"
            )

    empty = write_project(workdir / "empty", migrations, "bench_empty")
    full = write_project(workdir / "full", migrations, "bench_full")
    commands.baseline(load_settings(full, environment={}), str(versions))

    command = [sys.executable, "-m", "eros_migrate.cli", "status", "--format", "json"]
    with counting_jobs() as counts:
        status = commands.status(load_settings(full, environment={}))
    assert len(status.state.applied) == versions

    history_command = [sys.executable, "-m", "eros_migrate.cli", "history", "--format", "json"]
    with counting_jobs() as history_counts:
        events = commands.history(load_settings(full, environment={}))
    assert len(events) >= versions
    return {
        "status_1000_s": median_seconds(command, 3, cwd=full),
        "status_empty_s": median_seconds(command, 3, cwd=empty),
        "status_1000_queries": counts["jobs"],
        "history_1000_s": median_seconds(history_command, 3, cwd=full),
        "history_empty_s": median_seconds(history_command, 3, cwd=empty),
        "history_1000_queries": history_counts["jobs"],
    }


def lint_speedup(files: int) -> dict[str, Any]:
    try:
        from bench import lint_bench  # type: ignore[attr-defined,unused-ignore]
    except ImportError as error:
        return {"lint_speedup_vs_sqlfluff": None, "lint_note": f"lint bench unavailable: {error}"}
    result: dict[str, Any] = lint_bench.run(files)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-lint", action="store_true", help="skip the sqlfluff comparison")
    parser.add_argument("--lint-files", type=int, default=1000, help="corpus size for lint")
    args = parser.parse_args()

    results: dict[str, Any] = {"machine": {"python": sys.version.split()[0]}}
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        results.update(jobs_per_migration(workdir))
        results.update(jobs_per_statement(workdir))
        results.update(cold_start())
        results.update(status_with_ledger(workdir))
    if not args.skip_lint:
        results.update(lint_speedup(args.lint_files))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
