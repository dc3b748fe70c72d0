"""Shared fixtures: a project folder with a small chain, driven through the real CLI."""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from eros_migrate.cli import main
from eros_migrate.config import Settings, load_settings

CHAINS = Path(__file__).parent / "chains"


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@dataclass
class Project:
    root: Path
    capsys: pytest.CaptureFixture[str]

    @property
    def migrations(self) -> Path:
        return self.root / "migrations"

    def settings(self) -> Settings:
        return load_settings(self.root, environment={})

    def run(self, *args: str) -> CliResult:
        self.capsys.readouterr()
        try:
            main(["--project-dir", str(self.root), *args])
            code = 0
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        captured = self.capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    def write(self, name: str, text: str | bytes) -> Path:
        path = self.migrations / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path


def make_project(root: Path, capsys: pytest.CaptureFixture[str], chain: str = "basic") -> Project:
    shutil.copytree(CHAINS / chain, root / "migrations")
    dataset = f"test_{uuid.uuid4().hex[:10]}"
    (root / "eros-migrate.toml").write_text(
        "[targets.local]\n"
        'engine = "local"\n'
        f'dataset = "{dataset}"\n'
        'data_dir = ".eros/local"\n',
        encoding="utf-8",
    )
    return Project(root, capsys)


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    return make_project(tmp_path, capsys)
