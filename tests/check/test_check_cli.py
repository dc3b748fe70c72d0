"""`eros-migrate check` and `up --check` through the real CLI, on a temporary project."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Protocol

import pytest

from eros_migrate import check
from eros_migrate.check.analyzer import Analyzer


class Project(Protocol):
    """What these tests use of the `project` fixture of tests/conftest.py."""

    root: Path

    def run(self, *args: str) -> Any: ...

    def write(self, name: str, text: str) -> Path: ...

BAD_VIEW = """CREATE OR REPLACE VIEW `${project}.${dataset}.bad_view` AS
SELECT event_id,
  happened_on
FROM `${project}.${dataset}.events`;
"""


def add_bad_migration(project: Project) -> None:
    project.write("0004_bad_view.up.sql", BAD_VIEW)
    project.write(
        "0004_bad_view.down.sql", "DROP VIEW IF EXISTS `${project}.${dataset}.bad_view`;\n"
    )


def test_check_passes_a_clean_chain(analyzer: Analyzer, project: Project) -> None:
    result = project.run("check")

    assert result.code == 0, result.err
    assert "0 error(s), 0 warning(s)" in result.out


def test_check_reports_the_error_at_its_line_and_exits_2(
    analyzer: Analyzer, project: Project
) -> None:
    add_bad_migration(project)

    result = project.run("check")

    assert result.code == 2
    assert "0004_bad_view.up.sql:3:3: error [check] Unrecognized name: happened_on" in result.err


def test_check_stops_at_to(analyzer: Analyzer, project: Project) -> None:
    add_bad_migration(project)

    assert project.run("check", "--to", "3").code == 0


def test_check_json_and_a_second_run_from_stored_results(
    analyzer: Analyzer, project: Project
) -> None:
    add_bad_migration(project)

    first = project.run("check", "--format", "json")
    second = project.run("check", "--format", "json")

    assert first.code == second.code == 2
    assert json.loads(first.out) == json.loads(second.out)
    [finding] = json.loads(first.out)
    assert finding["rule"] == "check" and finding["line"] == 3
    assert list((project.root / ".eros" / "check").glob("results-*.sqlite"))


def test_up_check_refuses_before_touching_the_target(
    analyzer: Analyzer, project: Project
) -> None:
    add_bad_migration(project)

    result = project.run("up", "--check")

    assert result.code == 2
    assert "check reported 1 error(s); nothing was applied" in result.err
    assert not (project.root / ".eros" / "local").exists()


def test_check_without_the_extra_says_how_to_install_it(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(check, "available", lambda: False)

    result = project.run("check")

    assert result.code == 2
    assert "pip install 'eros-migrate[check]'" in result.err


def test_help_and_lint_do_not_import_the_analyzer(project: Project) -> None:
    probe = (
        "import sys\n"
        "from eros_migrate.cli import main\n"
        "for args in (['--help'], ['check', '--help'], ['--project-dir', sys.argv[1], 'lint']):\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('zetasql', 'wasmtime'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(project.root)],
        capture_output=True, text=True, check=True,
    )

    assert result.stdout.strip().splitlines()[-1] == "[]"
