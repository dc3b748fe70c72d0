"""Splitting and parsing BigQuery scripts: statements, nesting, positions, errors, findings."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from sqlglot import exp

from eros_migrate.errors import ScriptSyntaxError
from eros_migrate.script import (
    Statement,
    iter_statements,
    parse_script,
    split_statements,
)

FIXTURES = Path(__file__).parent / "fixtures" / "script"


def shape(statements: list[Statement]) -> list[tuple[str, str, int, int]]:
    return [(s.kind, s.text, s.line, s.column) for s in statements]


# Top-level splitting: kind, exact text, line, column ---------------------------------------------

SPLIT_CASES = {
    "two selects": (
        "SELECT 1;\nSELECT 2;",
        [("sql", "SELECT 1", 1, 1), ("sql", "SELECT 2", 2, 1)],
    ),
    "missing final semicolon": (
        "SELECT 1;\n  SELECT 2\n",
        [("sql", "SELECT 1", 1, 1), ("sql", "SELECT 2", 2, 3)],
    ),
    "empty statements": (
        ";;SELECT 1;;; ;\nSELECT 2;;",
        [("sql", "SELECT 1", 1, 3), ("sql", "SELECT 2", 2, 1)],
    ),
    "only comments": ("-- a\n# b\n/* c; d */\n", []),
    "empty text": ("", []),
    "leading comment is not part of the statement": (
        "-- first; not a statement\n/* ; */ SELECT 1 -- trailing;\n;",
        [("sql", "SELECT 1", 2, 9)],
    ),
    "semicolons in strings": (
        "SELECT ';', \";\", '''a;\n;''', \"\"\"b;\"\"\", r'c;', b\";\", rb'\\';', BR\"x\";"
        "\nSELECT 2",
        [
            (
                "sql",
                "SELECT ';', \";\", '''a;\n;''', \"\"\"b;\"\"\", r'c;', b\";\", rb'\\';', BR\"x\"",
                1,
                1,
            ),
            ("sql", "SELECT 2", 3, 1),
        ],
    ),
    "escaped quotes": (
        'SELECT \'it\\\'s; fine\', "say \\"hi;\\"";SELECT 3',
        [("sql", 'SELECT \'it\\\'s; fine\', "say \\"hi;\\""', 1, 1), ("sql", "SELECT 3", 1, 37)],
    ),
    "raw string keeps backslash-quote inside": (
        "SELECT r'a\\';b';SELECT 4",
        [("sql", "SELECT r'a\\';b'", 1, 1), ("sql", "SELECT 4", 1, 17)],
    ),
    "triple quotes hold single quotes": (
        "SELECT '''it's; ''ok'' ''';SELECT 5",
        [("sql", "SELECT '''it's; ''ok'' '''", 1, 1), ("sql", "SELECT 5", 1, 28)],
    ),
    "semicolons and keywords in comments": (
        "SELECT 1 -- END; BEGIN\n, 2 # IF;\n/* END IF; */ FROM t;",
        [("sql", "SELECT 1 -- END; BEGIN\n, 2 # IF;\n/* END IF; */ FROM t", 1, 1)],
    ),
    "backtick names": (
        "SELECT `a;b`, t.`end`, `begin` FROM `p.d.t`;",
        [("sql", "SELECT `a;b`, t.`end`, `begin` FROM `p.d.t`", 1, 1)],
    ),
    "keywords as names after a dot and inside words": (
        "SELECT t.end, t.begin, t.case, weekend, end_date, begin_ts FROM t;",
        [("sql", "SELECT t.end, t.begin, t.case, weekend, end_date, begin_ts FROM t", 1, 1)],
    ),
    "case expression END is not a block end": (
        "SELECT CASE WHEN a THEN 1 ELSE 2 END, CASE b WHEN 1 THEN 'x' END FROM t;",
        [("sql", "SELECT CASE WHEN a THEN 1 ELSE 2 END, CASE b WHEN 1 THEN 'x' END FROM t", 1, 1)],
    ),
    "dml and ddl": (
        "INSERT INTO t (a) VALUES (1);\n"
        "UPDATE t SET a = 2 WHERE TRUE;\n"
        "DELETE FROM t WHERE a = 1;\n"
        "MERGE t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a;\n"
        "TRUNCATE TABLE t;\n"
        "CREATE TABLE IF NOT EXISTS d.t (a INT64);\n"
        "ALTER TABLE d.t ADD COLUMN b STRING;\n"
        "DROP VIEW d.v;",
        [
            ("sql", "INSERT INTO t (a) VALUES (1)", 1, 1),
            ("sql", "UPDATE t SET a = 2 WHERE TRUE", 2, 1),
            ("sql", "DELETE FROM t WHERE a = 1", 3, 1),
            ("sql", "MERGE t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a", 4, 1),
            ("sql", "TRUNCATE TABLE t", 5, 1),
            ("sql", "CREATE TABLE IF NOT EXISTS d.t (a INT64)", 6, 1),
            ("sql", "ALTER TABLE d.t ADD COLUMN b STRING", 7, 1),
            ("sql", "DROP VIEW d.v", 8, 1),
        ],
    ),
    "functions with SQL, JavaScript and raw bodies": (
        "CREATE TEMP FUNCTION f(x INT64) AS (CASE WHEN x > 0 THEN x END);\n"
        'CREATE FUNCTION d.g(x STRING) RETURNS STRING LANGUAGE js AS """\n'
        "  return x + ';'; // END;\n"
        '""";\n'
        "CREATE FUNCTION d.h() RETURNS STRING LANGUAGE js AS r'''return \"\\d;\";''';\n"
        "CREATE TABLE FUNCTION d.tf(n INT64) AS SELECT n;",
        [
            ("sql", "CREATE TEMP FUNCTION f(x INT64) AS (CASE WHEN x > 0 THEN x END)", 1, 1),
            (
                "sql",
                'CREATE FUNCTION d.g(x STRING) RETURNS STRING LANGUAGE js AS """\n'
                "  return x + ';'; // END;\n"
                '"""',
                2,
                1,
            ),
            (
                "sql",
                "CREATE FUNCTION d.h() RETURNS STRING LANGUAGE js AS r'''return \"\\d;\";'''",
                5,
                1,
            ),
            ("sql", "CREATE TABLE FUNCTION d.tf(n INT64) AS SELECT n", 6, 1),
        ],
    ),
    "scripting one-liners": (
        "DECLARE x INT64 DEFAULT 1;\n"
        "SET x = x + 1;\n"
        "CALL d.p(x);\n"
        "RAISE USING MESSAGE = 'bad';\n"
        "RETURN;\n"
        "EXECUTE IMMEDIATE 'SELECT 1';\n"
        "ASSERT x > 0 AS 'positive';\n"
        "EXPORT DATA OPTIONS (uri = 'gs://b/*.csv', format = 'CSV') AS SELECT 1",
        [
            ("declare", "DECLARE x INT64 DEFAULT 1", 1, 1),
            ("set", "SET x = x + 1", 2, 1),
            ("call", "CALL d.p(x)", 3, 1),
            ("raise", "RAISE USING MESSAGE = 'bad'", 4, 1),
            ("return", "RETURN", 5, 1),
            ("execute_immediate", "EXECUTE IMMEDIATE 'SELECT 1'", 6, 1),
            ("assert", "ASSERT x > 0 AS 'positive'", 7, 1),
            (
                "export",
                "EXPORT DATA OPTIONS (uri = 'gs://b/*.csv', format = 'CSV') AS SELECT 1",
                8,
                1,
            ),
        ],
    ),
    "transactions": (
        "BEGIN TRANSACTION;\nBEGIN;\nCOMMIT TRANSACTION;\nROLLBACK;\nCOMMIT\n",
        [
            ("transaction", "BEGIN TRANSACTION", 1, 1),
            ("transaction", "BEGIN", 2, 1),
            ("transaction", "COMMIT TRANSACTION", 3, 1),
            ("transaction", "ROLLBACK", 4, 1),
            ("transaction", "COMMIT", 5, 1),
        ],
    ),
    "block": (
        "BEGIN\n  SELECT 1;\nEND;",
        [("block", "BEGIN\n  SELECT 1;\nEND", 1, 1)],
    ),
    "if": (
        "IF x THEN SELECT 1; ELSEIF y THEN SELECT 2; ELSE SELECT 3; END IF;",
        [("if", "IF x THEN SELECT 1; ELSEIF y THEN SELECT 2; ELSE SELECT 3; END IF", 1, 1)],
    ),
    "loops": (
        "WHILE x < 3 DO SET x = x + 1; END WHILE;\n"
        "LOOP BREAK; END LOOP;\n"
        "REPEAT SET x = x - 1; UNTIL x <= 0 END REPEAT;\n"
        "FOR r IN (SELECT 1 AS v) DO SELECT r.v; END FOR;",
        [
            ("while", "WHILE x < 3 DO SET x = x + 1; END WHILE", 1, 1),
            ("loop", "LOOP BREAK; END LOOP", 2, 1),
            ("repeat", "REPEAT SET x = x - 1; UNTIL x <= 0 END REPEAT", 3, 1),
            ("for", "FOR r IN (SELECT 1 AS v) DO SELECT r.v; END FOR", 4, 1),
        ],
    ),
    "labelled loop": (
        "outer: LOOP\n  LEAVE outer;\nEND LOOP outer;",
        [("loop", "outer: LOOP\n  LEAVE outer;\nEND LOOP outer", 1, 1)],
    ),
    "procedural case": (
        "CASE x WHEN 1 THEN SELECT 1; ELSE SELECT 2; END CASE;",
        [("case", "CASE x WHEN 1 THEN SELECT 1; ELSE SELECT 2; END CASE", 1, 1)],
    ),
    "procedure": (
        "CREATE OR REPLACE TEMP PROCEDURE d.p(IN a INT64)\nBEGIN\n  SELECT a;\nEND;\nCALL d.p(1);",
        [
            (
                "create_procedure",
                "CREATE OR REPLACE TEMP PROCEDURE d.p(IN a INT64)\nBEGIN\n  SELECT a;\nEND",
                1,
                1,
            ),
            ("call", "CALL d.p(1)", 5, 1),
        ],
    ),
    "keyword-named columns in scripting": (
        "SELECT loop, repeat, begin, declare FROM t;",
        [("sql", "SELECT loop, repeat, begin, declare FROM t", 1, 1)],
    ),
}


@pytest.mark.parametrize("text, expected", SPLIT_CASES.values(), ids=SPLIT_CASES.keys())
def test_split(text: str, expected: list[tuple[str, str, int, int]]) -> None:
    assert shape(split_statements(text)) == expected


def test_end_line_and_exact_slices() -> None:
    text = "SELECT 1,\n  2\nFROM t;\nIF x THEN\n  SELECT 3;\nEND IF"
    first, second = split_statements(text)

    assert (first.line, first.end_line) == (1, 3)
    assert (second.line, second.end_line) == (4, 6)
    assert second.text == text[text.index("IF") :]


# Nesting ------------------------------------------------------------------------------------------


def test_if_branches() -> None:
    text = (
        "IF a = 1 THEN\n"
        "  SELECT 1;\n"
        "ELSEIF a = 2 THEN\n"
        "  SELECT 2;\n"
        "  SELECT 22;\n"
        "ELSE\n"
        "  SELECT 3;\n"
        "END IF;"
    )
    (statement,) = split_statements(text)

    assert shape(statement.body) == [("sql", "SELECT 1", 2, 3)]
    assert [(b.kind, b.line, b.column) for b in statement.branches] == [
        ("elseif", 3, 1),
        ("else", 6, 1),
    ]
    assert statement.branches[0].condition is not None
    assert statement.branches[0].condition.text == "a = 2"
    assert shape(statement.branches[0].body) == [
        ("sql", "SELECT 2", 4, 3),
        ("sql", "SELECT 22", 5, 3),
    ]
    assert statement.branches[1].condition is None
    assert shape(statement.branches[1].body) == [("sql", "SELECT 3", 7, 3)]
    assert [(f.role, f.text, f.line, f.column) for f in statement.fragments] == [
        ("condition", "a = 1", 1, 4),
        ("condition", "a = 2", 3, 8),
    ]


def test_condition_with_case_expression_and_keywords_as_names() -> None:
    text = "IF CASE WHEN t.then THEN 1 END = 1 AND `end` > 0 THEN SELECT 1; END IF;"
    (statement,) = split_statements(text)

    assert statement.fragments[0].text == "CASE WHEN t.then THEN 1 END = 1 AND `end` > 0"
    assert shape(statement.body) == [("sql", "SELECT 1", 1, 55)]


def test_block_with_exception_handler() -> None:
    text = (
        "BEGIN\n  SELECT 1;\nEXCEPTION WHEN ERROR THEN\n  SELECT @@error.message;\n  RAISE;\nEND;"
    )
    (block,) = split_statements(text)

    assert block.kind == "block"
    assert shape(block.body) == [("sql", "SELECT 1", 2, 3)]
    assert shape(block.handler) == [
        ("sql", "SELECT @@error.message", 4, 3),
        ("raise", "RAISE", 5, 3),
    ]


def test_procedural_case_branches() -> None:
    text = (
        "CASE\n"
        "  WHEN x > CASE y WHEN 1 THEN 1 END THEN SELECT 'a';\n"
        "  WHEN x < 0 THEN SELECT 'b';\n"
        "  ELSE SELECT 'c';\n"
        "END CASE;"
    )
    (statement,) = split_statements(text)

    assert statement.kind == "case"
    assert shape(statement.body) == [("sql", "SELECT 'a'", 2, 42)]
    assert [(b.kind, b.line) for b in statement.branches] == [("when", 3), ("else", 4)]
    assert [f.text for f in statement.fragments] == ["x > CASE y WHEN 1 THEN 1 END", "x < 0"]


def test_simple_case_operand() -> None:
    (statement,) = split_statements("CASE v WHEN 1 THEN SELECT 1; END CASE")

    assert [(f.role, f.text) for f in statement.fragments] == [("operand", "v"), ("value", "1")]


def test_loops_labels_and_jumps() -> None:
    text = (
        "outer: WHILE TRUE DO\n"
        "  inner: LOOP\n"
        "    ITERATE outer;\n"
        "    LEAVE inner;\n"
        "    BREAK;\n"
        "    CONTINUE;\n"
        "  END LOOP inner;\n"
        "END WHILE;"
    )
    (outer,) = split_statements(text)

    assert (outer.kind, outer.label) == ("while", "outer")
    (inner,) = outer.body
    assert (inner.kind, inner.label, inner.line, inner.column) == ("loop", "inner", 2, 3)
    assert [(s.kind, s.label) for s in inner.body] == [
        ("continue", "outer"),
        ("break", "inner"),
        ("break", None),
        ("continue", None),
    ]


def test_for_and_repeat_fragments() -> None:
    text = (
        "FOR row IN (SELECT a FROM t WHERE b IN (1, 2)) DO SELECT row.a; END FOR;\n"
        "REPEAT SET i = i + 1; UNTIL i >= (SELECT COUNT(*) FROM t) END REPEAT;"
    )
    loop, repeat = split_statements(text)

    assert loop.names == ["row"]
    assert [(f.role, f.text, f.column) for f in loop.fragments] == [
        ("query", "SELECT a FROM t WHERE b IN (1, 2)", 13)
    ]
    assert [(f.role, f.text) for f in repeat.fragments] == [
        ("condition", "i >= (SELECT COUNT(*) FROM t)")
    ]


def test_procedure_header_and_body() -> None:
    text = (
        "CREATE PROCEDURE IF NOT EXISTS `p.d.load`(\n"
        "  IN day DATE, OUT total INT64, INOUT tags ARRAY<STRUCT<k STRING, v STRING>>, n INT64)\n"
        "OPTIONS (strict_mode = FALSE)\n"
        "BEGIN\n"
        "  SELECT day;\n"
        "EXCEPTION WHEN ERROR THEN\n"
        "  SELECT 2;\n"
        "END"
    )
    (procedure,) = split_statements(text)

    assert procedure.kind == "create_procedure"
    assert procedure.name == "`p.d.load`"
    assert [(f.name, f.mode, f.text, f.line, f.column) for f in procedure.fragments] == [
        ("day", "IN", "DATE", 2, 10),
        ("total", "OUT", "INT64", 2, 26),
        ("tags", "INOUT", "ARRAY<STRUCT<k STRING, v STRING>>", 2, 44),
        ("n", None, "INT64", 2, 81),
    ]
    assert shape(procedure.body) == [("sql", "SELECT day", 5, 3)]
    assert shape(procedure.handler) == [("sql", "SELECT 2", 7, 3)]


def test_procedure_with_string_body_has_no_statements() -> None:
    text = (
        "CREATE PROCEDURE d.spark(x INT64) WITH CONNECTION `p.us.c`\n"
        "OPTIONS (engine = 'SPARK') LANGUAGE PYTHON AS r'''\nprint('BEGIN; END;')\n''';\n"
        "SELECT 1;"
    )
    procedure, select = split_statements(text)

    assert (procedure.kind, procedure.name, procedure.body) == ("create_procedure", "d.spark", [])
    assert procedure.end_line == 4
    assert (select.line, select.column) == (5, 1)


def test_iter_statements_is_depth_first_and_reaches_everything() -> None:
    text = (
        "IF a THEN SELECT 1; ELSE BEGIN SELECT 2; EXCEPTION WHEN ERROR THEN SELECT 3; END; END IF;"
        "CASE WHEN b THEN SELECT 4; ELSE SELECT 5; END CASE;"
        "CREATE PROCEDURE p() BEGIN WHILE c DO SELECT 6; END WHILE; END;"
    )
    statements = split_statements(text)

    assert [(s.kind, s.text if s.kind == "sql" else "") for s in iter_statements(statements)] == [
        ("if", ""),
        ("sql", "SELECT 1"),
        ("block", ""),
        ("sql", "SELECT 2"),
        ("sql", "SELECT 3"),
        ("case", ""),
        ("sql", "SELECT 4"),
        ("sql", "SELECT 5"),
        ("create_procedure", ""),
        ("while", ""),
        ("sql", "SELECT 6"),
    ]


# Structure errors ---------------------------------------------------------------------------------

ERROR_CASES = {
    "unterminated single-quoted string": ("SELECT 1;\nSELECT 'abc;\nSELECT 2;", 2, 8, "string '"),
    "single-quoted string cannot span lines": ("SELECT 'a\nb';", 1, 8, "string '"),
    "unterminated double-quoted string": ('SELECT "abc', 1, 8, 'string "'),
    "unterminated triple-quoted string": ('SELECT 1;\n  SELECT """abc;\n\n', 2, 10, 'string """'),
    "unterminated triple single quotes": ("SELECT '''abc';", 1, 8, "string '''"),
    "unterminated raw string": ("SELECT r'abc\\';", 1, 8, "string '"),
    "unterminated backtick name": ("SELECT `abc FROM t;", 1, 8, "identifier `"),
    "unterminated block comment": ("SELECT 1; /* x;\nSELECT 2;", 1, 11, "comment /*"),
    "BEGIN without END": ("SELECT 1;\nBEGIN\n  SELECT 1;\n", 2, 1, "BEGIN block is never closed"),
    "IF without END IF": ("IF x THEN\n  SELECT 1;\n", 1, 1, "IF is never closed by END IF"),
    "IF closed by END": ("IF x THEN SELECT 1; END;", 1, 1, "END IF"),
    "IF without THEN": ("IF x SELECT 1; END IF;", 1, 1, "missing THEN"),
    "CASE in procedure without END CASE": (
        "CREATE PROCEDURE d.p()\nBEGIN\n  CASE WHEN x THEN SELECT 1;\n  END;\nEND;",
        3,
        3,
        "CASE is never closed by END CASE",
    ),
    "WHILE without DO": ("WHILE x < 1 SET x = 1; END WHILE;", 1, 1, "missing DO"),
    "LOOP closed by END": ("LOOP SELECT 1; END;", 1, 1, "END LOOP"),
    "REPEAT without UNTIL": ("REPEAT SELECT 1; END REPEAT;", 1, 1, "UNTIL"),
    "BEGIN closed by END IF": (
        "IF x THEN\n  BEGIN\n    SELECT 1;\nEND IF;",
        2,
        3,
        "BEGIN block is never closed",
    ),
    "procedure body without END": (
        "CREATE PROCEDURE d.p()\nBEGIN\n  SELECT 1;\n",
        2,
        1,
        "body of procedure d.p",
    ),
    "stray END": ("SELECT 1;\nEND;", 2, 1, "END"),
    "stray END IF": ("SELECT 1;\n  END IF;", 2, 3, "does not close anything"),
    "stray ELSE": ("ELSE SELECT 1;", 1, 1, "does not close anything"),
    "missing semicolon before END": ("BEGIN SELECT 1 END;", 1, 16, "expected ';' before END"),
    "missing semicolon after END IF": (
        "IF x THEN SELECT 1; END IF SELECT 2;",
        1,
        28,
        "expected ';'",
    ),
    "mismatched end label": ("a: LOOP BREAK; END LOOP b;", 1, 25, "label 'b'"),
    "label before a non-loop": ("a: SELECT 1;", 1, 4, "label 'a'"),
    "bad exception clause": (
        "BEGIN SELECT 1; EXCEPTION WHEN OTHERS THEN SELECT 2; END;",
        1,
        32,
        "expected ERROR",
    ),
    "procedure without parameter list": ("CREATE PROCEDURE d.p BEGIN END;", 1, 22, "'('"),
}


@pytest.mark.parametrize(
    "text, line, column, message", ERROR_CASES.values(), ids=ERROR_CASES.keys()
)
def test_structure_errors(text: str, line: int, column: int, message: str) -> None:
    with pytest.raises(ScriptSyntaxError) as caught:
        split_statements(text, file="migrations/0001_x.up.sql")

    error = caught.value
    assert (error.file, error.line, error.column) == ("migrations/0001_x.up.sql", line, column)
    assert message in error.message
    assert error.hint


def test_parse_script_raises_for_unsplittable_text() -> None:
    with pytest.raises(ScriptSyntaxError):
        parse_script("BEGIN SELECT 1;", file="a.sql")


# Parsing with sqlglot -----------------------------------------------------------------------------


def test_fixture_procedure_parses_completely() -> None:
    parsed = parse_script((FIXTURES / "refresh_orders.sql").read_text(), "refresh_orders.sql")

    assert parsed.findings == []
    assert [s.kind for s in parsed.statements] == ["create_procedure", "block"]
    procedure = parsed.statements[0]
    assert procedure.name == "`proj.sales.refresh_orders`"
    assert [(f.name, f.mode) for f in procedure.fragments] == [
        ("run_date", "IN"),
        ("max_batches", "IN"),
        ("rows_merged", "OUT"),
    ]
    assert all(isinstance(p, exp.DataType) for p in procedure.parts)

    kinds = [(s.kind, s.line) for s in iter_statements(parsed.statements)]
    assert kinds == [
        ("create_procedure", 2),
        ("declare", 8),
        ("declare", 9),
        ("declare", 10),
        ("declare", 11),
        ("sql", 13),
        ("sql", 19),
        ("set", 30),
        ("sql", 32),
        ("if", 37),
        ("set", 38),
        ("set", 40),
        ("call", 41),
        ("set", 43),
        ("while", 46),
        ("set", 47),
        ("block", 48),
        ("sql", 49),
        ("sql", 52),
        ("raise", 54),
        ("for", 58),
        ("call", 59),
        ("if", 62),
        ("return", 63),
        ("loop", 66),
        ("case", 67),
        ("set", 68),
        ("break", 69),
        ("sql", 73),
        ("block", 78),
        ("declare", 79),
        ("call", 80),
        ("sql", 81),
    ]

    nested = list(iter_statements(procedure.body))
    sql = [s for s in nested if s.kind == "sql"]
    assert [type(s.expression) for s in sql] == [
        exp.Create,
        exp.Merge,
        exp.Update,
        exp.Delete,
        exp.Insert,
        exp.Insert,
    ]
    assert all(s.parts for s in nested if s.kind in ("declare", "set", "if", "while", "call"))
    assert all(s.expression is None for s in nested if s.kind != "sql")


def test_fixture_findings_match_their_expectations() -> None:
    sql = FIXTURES / "bad_statements.sql"
    expected = sql.with_suffix(".findings").read_text().split("\n")

    parsed = parse_script(sql.read_text(), sql.name)

    assert [f"{f.line}:{f.column} {f.rule}" for f in parsed.findings] == [
        line for line in expected if line
    ]
    assert all(f.file == "bad_statements.sql" and f.severity == "error" for f in parsed.findings)


def test_parts_of_scripting_statements() -> None:
    text = (
        "DECLARE x, y ARRAY<INT64> DEFAULT [1, 2];\n"
        "SET (a, b) = (SELECT AS STRUCT 1, 2);\n"
        "CALL `p.d.proc`(x, 'y');\n"
        "RAISE USING MESSAGE = FORMAT('%d', 1);\n"
        "ASSERT (SELECT COUNT(*) FROM t) > 0 AS 'not empty';\n"
        "EXECUTE IMMEDIATE 'SELECT @a' INTO v USING 1 AS a;\n"
        "EXECUTE IMMEDIATE CONCAT('SELECT ', 1);\n"
        "RETURN;"
    )
    parsed = parse_script(text)

    assert parsed.findings == []
    declare, set_, call, raise_, assert_, immediate, dynamic, return_ = parsed.statements
    assert declare.names == ["x", "y"]
    assert [type(p) for p in declare.parts] == [exp.DataType, exp.Array]
    assert set_.names == ["a", "b"]
    assert [type(p) for p in set_.parts] == [exp.Subquery]
    assert call.name == "`p.d.proc`"
    assert [type(p) for p in call.parts] == [exp.Anonymous]
    assert [type(p) for p in raise_.parts] == [exp.Format]
    assert [type(p) for p in assert_.parts] == [exp.GT, exp.Literal]
    assert immediate.names == ["v"]
    assert [type(p) for p in immediate.parts] == [exp.Select, exp.Select]
    assert [type(p) for p in dynamic.parts] == [exp.Concat]
    assert return_.parts == []


FINDING_CASES = {
    "misspelled keyword": ("SELECT 1;\n  SELEC 1;", "parse-error", 2, 9, "'1'"),
    "missing table": ("SELECT 1;\nSELECT FROM WHERE;", "parse-error", 2, 13, "'WHERE'"),
    "error on a later line of a statement": (
        "SELECT a,\n  b\nFROM t WHERE;",
        "parse-error",
        3,
        8,
        "Where",
    ),
    "command fallback": (
        "CREATE SNAPSHOT TABLE d.s CLONE d.t;",
        "unparsed-command",
        1,
        1,
        "CREATE",
    ),
    "command fallback inside a procedure": (
        "CREATE PROCEDURE d.p()\nBEGIN\n  IF TRUE THEN\n    DROP SEARCH INDEX i ON d.t;\n"
        "  END IF;\nEND;",
        "unparsed-command",
        4,
        5,
        "DROP",
    ),
    "bad IF condition": ("IF x > THEN SELECT 1; END IF;", "parse-error", 1, 6, "condition of IF"),
    "bad WHILE condition": (
        "WHILE (x > ) DO SELECT 1; END WHILE;",
        "parse-error",
        1,
        12,
        "condition of WHILE",
    ),
    "bad DECLARE type": ("DECLARE x INT65;", "parse-error", 1, 11, "type of DECLARE"),
    "DECLARE without type or default": ("DECLARE x;", "parse-error", 1, 10, "incomplete DECLARE"),
    "bad CALL arguments": ("CALL d.p(1 +);", "parse-error", 1, 13, "procedure call of CALL"),
    "RAISE without USING MESSAGE": ("RAISE 'x';", "parse-error", 1, 7, "RAISE [USING MESSAGE"),
    "SET without =": ("SET x 1;", "parse-error", 1, 5, "SET name = value"),
    "parameter without type": (
        "CREATE PROCEDURE d.p(IN a) BEGIN SELECT 1; END;",
        "parse-error",
        1,
        26,
        "parameter 'a' has no type",
    ),
    "bad parameter type": (
        "CREATE PROCEDURE d.p(\n  a INT64,\n  b STRUCT<>) BEGIN END;",
        "parse-error",
        3,
        11,
        "parameter 'b'",
    ),
    "bad FOR query": (
        "FOR r IN (SELEC 1) DO SELECT 1; END FOR;",
        "parse-error",
        1,
        17,
        "query of FOR",
    ),
    "bad statement inside EXECUTE IMMEDIATE": (
        "EXECUTE IMMEDIATE '''\nSELECT\n  FROM WHERE''';",
        "parse-error",
        3,
        8,
        "statement of EXECUTE IMMEDIATE",
    ),
    "extra words after RETURN": ("RETURN 1;", "parse-error", 1, 8, "RETURN"),
}


@pytest.mark.parametrize(
    "text, rule, line, column, words", FINDING_CASES.values(), ids=FINDING_CASES.keys()
)
def test_findings(text: str, rule: str, line: int, column: int, words: str) -> None:
    parsed = parse_script(text, file="m.sql")

    assert [(f.rule, f.severity, f.file, f.line, f.column) for f in parsed.findings] == [
        (rule, "error", "m.sql", line, column)
    ]
    assert words in parsed.findings[0].message


def test_sqlglot_fallback_warnings_do_not_reach_users(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="sqlglot")
    filters = list(logging.getLogger("sqlglot").filters)

    parsed = parse_script("CREATE SNAPSHOT TABLE d.s CLONE d.t;")

    assert [f.rule for f in parsed.findings] == ["unparsed-command"]
    assert not [r for r in caplog.records if "Command" in r.getMessage()]
    assert logging.getLogger("sqlglot").filters == filters


# Line endings and byte order mark -----------------------------------------------------------------


def test_crlf_line_endings() -> None:
    text = "SELECT 1;\r\nIF x THEN\r\n  SELECT 2;\r\nEND IF;\r\n  SELEC 3;\r\n"
    parsed = parse_script(text, "crlf.sql")

    assert shape(parsed.statements) == [
        ("sql", "SELECT 1", 1, 1),
        ("if", "IF x THEN\r\n  SELECT 2;\r\nEND IF", 2, 1),
        ("sql", "SELEC 3", 5, 3),
    ]
    assert shape(parsed.statements[1].body) == [("sql", "SELECT 2", 3, 3)]
    assert [(f.line, f.column) for f in parsed.findings] == [(5, 9)]


def test_byte_order_mark_is_ignored() -> None:
    parsed = parse_script("\ufeffSELECT 1; SELEC 2;", "bom.sql")

    assert shape(parsed.statements) == [("sql", "SELECT 1", 1, 1), ("sql", "SELEC 2", 1, 11)]
    assert [(f.line, f.column) for f in parsed.findings] == [(1, 17)]
    with pytest.raises(ScriptSyntaxError) as caught:
        split_statements("\ufeffSELECT 'a")
    assert (caught.value.line, caught.value.column) == (1, 8)


def test_splitting_is_fast() -> None:
    text = (FIXTURES / "refresh_orders.sql").read_text() * 50

    started = time.perf_counter()
    statements = split_statements(text)
    elapsed = time.perf_counter() - started

    assert len(statements) == 100
    assert elapsed < 1.0


def test_begin_forms() -> None:
    text = (
        "BEGIN END;\nBEGIN\n  BEGIN TRANSACTION;\n  COMMIT;\nEND;\nBEGIN;\nlbl: BEGIN END lbl;\n"
        "BEGIN"
    )
    statements = split_statements(text)

    assert [(s.kind, s.line, s.label) for s in statements] == [
        ("block", 1, None),
        ("block", 2, None),
        ("transaction", 6, None),
        ("block", 7, "lbl"),
        ("transaction", 8, None),
    ]
    assert [s.kind for s in statements[1].body] == ["transaction", "transaction"]


def test_columns_count_characters() -> None:
    (statement,) = split_statements("SELECT 'été', `naïve`; SELECT 1")[1:]

    assert (statement.line, statement.column) == (1, 24)


def test_statement_keeps_its_original_constructor() -> None:
    statement = Statement("sql", "SELECT 1", 1, 1, 1)

    assert (statement.expression, statement.parts, statement.body, statement.name) == (
        None,
        [],
        [],
        None,
    )


MORE_ERROR_CASES = {
    "ELSIF": ("IF a THEN SELECT 1;\nELSIF b THEN SELECT 2; END IF;", 2, 1, "ELSEIF"),
    "ELSE IF written as two words": (
        "IF a THEN SELECT 1; ELSE IF b THEN SELECT 2; END IF;",
        1,
        1,
        "ELSEIF as one word",
    ),
}


@pytest.mark.parametrize(
    "text, line, column, words", MORE_ERROR_CASES.values(), ids=MORE_ERROR_CASES.keys()
)
def test_error_hints(text: str, line: int, column: int, words: str) -> None:
    with pytest.raises(ScriptSyntaxError) as caught:
        split_statements(text)

    assert (caught.value.line, caught.value.column) == (line, column)
    assert words in str(caught.value)


def test_execute_immediate_with_escapes_points_at_the_string() -> None:
    parsed = parse_script("SELECT 1;\nEXECUTE IMMEDIATE 'SELEC \\'x\\'';")

    assert [(f.rule, f.line, f.column) for f in parsed.findings] == [("parse-error", 2, 19)]


def test_call_without_parentheses() -> None:
    parsed = parse_script("CALL d.p;")

    assert [(f.rule, f.column) for f in parsed.findings] == [("parse-error", 6)]
    assert "CALL name(arguments)" in parsed.findings[0].message


def test_sqlglot_failure_on_malformed_text_is_a_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    # sqlglot has raised TypeError on some malformed statements; that must not end the run.
    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("unexpected keyword argument")

    monkeypatch.setattr("eros_migrate.script.sqlglot.parse", broken)
    parsed = parse_script("SELECT 1;\n  CREATE DEFAULT x;", "m.sql")

    assert [(f.rule, f.line, f.column) for f in parsed.findings] == [
        ("parse-error", 1, 1),
        ("parse-error", 2, 3),
    ]
    assert "TypeError" in parsed.findings[1].message


def test_empty_list_item_is_a_parse_error() -> None:
    parsed = parse_script(
        "SELECT 1;\nCREATE TABLE t (x INT64,, y STRING);\nSELECT a, b, FROM t;\n", "m.sql"
    )
    assert [(f.line, f.column, f.rule) for f in parsed.findings] == [(2, 25, "parse-error")]
    assert "list item is missing" in parsed.findings[0].message
