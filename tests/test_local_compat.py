"""Each compatibility fix of the local engine, pinned by BigQuery's documented behaviour.

Every test runs real SQL through google-cloud-bigquery against one embedded engine and works in
a dataset of its own.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from zoneinfo import ZoneInfo

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


def test_error_variables_in_an_exception_handler(client: bigquery.Client, ds: str) -> None:
    run(client, f"CREATE TABLE {ds}.log (what STRING, message STRING)")
    run(
        client,
        f"""CREATE PROCEDURE {ds}.guarded()
        BEGIN
          BEGIN
            INSERT INTO {ds}.missing VALUES (1);
          EXCEPTION WHEN ERROR THEN
            INSERT INTO {ds}.log VALUES (@@error.statement_text, @@error.message);
          END;
        END""",
    )

    run(client, f"CALL {ds}.guarded()")
    row = one(client, f"SELECT what, message FROM {ds}.log")
    raised = one(
        client,
        """BEGIN
          DECLARE step INT64 DEFAULT 0;
          SET step = 1;
          RAISE USING MESSAGE = 'bad step';
        EXCEPTION WHEN ERROR THEN
          SELECT @@error.message AS message, @@error.statement_text AS statement;
        END""",
    )

    assert row["what"] == f"INSERT INTO {ds}.missing VALUES (1)"
    assert "missing" in row["message"]
    assert raised == {"message": "bad step", "statement": "RAISE USING MESSAGE = 'bad step'"}


def test_row_count_after_dml(client: bigquery.Client, ds: str) -> None:
    run(client, f"CREATE TABLE {ds}.t (id INT64, v STRING)")

    row = one(
        client,
        f"""BEGIN
          DECLARE inserted, updated, merged, deleted INT64;
          INSERT INTO {ds}.t VALUES (1, 'a'), (2, 'b'), (3, 'c');
          SET inserted = @@row_count;
          UPDATE {ds}.t SET v = 'z' WHERE id >= 2;
          SET updated = @@row_count;
          MERGE {ds}.t AS t USING (SELECT 9 AS id UNION ALL SELECT 1) AS s ON t.id = s.id
            WHEN MATCHED THEN UPDATE SET v = 'm'
            WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, 'n');
          SET merged = @@row_count;
          -- a comment before the statement
          DELETE FROM {ds}.t WHERE TRUE;
          SET deleted = @@row_count;
          SELECT 1;
          SELECT inserted, updated, merged, deleted, @@row_count AS after_select;
        END""",
    )

    assert row == {"inserted": 3, "updated": 2, "merged": 2, "deleted": 4, "after_select": None}


def test_unenforced_keys_are_accepted_and_not_enforced(client: bigquery.Client, ds: str) -> None:
    run(client, f"CREATE TABLE {ds}.parent (id INT64, name STRING, PRIMARY KEY (id) NOT ENFORCED)")
    run(client, f"CREATE TABLE {ds}.solo (id INT64 PRIMARY KEY NOT ENFORCED)")
    run(
        client,
        f"""CREATE TABLE {ds}.child (
          id INT64,
          parent_id INT64 REFERENCES {ds}.parent(id) NOT ENFORCED,
          PRIMARY KEY (id) NOT ENFORCED,
          CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES {ds}.parent(id) NOT ENFORCED
        )""",
    )

    run(client, f"INSERT INTO {ds}.parent VALUES (1, 'a'), (1, 'b')")
    run(client, f"INSERT INTO {ds}.child VALUES (1, 42)")

    assert one(client, f"SELECT COUNT(*) AS n FROM {ds}.parent") == {"n": 2}


def test_language_sql_on_a_sql_udf(client: bigquery.Client, ds: str) -> None:
    run(client, f"CREATE FUNCTION {ds}.inc(x INT64) RETURNS INT64 LANGUAGE SQL AS (x + 1)")

    temp = one(
        client, "CREATE TEMP FUNCTION dec(x INT64) LANGUAGE sql AS (x - 1); SELECT dec(1) AS v"
    )

    assert one(client, f"SELECT {ds}.inc(1) AS v") == {"v": 2}
    assert temp == {"v": 0}


def test_offset_is_zero_based_for_any_index(client: bigquery.Client) -> None:
    row = one(
        client,
        """SELECT
          [10, 20, 30][OFFSET(1)] AS literal,
          [10, 20, 30][OFFSET(i)] AS computed,
          [10, 20, 30][SAFE_OFFSET(i + 1)] AS safe,
          [10, 20, 30][SAFE_OFFSET(i + 5)] AS beyond,
          [10, 20, 30][ORDINAL(i)] AS ordinal
        FROM (SELECT 1 AS i)""",
    )
    scripted = one(client, "DECLARE i INT64 DEFAULT 2; SELECT ['a', 'b', 'c'][OFFSET(i)] AS v;")

    assert row == {"literal": 20, "computed": 20, "safe": 30, "beyond": None, "ordinal": 10}
    assert scripted == {"v": "c"}


def test_with_offset_columns_keep_their_names(client: bigquery.Client) -> None:
    named = run(client, "SELECT x, i FROM UNNEST(['a', 'b']) AS x WITH OFFSET AS i ORDER BY i")
    default = run(client, "SELECT x, offset FROM UNNEST(['a']) AS x WITH OFFSET")
    used = run(
        client,
        "SELECT x, i * 10 AS tens, i AS renamed FROM UNNEST(['a', 'b']) AS x WITH OFFSET i "
        "WHERE i > 0",
    )

    assert named == [{"x": "a", "i": 0}, {"x": "b", "i": 1}]
    assert default == [{"x": "a", "offset": 0}]
    assert used == [{"x": "b", "tens": 10, "renamed": 1}]


def test_approx_quantiles_offset_is_zero_based(client: bigquery.Client) -> None:
    row = one(
        client,
        """SELECT
          APPROX_QUANTILES(x, 100)[OFFSET(50)] AS median,
          APPROX_QUANTILES(x, 4)[OFFSET(0)] AS minimum,
          APPROX_QUANTILES(x, 4)[OFFSET(4)] AS maximum,
          APPROX_QUANTILES(x, 4)[ORDINAL(2)] AS first_quartile
        FROM UNNEST(GENERATE_ARRAY(1, 101)) AS x""",
    )

    assert row == {"median": 51, "minimum": 1, "maximum": 101, "first_quartile": 26}


ESCAPES_SQL = r"""
SELECT 'caf\u00e9' AS u, "\U0001F600!" AS big_u, 'h\x41\101' AS hex_octal,
  'it\x27s' AS quote, 'q\\u00e9' AS escaped, r'r\u00e9' AS raw,
  '''tri\u00e9''' AS triple, 'tab\x09' AS tab, 'bell\x07' AS bell,
  -- a comment with 'caf\u00e9' is not a literal
  LENGTH('caf\u00e9') AS n
"""


def test_code_point_escapes_in_string_literals(client: bigquery.Client) -> None:
    row = one(client, ESCAPES_SQL)

    assert row == {
        "u": "café",
        "big_u": "\U0001f600!",
        "hex_octal": "hAA",
        "quote": "it's",
        "escaped": r"q\u00e9",
        "raw": r"r\u00e9",
        "triple": "trié",
        "tab": "tab\t",
        "bell": "bell\x07",
        "n": 4,
    }


def test_builtins_behave_as_in_bigquery(client: bigquery.Client) -> None:
    row = one(
        client,
        r"""SELECT
          DATE(TIMESTAMP '2024-01-01 05:00:00+00', 'America/Los_Angeles') AS la_date,
          CURRENT_DATE('America/Los_Angeles') IS NOT NULL AS has_today,
          SAFE_DIVIDE(1, 0) AS safe,
          TO_HEX(SHA256('abc')) AS sha,
          TO_HEX(MD5('abc')) AS md5,
          REGEXP_REPLACE('a😀b★c', r'\p{So}', '') AS no_symbols,
          LENGTH(GENERATE_UUID()) AS uuid_length,
          FORMAT_DATE('%Y-%m-%d %A', DATE '2024-03-05') AS formatted""",
    )

    assert row == {
        "la_date": datetime.date(2023, 12, 31),
        "has_today": True,
        "safe": None,
        "sha": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "md5": "900150983cd24fb0d6963f7d28e17f72",
        "no_symbols": "abc",
        "uuid_length": 36,
        "formatted": "2024-03-05 Tuesday",
    }


def test_procedures_with_temp_tables_dml_and_transactions(client: bigquery.Client, ds: str) -> None:
    run(client, f"CREATE TABLE {ds}.t (id INT64, v STRING)")
    run(
        client,
        f"""CREATE PROCEDURE {ds}.load()
        BEGIN
          CREATE TEMP TABLE staged AS SELECT 1 AS id, 'new' AS v;
          INSERT INTO {ds}.t SELECT id, v FROM staged;
          UPDATE {ds}.t SET v = 'updated' WHERE id = 1;
          DELETE FROM {ds}.t WHERE id = 99;
          DROP TABLE staged;
        END""",
    )

    run(client, f"CALL {ds}.load()")
    run(client, f"CALL {ds}.load()")
    run(client, f"BEGIN TRANSACTION; INSERT INTO {ds}.t VALUES (5, 'kept'); COMMIT TRANSACTION;")
    run(client, f"BEGIN TRANSACTION; INSERT INTO {ds}.t VALUES (6, 'gone'); ROLLBACK TRANSACTION;")

    rows = run(client, f"SELECT id, v FROM {ds}.t ORDER BY id")
    assert rows == [
        {"id": 1, "v": "updated"},
        {"id": 1, "v": "updated"},
        {"id": 5, "v": "kept"},
    ]


def test_drop_schema_cascade(client: bigquery.Client, ds: str) -> None:
    run(client, f"CREATE TABLE {ds}.t (a INT64)")

    run(client, f"DROP SCHEMA {ds} CASCADE")

    assert ds not in {d.dataset_id for d in client.list_datasets()}


def test_concurrent_insert_if_absent_merges_insert_once(engine: LocalEngine, ds: str) -> None:
    run(engine.client(), f"CREATE TABLE {ds}.lock (name STRING, holder STRING)")
    merge = f"""MERGE {ds}.lock AS t
        USING (SELECT 'migrate' AS name, '{{holder}}' AS holder) AS s ON t.name = s.name
        WHEN NOT MATCHED THEN INSERT (name, holder) VALUES (s.name, s.holder)"""

    def attempt(holder: int) -> int | None:
        sql = merge.format(holder=holder)
        job = engine.client().query(sql, retry=None, job_retry=None)  # type: ignore[arg-type]
        job.result()
        affected: int | None = job.num_dml_affected_rows
        return affected

    with ThreadPoolExecutor(max_workers=8) as pool:
        affected = list(pool.map(attempt, range(8)))

    assert sorted(affected, key=lambda n: n or 0) == [0] * 7 + [1]
    assert one(engine.client(), f"SELECT COUNT(*) AS n FROM {ds}.lock") == {"n": 1}


def test_failed_create_function_leaves_no_routine(client: bigquery.Client, ds: str) -> None:
    run(client, f"CREATE FUNCTION {ds}.kept(x INT64) AS (x + 1)")

    with pytest.raises(exceptions.BadRequest):
        run(client, f"CREATE FUNCTION {ds}.broken(x INT64) AS ({ds}.nowhere(x))")
    with pytest.raises(exceptions.BadRequest):
        run(client, f"CREATE OR REPLACE FUNCTION {ds}.kept(x INT64) AS ({ds}.nowhere(x))")

    names = run(client, f"SELECT routine_name FROM {ds}.INFORMATION_SCHEMA.ROUTINES")
    assert names == [{"routine_name": "kept"}]
    assert one(client, f"SELECT {ds}.kept(1) AS v") == {"v": 2}


TABLE_DDL = """CREATE TABLE {ds}.events (
  id INT64 NOT NULL,
  ts TIMESTAMP,
  kind STRING DEFAULT 'click' OPTIONS (description = 'what happened'),
  n INT64
)
PARTITION BY DATE(ts)
CLUSTER BY kind, id
OPTIONS (description = 'all events', labels = [('team', 'eros'), ('env', 'dev')])"""


@pytest.mark.parametrize("wrap", ["{sql}", "BEGIN {sql}; END"])
def test_create_table_metadata(client: bigquery.Client, ds: str, wrap: str) -> None:
    run(client, wrap.format(sql=TABLE_DDL.format(ds=ds)))

    table = client.get_table(f"{PROJECT}.{ds}.events")

    assert (table.time_partitioning.type_, table.time_partitioning.field) == ("DAY", "ts")
    assert table.clustering_fields == ["kind", "id"]
    assert table.description == "all events"
    assert table.labels == {"team": "eros", "env": "dev"}
    kind = table.schema[2]
    assert (kind.name, kind.default_value_expression, kind.description) == (
        "kind",
        "'click'",
        "what happened",
    )
    assert table.schema[0].mode == "REQUIRED"


@pytest.mark.parametrize(
    ("partition", "column", "expected"),
    [
        ("d", "d DATE", ("DAY", "d")),
        ("DATE_TRUNC(d, MONTH)", "d DATE", ("MONTH", "d")),
        ("DATE_TRUNC(d, YEAR)", "d DATE", ("YEAR", "d")),
        ("TIMESTAMP_TRUNC(d, HOUR)", "d TIMESTAMP", ("HOUR", "d")),
    ],
)
def test_time_partitioning_forms(
    client: bigquery.Client, ds: str, partition: str, column: str, expected: tuple[str, str]
) -> None:
    run(client, f"CREATE TABLE {ds}.t ({column}, v STRING) PARTITION BY {partition}")

    partitioning = client.get_table(f"{PROJECT}.{ds}.t").time_partitioning

    assert (partitioning.type_, partitioning.field) == expected


def test_range_partitioning(client: bigquery.Client, ds: str) -> None:
    run(
        client,
        f"CREATE TABLE {ds}.t (n INT64) PARTITION BY RANGE_BUCKET(n, GENERATE_ARRAY(0, 100, 10))",
    )

    ranged = client.get_table(f"{PROJECT}.{ds}.t").range_partitioning

    assert ranged.field == "n"
    assert (ranged.range_.start, ranged.range_.end, ranged.range_.interval) == (0, 100, 10)


def test_alter_table_changes_metadata(client: bigquery.Client, ds: str) -> None:
    run(client, TABLE_DDL.format(ds=ds))

    for statement in (
        "SET OPTIONS (description = 'changed', labels = [('team', 'other')])",
        "ALTER COLUMN kind SET OPTIONS (description = 'the kind')",
        "ALTER COLUMN kind SET DEFAULT 'view'",
        "ADD COLUMN source STRING DEFAULT 'web'",
        "DROP COLUMN n",
        "RENAME COLUMN source TO origin",
    ):
        run(client, f"ALTER TABLE {ds}.events {statement}")
    run(client, f"BEGIN ALTER TABLE {ds}.events ADD COLUMN extra INT64; END")

    table = client.get_table(f"{PROJECT}.{ds}.events")
    columns = [(f.name, f.default_value_expression, f.description) for f in table.schema]
    assert (table.description, table.labels) == ("changed", {"team": "other"})
    assert columns == [
        ("id", None, None),
        ("ts", None, None),
        ("kind", "'view'", "the kind"),
        ("origin", "'web'", None),
        ("extra", None, None),
    ]
    assert table.clustering_fields == ["kind", "id"]


@pytest.mark.parametrize("scripted", [False, True], ids=["statement", "script"])
def test_alter_table_with_a_list_of_actions(
    client: bigquery.Client, ds: str, scripted: bool
) -> None:
    run(client, TABLE_DDL.format(ds=ds))
    statements = (
        "ADD COLUMN IF NOT EXISTS a STRING, ADD COLUMN IF NOT EXISTS b INT64",
        "ALTER COLUMN a SET DEFAULT 'x', ALTER COLUMN b SET DEFAULT 2",
        "ALTER COLUMN a DROP DEFAULT, ALTER COLUMN kind DROP DEFAULT",
        "DROP COLUMN IF EXISTS n, DROP COLUMN IF EXISTS nothing",
    )

    for statement in statements:
        sql = f"ALTER TABLE {ds}.events {statement}"
        run(client, f"BEGIN {sql}; END" if scripted else sql)

    table = client.get_table(f"{PROJECT}.{ds}.events")
    columns = [(f.name, f.default_value_expression) for f in table.schema]
    assert columns == [("id", None), ("ts", None), ("kind", None), ("a", None), ("b", "2")]
    run(client, f"INSERT {ds}.events (id, ts) VALUES (1, CURRENT_TIMESTAMP())")
    assert one(client, f"SELECT a, b FROM {ds}.events") == {"a": None, "b": 2}


def test_alter_missing_table_fails(client: bigquery.Client, ds: str) -> None:
    with pytest.raises(exceptions.NotFound):
        run(client, f"ALTER TABLE {ds}.nowhere SET OPTIONS (description = 'x')")

    run(client, f"ALTER TABLE IF EXISTS {ds}.nowhere SET OPTIONS (description = 'x')")


def test_information_schema_columns_and_tables(client: bigquery.Client, ds: str) -> None:
    run(client, TABLE_DDL.format(ds=ds))

    columns = run(
        client,
        f"""SELECT column_name, data_type, is_nullable, is_partitioning_column,
          clustering_ordinal_position
        FROM {ds}.INFORMATION_SCHEMA.COLUMNS WHERE table_name = 'events'
        ORDER BY ordinal_position""",
    )
    tables = run(client, f"SELECT table_name, table_type FROM {ds}.INFORMATION_SCHEMA.TABLES")

    assert [tuple(c.values()) for c in columns] == [
        ("id", "INT64", "NO", "NO", 2),
        ("ts", "TIMESTAMP", "YES", "YES", None),
        ("kind", "STRING", "YES", "NO", 1),
        ("n", "INT64", "YES", "NO", None),
    ]
    assert tables == [{"table_name": "events", "table_type": "BASE TABLE"}]


ROUTINES_DDL = """
CREATE FUNCTION {ds}.add_one(x INT64, label STRING) RETURNS INT64 AS (x + 1);
CREATE TABLE FUNCTION {ds}.upto(n INT64) AS (SELECT v FROM UNNEST(GENERATE_ARRAY(1, n)) AS v);
CREATE PROCEDURE {ds}.fill(IN a INT64, OUT b STRING) BEGIN SET b = 'x'; END;
"""


def test_information_schema_routines(client: bigquery.Client, ds: str) -> None:
    run(client, ROUTINES_DDL.format(ds=ds))

    rows = run(
        client,
        f"""SELECT routine_name, routine_type, data_type, routine_body, routine_definition
        FROM `{PROJECT}.{ds}`.INFORMATION_SCHEMA.ROUTINES ORDER BY routine_name""",
    )

    assert [tuple(r.values()) for r in rows] == [
        ("add_one", "FUNCTION", "INT64", "SQL", "x + 1"),
        ("fill", "PROCEDURE", None, "SQL", "SET b = 'x';"),
        ("upto", "TABLE FUNCTION", None, "SQL", "SELECT v FROM UNNEST(GENERATE_ARRAY(1, n)) AS v"),
    ]


def test_information_schema_parameters(client: bigquery.Client, ds: str) -> None:
    run(client, ROUTINES_DDL.format(ds=ds))

    rows = run(
        client,
        f"""SELECT specific_name, ordinal_position, parameter_mode, is_result, parameter_name,
          data_type
        FROM {ds}.INFORMATION_SCHEMA.PARAMETERS ORDER BY specific_name, ordinal_position""",
    )

    assert [tuple(r.values()) for r in rows] == [
        ("add_one", 0, None, "YES", None, "INT64"),
        ("add_one", 1, "IN", "NO", "x", "INT64"),
        ("add_one", 2, "IN", "NO", "label", "STRING"),
        ("fill", 1, "IN", "NO", "a", "INT64"),
        ("fill", 2, "OUT", "NO", "b", "STRING"),
        ("upto", 1, "IN", "NO", "n", "INT64"),
    ]


def test_get_routine_returns_arguments_and_body(client: bigquery.Client, ds: str) -> None:
    run(client, ROUTINES_DDL.format(ds=ds))

    function = client.get_routine(f"{PROJECT}.{ds}.add_one")
    procedure = client.get_routine(f"{PROJECT}.{ds}.fill")

    assert (function.type_, function.body) == ("SCALAR_FUNCTION", "x + 1")
    assert [(a.name, a.data_type.type_kind.name) for a in function.arguments] == [
        ("x", "INT64"),
        ("label", "STRING"),
    ]
    assert (procedure.type_, procedure.body) == ("PROCEDURE", "SET b = 'x';")
    assert [a.mode for a in procedure.arguments] == ["IN", "OUT"]


def test_temp_tables_end_with_their_script(client: bigquery.Client, ds: str) -> None:
    run(
        client,
        f"CREATE PROCEDURE {ds}.stage() BEGIN CREATE TEMP TABLE staged AS SELECT 1 AS a; END",
    )

    first = one(client, "CREATE TEMP TABLE scratch AS SELECT 1 AS a; SELECT a FROM scratch;")
    second = one(client, "CREATE TEMP TABLE scratch AS SELECT 2 AS a; SELECT a FROM scratch;")
    run(client, f"CALL {ds}.stage()")
    run(client, f"CALL {ds}.stage()")

    assert (first, second) == ({"a": 1}, {"a": 2})
    with pytest.raises(exceptions.NotFound):
        run(client, "SELECT a FROM scratch")


@pytest.mark.parametrize(
    ("sql", "statement_type"),
    [
        ("INSERT INTO {ds}.t VALUES (1); INSERT INTO {ds}.t VALUES (2);", "SCRIPT"),
        ("INSERT INTO {ds}.t VALUES (3)", "INSERT"),
        ("CREATE PROCEDURE {ds}.p() BEGIN INSERT INTO {ds}.t VALUES (4); END", "CREATE_PROCEDURE"),
        ("CREATE FUNCTION {ds}.f(x INT64) AS (x)", "CREATE_FUNCTION"),
        ("BEGIN INSERT INTO {ds}.t VALUES (5); END", "SCRIPT"),
    ],
)
def test_dry_run_changes_nothing(
    client: bigquery.Client, ds: str, sql: str, statement_type: str
) -> None:
    run(client, f"CREATE TABLE {ds}.t (id INT64)")
    config = bigquery.QueryJobConfig(dry_run=True)

    job = client.query(sql.format(ds=ds), job_config=config, retry=None, job_retry=None)  # type: ignore[arg-type]

    assert job.statement_type == statement_type
    assert one(client, f"SELECT COUNT(*) AS n FROM {ds}.t") == {"n": 0}
    assert run(client, f"SELECT routine_name FROM {ds}.INFORMATION_SCHEMA.ROUTINES") == []


def test_dry_run_reports_errors(client: bigquery.Client, ds: str) -> None:
    run(client, f"CREATE TABLE {ds}.t (id INT64)")
    config = bigquery.QueryJobConfig(dry_run=True)

    for sql in (f"SELECT nope FROM {ds}.t", "BEGIN SELECT 1; END IF"):
        with pytest.raises(exceptions.BadRequest):
            client.query(sql, job_config=config, retry=None, job_retry=None)  # type: ignore[arg-type]


def test_routines_with_if_not_exists_and_options(client: bigquery.Client, ds: str) -> None:
    run(
        client,
        f"""CREATE FUNCTION IF NOT EXISTS {ds}.f(x INT64) RETURNS INT64 AS (x + 1)
          OPTIONS (description = 'adds one');
        CREATE FUNCTION IF NOT EXISTS {ds}.f(x INT64) RETURNS INT64 AS (x + 2);
        CREATE PROCEDURE IF NOT EXISTS {ds}.p(x INT64) OPTIONS (description = 'echo')
        BEGIN
          CREATE TEMP TABLE t OPTIONS (description = 'kept in the body') AS SELECT x AS v;
          SELECT v FROM t;
        END;
        CREATE PROCEDURE IF NOT EXISTS {ds}.p(x INT64) BEGIN SELECT 0 AS v; END;""",
    )

    assert one(client, f"SELECT {ds}.f(1) AS v") == {"v": 2}
    assert one(client, f"CALL {ds}.p(7)") == {"v": 7}


def test_routine_drops_inside_a_script(client: bigquery.Client, ds: str) -> None:
    run(client, ROUTINES_DDL.format(ds=ds))

    run(
        client,
        f"""DROP FUNCTION {ds}.add_one;
        DROP TABLE FUNCTION IF EXISTS {ds}.upto;
        DROP PROCEDURE IF EXISTS `{PROJECT}.{ds}.fill`;
        DROP PROCEDURE IF EXISTS {ds}.never_created;""",
    )

    assert run(client, f"SELECT routine_name FROM {ds}.INFORMATION_SCHEMA.ROUTINES") == []
    with pytest.raises(exceptions.NotFound):
        run(client, f"SELECT 1; DROP FUNCTION {ds}.add_one;")


def test_current_datetime_and_time_take_a_zone(client: bigquery.Client) -> None:
    row = one(
        client,
        """SELECT
          CURRENT_DATETIME('America/Los_Angeles') AS la_now,
          CURRENT_DATETIME() AS utc_now,
          CURRENT_TIME('America/Los_Angeles') AS la_time,
          CURRENT_TIMESTAMP() AS now""",
    )
    la = row["now"].astimezone(ZoneInfo("America/Los_Angeles")).replace(tzinfo=None)
    utc = row["now"].replace(tzinfo=None)
    assert abs((row["la_now"] - la).total_seconds()) < 5
    assert abs((row["utc_now"] - utc).total_seconds()) < 5
    assert row["la_time"].hour == la.hour


def test_information_schema_columns_report_defaults(client: bigquery.Client, ds: str) -> None:
    run(
        client,
        f"CREATE TABLE `{ds}.with_defaults` (a INT64 DEFAULT 1, b STRING, "
        "c TIMESTAMP DEFAULT CURRENT_TIMESTAMP())",
    )
    rows = run(
        client,
        f"SELECT column_name, column_default FROM `{ds}`.INFORMATION_SCHEMA.COLUMNS "
        "WHERE table_name = 'with_defaults' ORDER BY ordinal_position",
    )
    assert [(row["column_name"], row["column_default"]) for row in rows] == [
        ("a", "1"),
        ("b", None),
        ("c", "CURRENT_TIMESTAMP()"),
    ]


def test_format_prints_any_value_with_t(client: bigquery.Client) -> None:
    row = one(
        client,
        "SELECT FORMAT('%t, %t / %d%%', DATE '2024-12-31', 21, 7) AS text, "
        "FORMAT('%s-%t', 'a', TRUE) AS mixed",
    )
    assert row == {"text": "2024-12-31, 21 / 7%", "mixed": "a-true"}


def test_create_if_not_exists_keeps_an_existing_table_as_it_is(
    client: bigquery.Client, ds: str
) -> None:
    ddl = (
        f"CREATE TABLE IF NOT EXISTS `{ds}.kept` (a INT64, ts TIMESTAMP)\n"
        "PARTITION BY DATE(ts) CLUSTER BY a OPTIONS (description = 'first')"
    )
    run(client, ddl)
    run(client, ddl.replace("'first'", "'second'"))

    table = client.get_table(f"{ds}.kept")
    assert table.time_partitioning is not None and table.time_partitioning.field == "ts"
    assert table.clustering_fields == ["a"]
    assert table.description == "first"


def test_target_columns_named_like_parameters_stay_columns(
    client: bigquery.Client, ds: str
) -> None:
    run(client, f"CREATE TABLE `{ds}.pages` (page_name STRING, hits INT64)")
    run(
        client,
        f"""CREATE PROCEDURE `{ds}.touch`(page_name STRING)
BEGIN
  MERGE `{ds}.pages` AS t
  USING (SELECT page_name AS p) AS s
  ON t.page_name = s.p
  WHEN MATCHED THEN UPDATE SET hits = t.hits + 1
  WHEN NOT MATCHED THEN INSERT (page_name, hits) VALUES (s.p, 1);
  UPDATE `{ds}.pages` AS u SET page_name = UPPER(u.page_name) WHERE u.page_name = 'b';
END""",
    )
    run(client, f"CALL `{ds}.touch`('a')")
    run(client, f"CALL `{ds}.touch`('a')")
    run(client, f"CALL `{ds}.touch`('b')")

    rows = run(client, f"SELECT page_name, hits FROM `{ds}.pages` ORDER BY page_name")
    assert rows == [{"page_name": "B", "hits": 1}, {"page_name": "a", "hits": 2}]
