"""Lint speed: `eros-migrate lint` against `sqlfluff lint --dialect bigquery`, whole process.

Generates a corpus of migration files (tables, views, UDFs, procedures with DECLARE, IF, WHILE
and MERGE, column changes) in a temporary folder and times both tools on the same files, each
as a fresh process, so start-up and imports count. Prints one JSON object.

    python bench/lint_bench.py --files 1000 --sqlfluff-files 100

sqlfluff is slow: with `--sqlfluff-files N` (N < files) both tools are also timed on the same
first N files; the speed-up is taken from those, and sqlfluff's time for all files is
extrapolated from them (`sqlfluff_extrapolated` says so).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# sqlfluff reads ${name} placeholders with its placeholder templater.
SQLFLUFF_CONFIG = """\
[sqlfluff]
dialect = bigquery
templater = placeholder

[sqlfluff:templater:placeholder]
param_style = flyway_var
project = eros-lint-project
dataset = eros_lint_dataset
"""

CPU_SECONDS: list[float] = []

_API_SCRIPT = (
    "import sys; from pathlib import Path; "
    "from eros_migrate.config import load_settings; "
    "from eros_migrate.lint import lint_paths; "
    "folder = Path(sys.argv[1]); "
    "findings = lint_paths([folder], load_settings(folder)); "
    "print(len(findings))"
)


def run(
    files: int = 1000, sqlfluff_files: int | None = None, via: str = "auto"
) -> dict[str, object]:
    """Generate `files` migration files, time both linters, and return the figures."""
    with tempfile.TemporaryDirectory(prefix="eros-lint-bench-") as temp:
        corpus = Path(temp) / "migrations"
        write_corpus(corpus, files)
        command = eros_command(via)

        eros_seconds = timed([*command, str(corpus)])
        eros_cpu = CPU_SECONDS[-1]
        result: dict[str, object] = {
            "files": files,
            "eros_seconds": round(eros_seconds, 3),
            "eros_cpu_seconds": round(eros_cpu, 3),
            "eros_via": "cli" if "eros_migrate.cli" in command else "api",
        }

        sqlfluff = shutil.which("sqlfluff") or _beside_python("sqlfluff")
        if sqlfluff is None:
            print(
                "sqlfluff is not installed: `pip install sqlfluff` to compare; "
                "timing eros-migrate only",
                file=sys.stderr,
            )
            result.update(sqlfluff_seconds=None, lint_speedup_vs_sqlfluff=None)
            return result

        subset = files if sqlfluff_files is None else min(sqlfluff_files, files)
        folder = corpus if subset == files else copy_subset(corpus, Path(temp) / "subset", subset)
        (folder / ".sqlfluff").write_text(SQLFLUFF_CONFIG, encoding="utf-8")
        sqlfluff_seconds = timed([sqlfluff, "lint", "--dialect", "bigquery", str(folder)])
        sqlfluff_cpu = CPU_SECONDS[-1]
        if subset == files:
            eros_same, eros_same_cpu = eros_seconds, eros_cpu
        else:
            eros_same = timed([*command, str(folder)])
            eros_same_cpu = CPU_SECONDS[-1]

        result.update(
            sqlfluff_files=subset,
            sqlfluff_seconds=round(sqlfluff_seconds * files / subset, 3),
            sqlfluff_extrapolated=subset != files,
            eros_seconds_same_files=round(eros_same, 3),
            sqlfluff_seconds_same_files=round(sqlfluff_seconds, 3),
            lint_speedup_vs_sqlfluff=round(sqlfluff_seconds / eros_same, 1),
            cpu_speedup_vs_sqlfluff=round(sqlfluff_cpu / max(eros_same_cpu, 1e-9), 1),
        )
        return result


def eros_command(via: str) -> list[str]:
    """The CLI when it has a `lint` command (or when asked for), else the Python API."""
    cli = [sys.executable, "-m", "eros_migrate.cli", "lint"]
    if via == "cli":
        return cli
    if via == "auto":
        probe = subprocess.run([*cli, "--help"], capture_output=True, check=False)
        if probe.returncode == 0:
            return cli
    return [sys.executable, "-c", _API_SCRIPT]


def timed(command: list[str]) -> float:
    """Wall time of one process; findings are expected (exit 1 or 2), crashes are not.

    The CPU time the process used goes to `CPU_SECONDS`: on a busy machine it varies less than
    wall time.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_SECONDS.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if completed.returncode not in (0, 1, 2):
        where = " ".join(command[:4])
        raise RuntimeError(f"{where} failed ({completed.returncode}):\n{completed.stderr[-2000:]}")
    return seconds


def copy_subset(corpus: Path, target: Path, count: int) -> Path:
    target.mkdir(parents=True)
    for path in sorted(corpus.glob("*.sql"))[:count]:
        shutil.copy(path, target / path.name)
    return target


def _beside_python(name: str) -> str | None:
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else None


# Corpus ---------------------------------------------------------------------------------------


def write_corpus(folder: Path, files: int, seed: int = 7) -> None:
    """`files` migration files: pairs of up and down, numbered from 1 without gaps."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    makers = (_table, _view, _function, _procedure, _columns)

    for index in range(files // 2 + files % 2):
        version = index + 1
        maker = makers[index % len(makers)]
        up, down = maker(version, rng)
        (folder / f"{version:04d}_{maker.__name__.strip('_')}_{version}.up.sql").write_text(
            up, encoding="utf-8"
        )
        if 2 * index + 1 < files:
            (folder / f"{version:04d}_{maker.__name__.strip('_')}_{version}.down.sql").write_text(
                down, encoding="utf-8"
            )


def _columns_of(rng: random.Random) -> list[tuple[str, str]]:
    names = ["page_name", "caption_id", "creator_id", "score", "viewed_count", "purchased_count"]
    kinds = ["STRING", "INT64", "INT64", "FLOAT64", "INT64", "INT64"]
    extra = rng.randint(2, 6)
    columns = [("id", "INT64"), ("created_at", "TIMESTAMP")]
    columns += list(zip(names, kinds, strict=True))[:extra]
    return columns


def _table(version: int, rng: random.Random) -> tuple[str, str]:
    columns = _columns_of(rng)
    body = ",\n".join(f"  {name} {kind} OPTIONS (description = '{name}')" for name, kind in columns)
    up = f"""-- Table for step {version}: one row per caption event.
CREATE TABLE IF NOT EXISTS `${{project}}.${{dataset}}.events_{version}` (
{body}
)
PARTITION BY DATE(created_at)
CLUSTER BY id
OPTIONS (description = 'events of step {version}', partition_expiration_days = 400);

INSERT INTO `${{project}}.${{dataset}}.events_{version}` (id, created_at)
SELECT id, TIMESTAMP_SECONDS(1700000000 + id * 60)
FROM UNNEST(GENERATE_ARRAY(1, {rng.randint(5, 50)})) AS id;
"""
    down = f"""-- eros-migrate: allow destructive: undoes step {version}
DROP TABLE IF EXISTS `${{project}}.${{dataset}}.events_{version}`;
"""
    return up, down


def _view(version: int, rng: random.Random) -> tuple[str, str]:
    base = max(1, version - rng.randint(1, 4))
    up = f"""CREATE OR REPLACE VIEW `${{project}}.${{dataset}}.caption_stats_{version}` AS
WITH recent AS (
  SELECT
    e.id,
    e.created_at,
    DATE(e.created_at, 'America/Los_Angeles') AS send_date,
    COUNT(*) OVER (PARTITION BY e.id) AS sends
  FROM `${{project}}.${{dataset}}.events_{base}` AS e
  WHERE e.created_at >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL {rng.randint(7, 90)} DAY)
),
ranked AS (
  SELECT
    id,
    send_date,
    sends,
    ROW_NUMBER() OVER (PARTITION BY send_date ORDER BY sends DESC) AS position
  FROM recent
)
SELECT
  r.id,
  r.send_date,
  r.sends,
  SAFE_DIVIDE(r.sends, SUM(r.sends) OVER (PARTITION BY r.send_date)) AS share,
  CASE
    WHEN r.position <= 3 THEN 'top'
    WHEN r.position <= 10 THEN 'middle'
    ELSE 'tail'
  END AS tier
FROM ranked AS r
WHERE r.position <= {rng.randint(10, 100)};
"""
    down = f"DROP VIEW IF EXISTS `${{project}}.${{dataset}}.caption_stats_{version}`;\n"
    return up, down


def _function(version: int, rng: random.Random) -> tuple[str, str]:
    weight = rng.choice(["0.2", "0.5", "1.5"])
    up = f"""-- Wilson lower bound with a weight, for ranking captions.
CREATE OR REPLACE FUNCTION `${{project}}.${{dataset}}.wilson_{version}`(
  successes FLOAT64,
  trials FLOAT64
)
RETURNS FLOAT64
AS (
  IF(
    trials = 0,
    0,
    (
      SAFE_DIVIDE(successes, trials) + 1.96 * 1.96 / (2 * trials)
      - 1.96 * SQRT(
        SAFE_DIVIDE(successes, trials) * (1 - SAFE_DIVIDE(successes, trials)) / trials
        + 1.96 * 1.96 / (4 * trials * trials)
      )
    ) / (1 + 1.96 * 1.96 / trials) * {weight}
  )
);
"""
    down = f"DROP FUNCTION IF EXISTS `${{project}}.${{dataset}}.wilson_{version}`;\n"
    return up, down


def _procedure(version: int, rng: random.Random) -> tuple[str, str]:
    table = f"`${{project}}.${{dataset}}.events_{max(1, version - rng.randint(1, 4))}`"
    up = f"""CREATE OR REPLACE PROCEDURE `${{project}}.${{dataset}}.refresh_{version}`(
  IN p_page_name STRING,
  OUT p_updated INT64
)
BEGIN
  DECLARE v_day DATE DEFAULT CURRENT_DATE('America/Los_Angeles');
  DECLARE v_batch INT64 DEFAULT {rng.randint(10, 500)};
  DECLARE v_round INT64 DEFAULT 0;

  CREATE TEMP TABLE pending AS
  SELECT id, created_at
  FROM {table}
  WHERE DATE(created_at, 'America/Los_Angeles') = v_day;

  IF (SELECT COUNT(*) FROM pending) = 0 THEN
    SET p_updated = 0;
    RETURN;
  ELSEIF (SELECT COUNT(*) FROM pending) > v_batch THEN
    SET v_batch = v_batch * 2;
  ELSE
    SET v_batch = v_batch + 1;
  END IF;

  WHILE v_round < 3 DO
    MERGE {table} AS target
    USING (SELECT id, created_at FROM pending LIMIT 100) AS source
    ON target.id = source.id
    WHEN MATCHED THEN
      UPDATE SET created_at = source.created_at
    WHEN NOT MATCHED THEN
      INSERT (id, created_at) VALUES (source.id, source.created_at);
    SET v_round = v_round + 1;
  END WHILE;

  SET p_updated = (SELECT COUNT(*) FROM pending);
  DROP TABLE pending;
END;
"""
    down = f"DROP PROCEDURE IF EXISTS `${{project}}.${{dataset}}.refresh_{version}`;\n"
    return up, down


def _columns(version: int, rng: random.Random) -> tuple[str, str]:
    table = f"`${{project}}.${{dataset}}.events_{max(1, version - rng.randint(1, 4))}`"
    column = f"note_{version}"
    up = f"""ALTER TABLE {table}
ADD COLUMN IF NOT EXISTS {column} STRING OPTIONS (description = 'added in step {version}');

UPDATE {table}
SET {column} = FORMAT('%d', id)
WHERE created_at < TIMESTAMP('2025-01-01 00:00:00', 'America/Los_Angeles');
"""
    down = f"""-- eros-migrate: allow destructive: undoes step {version}
ALTER TABLE {table} DROP COLUMN IF EXISTS {column};
"""
    return up, down


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000, help="migration files to generate")
    parser.add_argument(
        "--sqlfluff-files",
        type=int,
        default=None,
        help="time sqlfluff (and eros-migrate again) on only the first N files",
    )
    parser.add_argument(
        "--via",
        choices=("auto", "cli", "api"),
        default="auto",
        help="how to start eros-migrate: its CLI, or the Python API in a fresh process",
    )
    args = parser.parse_args(argv)

    print(json.dumps(run(args.files, args.sqlfluff_files, args.via)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
