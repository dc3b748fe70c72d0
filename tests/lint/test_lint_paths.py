"""lint_paths: files and folders, files that are not migrations, files that cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest

from eros_migrate.errors import InputError
from eros_migrate.lint import lint_paths
from tests.lint.lint_support import make_settings


def test_folders_are_searched_for_sql_files(tmp_path: Path) -> None:
    nested = tmp_path / "checks" / "v1"
    nested.mkdir(parents=True)
    (nested / "row_counts.sql").write_text("SELECT COUNT(*) FROM t;\n", encoding="utf-8")
    (nested / "notes.txt").write_text("SELECT * FROM t;\n", encoding="utf-8")

    findings = lint_paths([tmp_path / "checks"], make_settings())

    assert [(Path(f.file).name, f.rule) for f in findings] == [
        ("row_counts.sql", "unqualified-reference")
    ]


def test_a_file_given_twice_is_linted_once(tmp_path: Path) -> None:
    path = tmp_path / "a.sql"
    path.write_text("SELECT a / b FROM ${dataset}.t;\n", encoding="utf-8")

    assert len(lint_paths([path, tmp_path], make_settings())) == 1


def test_a_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        lint_paths([tmp_path / "nowhere.sql"], make_settings())


def test_a_file_that_is_not_utf8_is_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "0001_a.up.sql"
    path.write_bytes(b"SELECT '\xff';\n")

    findings = lint_paths([path], make_settings())

    assert [(f.line, f.column, f.rule) for f in findings] == [(1, 1, "parse-error")]
