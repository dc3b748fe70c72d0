"""`eros-migrate check` over the EROS chain: cold start against warm start, whole process.

Copies the repository's `migrations/` into a temporary project and times `eros-migrate check`
as a fresh process each time, so imports and loading the analyzer count:

- `cold_s`: empty cache folder and no stored results: the analyzer module is compiled (and
  cached) and every statement is analysed;
- `warm_s`: the same command again: module cached, results stored, nothing changed;
- `warm_reanalysed_s`: module cached but stored results removed, as after an edit to the
  first migration: every statement is analysed again;
- `warm_median_s`: the median of `--repeat` warm runs.

Prints one JSON object.

    python bench/check_bench.py [--repeat 3] [--keep-cache]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_check(project: Path, cache: Path) -> float:
    environment = dict(os.environ, EROS_MIGRATE_CACHE_DIR=str(cache))
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "eros_migrate.cli", "--project-dir", str(project), "check"],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"check failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="warm runs to take the median of")
    parser.add_argument(
        "--keep-cache", action="store_true", help="print the cache folder and keep it"
    )
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="check-bench-") as folder:
        project = Path(folder) / "project"
        cache = Path(folder) / "cache"
        shutil.copytree(ROOT / "migrations", project / "migrations")
        (project / "eros-migrate.toml").write_text(
            '[targets.local]\nengine = "local"\n', encoding="utf-8"
        )

        cold = run_check(project, cache)
        warm = run_check(project, cache)
        warm_runs = [warm] + [run_check(project, cache) for _ in range(arguments.repeat - 1)]
        shutil.rmtree(project / ".eros" / "check")
        reanalysed = run_check(project, cache)
        if arguments.keep_cache:
            kept = Path(tempfile.mkdtemp(prefix="check-bench-cache-"))
            shutil.copytree(cache, kept, dirs_exist_ok=True)
            print(f"cache kept in {kept}", file=sys.stderr)

    print(
        json.dumps(
            {
                "cold_s": round(cold, 2),
                "warm_s": round(warm, 2),
                "warm_median_s": round(statistics.median(warm_runs), 2),
                "warm_reanalysed_s": round(reanalysed, 2),
                "migrations": len(list((ROOT / "migrations").glob("*.up.sql"))),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
