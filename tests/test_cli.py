"""Every command has help; `--help` stays light; errors never show a traceback."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from eros_migrate.cli import cli

COMMANDS = sorted(cli.commands)


def test_expected_commands_exist() -> None:
    assert set(COMMANDS) >= {
        "up", "down", "status", "history", "baseline", "unlock", "new", "sql", "lint", "verify",
    }


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name: str) -> None:
    command = cli.commands[name]
    assert isinstance(command, click.Command)
    assert command.help and len(command.help.strip()) > 10

    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_help_imports_no_engine_or_client() -> None:
    code = (
        "import sys\n"
        "from eros_migrate.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('google.cloud.bigquery', 'bqemulator', 'sqlglot', 'zetasql')"
        " if m in sys.modules]\n"
        "print('HEAVY:' + ','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "HEAVY:"


def test_debug_shows_traceback(tmp_path: object) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "eros_migrate.cli", "--debug", "up", "--to", "nonsense"],
        capture_output=True,
        text=True,
        cwd=str(tmp_path),
    )
    assert result.returncode != 0
    assert "Traceback" in result.stderr

    result = subprocess.run(
        [sys.executable, "-m", "eros_migrate.cli", "up", "--to", "nonsense"],
        capture_output=True,
        text=True,
        cwd=str(tmp_path),
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "migrations folder" in result.stderr


@pytest.mark.parametrize(
    "arguments",
    [["lint"], ["new", "light_start"]],
    ids=["lint", "new"],
)
def test_lint_and_new_import_no_engine_or_client(tmp_path: object, arguments: list[str]) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "migrations").mkdir()
    (folder / "migrations" / "0001_start.up.sql").write_text(
        "CREATE TABLE IF NOT EXISTS `${project}.${dataset}.t` (a INT64) CLUSTER BY a;\n"
    )
    (folder / "migrations" / "0001_start.down.sql").write_text(
        "DROP TABLE IF EXISTS `${project}.${dataset}.t`;\n"
    )
    code = (
        "import sys\n"
        "from eros_migrate.cli import main\n"
        "try:\n"
        f"    main({arguments!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('google.cloud.bigquery', 'bqemulator', 'zetasql', 'duckdb')"
        " if m in sys.modules]\n"
        "print('HEAVY:' + ','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=folder, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "HEAVY:", result.stdout + result.stderr
