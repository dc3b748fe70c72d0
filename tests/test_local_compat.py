"""Each compatibility fix of the local engine, pinned by BigQuery's documented behaviour.

Every test runs real SQL through google-cloud-bigquery against one embedded engine and works in
a dataset of its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import bigquery

from eros_migrate import local_compat
from eros_migrate.local_engine import LocalEngine

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result")

PROJECT = "test-project"
_dataset_numbers = itertools.count()


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalEngine]:
    with LocalEngine(None, project=PROJECT) as running:
        yield running


@pytest.fixture(scope="module")
def client(engine: LocalEngine) -> bigquery.Client:
    return engine.client()


@pytest.fixture
def ds(client: bigquery.Client) -> str:
    """A fresh dataset; its name is spliced into SQL as ``{ds}``."""
    name = f"ds_{next(_dataset_numbers)}"
    run(client, f"CREATE SCHEMA {name}")
    return name


def run(client: bigquery.Client, sql: str) -> list[dict[str, Any]]:
    """Run one job and return its rows as dicts."""
    job = client.query(sql, retry=None, job_retry=None)  # type: ignore[arg-type]
    return [dict(row.items()) for row in job.result()]


def one(client: bigquery.Client, sql: str) -> dict[str, Any]:
    rows = run(client, sql)
    assert len(rows) == 1, rows
    return rows[0]


def test_install_is_idempotent(engine: LocalEngine) -> None:
    from bqemulator.scripting.parser import Parser

    capture = Parser._capture_balanced_block
    local_compat.install()
    local_compat.install()

    assert Parser._capture_balanced_block is capture


def test_engine_starts_without_the_spatial_extension(client: bigquery.Client) -> None:
    assert one(client, "SELECT 'up' AS state") == {"state": "up"}


PROCEDURE_BODY = """
CREATE OR REPLACE PROCEDURE `{p}.{ds}.times_ten`(x INT64, OUT y INT64)
BEGIN
  SET y = x * 10;
END;

CREATE OR REPLACE PROCEDURE `{p}.{ds}.walk`(x INT64)
BEGIN
  DECLARE total INT64 DEFAULT 0;
  DECLARE scaled INT64;
  DECLARE note STRING DEFAULT 'none';
  IF x > 10 THEN
    SET total = 100;
  ELSEIF x > 0 THEN
    SET total = CASE WHEN x > 1 THEN 2 ELSE 1 END;
  ELSE
    SET total = -1;
  END IF;
  WHILE total < 5 DO
    SET total = total + 1;
  END WHILE;
  BEGIN
    SELECT 1 / 0;
  EXCEPTION WHEN ERROR THEN
    BEGIN
      SET note = 'caught';
    END;
  END;
  FOR r IN (SELECT n FROM UNNEST([1, 2, 3]) AS n) DO
    SET total = total + r.n;
  END FOR;
  CALL `{p}.{ds}.times_ten`(total, scaled);
  SELECT total, scaled, note, CASE x WHEN 5 THEN 'five' ELSE 'other' END AS label;
END
"""


def test_procedure_body_is_captured_to_its_matching_end(client: bigquery.Client, ds: str) -> None:
    run(client, PROCEDURE_BODY.format(p=PROJECT, ds=ds))

    row = one(client, f"CALL `{PROJECT}.{ds}.walk`(5)")

    assert row == {"total": 11, "scaled": 110, "note": "caught", "label": "five"}


def test_procedure_created_as_a_single_statement(client: bigquery.Client, ds: str) -> None:
    run(
        client,
        f"""CREATE PROCEDURE {ds}.flag(x INT64)
        BEGIN
          IF x > 0 THEN SELECT 'positive' AS sign; ELSE SELECT 'other' AS sign; END IF;
        END""",
    )

    assert one(client, f"CALL {ds}.flag(3)") == {"sign": "positive"}


@pytest.mark.parametrize(
    "call",
    ["`{p}.{ds}.base`(x)", "{ds}.base(x)", "`{ds}.base`(x)", "`{p}`.{ds}.base(x)"],
)
def test_udf_body_may_call_another_udf(client: bigquery.Client, ds: str, call: str) -> None:
    run(client, f"CREATE FUNCTION `{PROJECT}.{ds}.base`(x INT64) RETURNS INT64 AS (x + 1)")
    body = call.format(p=PROJECT, ds=ds)

    run(client, f"CREATE FUNCTION `{PROJECT}.{ds}.twice`(x INT64) AS ({body} * 2)")

    assert one(client, f"SELECT {ds}.twice(1) AS v") == {"v": 4}


def test_udf_body_may_read_a_table(client: bigquery.Client, ds: str) -> None:
    run(client, f"CREATE TABLE {ds}.rates (code STRING, rate FLOAT64)")
    run(client, f"INSERT INTO {ds}.rates VALUES ('a', 0.5)")

    run(
        client,
        f"CREATE FUNCTION {ds}.rate(c STRING) AS ((SELECT rate FROM {ds}.rates WHERE code = c))",
    )

    assert one(client, f"SELECT {ds}.rate('a') AS r") == {"r": 0.5}


@pytest.mark.parametrize(
    "script",
    [
        "RAISE USING MESSAGE = 'stop: {ds}'",
        "BEGIN DECLARE n INT64 DEFAULT 1; RAISE USING MESSAGE = 'stop: {ds}'; END",
        "CALL {ds}.fail()",
    ],
)
def test_uncaught_raise_fails_the_job(client: bigquery.Client, ds: str, script: str) -> None:
    run(client, f"CREATE PROCEDURE {ds}.fail() BEGIN RAISE USING MESSAGE = 'stop: {ds}'; END")

    with pytest.raises(exceptions.BadRequest, match=f"stop: {ds}") as raised:
        run(client, script.format(ds=ds))

    assert raised.value.errors[0]["reason"] == "invalidQuery"


def test_error_in_a_script_fails_the_job(client: bigquery.Client, ds: str) -> None:
    run(client, f"CREATE TABLE {ds}.t (id INT64)")

    with pytest.raises(exceptions.GoogleAPICallError) as raised:
        run(client, f"INSERT INTO {ds}.t VALUES (1); SELECT * FROM {ds}.missing;")

    assert raised.value.code in (400, 404)
    assert one(client, f"SELECT COUNT(*) AS n FROM {ds}.t") == {"n": 1}
