"""Configuration: `eros-migrate.toml` or `[tool.eros-migrate]` in `pyproject.toml`.

With no configuration at all the project gets one target, `local`: the embedded engine, kept
under `.eros/local`, so `eros-migrate up` works on a fresh clone without a cloud account.
Environment variables override the selected target (`EROS_MIGRATE_TARGET`, `_PROJECT`,
`_DATASET`, `_LOCATION`, `_CREDENTIALS`, `_ENDPOINT`).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from eros_migrate.errors import ConfigError, PlaceholderError
from eros_migrate.placeholders import validate_dataset, validate_project, validate_values

CONFIG_FILE = "eros-migrate.toml"
ENV_PREFIX = "EROS_MIGRATE_"
LOCAL_PROJECT = "local-project"
DEFAULT_DATASET = "eros"
DEFAULT_LOCAL_DIR = ".eros/local"
DEFAULT_TIME_ZONE = "America/Los_Angeles"

Engine = Literal["local", "bigquery"]
_TARGET_KEYS = {
    "engine",
    "project",
    "dataset",
    "location",
    "credentials",
    "endpoint",
    "maximum_bytes_billed",
    "labels",
    "protected",
    "data_dir",
}


@dataclass(frozen=True)
class TargetConfig:
    name: str
    engine: Engine = "local"
    project: str = LOCAL_PROJECT
    dataset: str = DEFAULT_DATASET
    location: str | None = None
    credentials: Path | None = None
    endpoint: str | None = None
    maximum_bytes_billed: int | None = None
    labels: dict[str, str] = field(default_factory=dict)
    protected: bool = False
    data_dir: Path | None = None

    def describe(self) -> str:
        where = f"{self.project}.{self.dataset}"
        return f"{self.name} ({self.engine}: {where})"


@dataclass(frozen=True)
class LintConfig:
    time_zone: str = DEFAULT_TIME_ZONE
    enable: frozenset[str] = frozenset()
    disable: frozenset[str] = frozenset()
    severity: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    root: Path
    config_file: Path | None
    migrations_dir: Path
    checks_dir: Path
    placeholders: dict[str, str]
    lint: LintConfig
    targets: dict[str, TargetConfig]
    default_target: str
    environment: Mapping[str, str] = field(default_factory=dict, repr=False)

    def target(self, name: str | None = None) -> TargetConfig:
        chosen = name or self.environment.get(f"{ENV_PREFIX}TARGET") or self.default_target
        if chosen not in self.targets:
            known = ", ".join(sorted(self.targets))
            raise ConfigError(
                f"unknown target {chosen!r}",
                file=self.config_file,
                hint=f"configured targets: {known}; add [targets.{chosen}] to {CONFIG_FILE}",
            )
        return _apply_environment(self.targets[chosen], self.environment, self.root)

    def placeholder_values(self, target: TargetConfig) -> dict[str, str]:
        values = dict(self.placeholders)
        values["project"] = target.project
        values["dataset"] = target.dataset
        try:
            return validate_values(values)
        except PlaceholderError as error:
            error.file = str(self.config_file) if self.config_file else None
            raise


def find_root(start: Path) -> tuple[Path, Path | None, dict[str, Any]]:
    """The nearest folder holding eros-migrate.toml or a pyproject with [tool.eros-migrate]."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return folder, candidate, _read_toml(candidate)

        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            section = _read_toml(pyproject).get("tool", {}).get("eros-migrate")
            if isinstance(section, dict):
                return folder, pyproject, section
    return start, None, {}


def load_settings(
    start: Path | None = None, environment: Mapping[str, str] | None = None
) -> Settings:
    root, config_file, data = find_root((start or Path.cwd()).resolve())
    env = dict(os.environ if environment is None else environment)
    where = config_file

    allowed = {"migrations", "checks", "placeholders", "lint", "targets", "default_target"}
    unknown = set(data) - allowed
    if unknown:
        raise ConfigError(
            f"unknown setting(s): {', '.join(sorted(unknown))}",
            file=where,
            hint=f"known settings: {', '.join(sorted(allowed))}",
        )

    placeholders = _string_table(data.get("placeholders", {}), "placeholders", where)
    for reserved in ("project", "dataset"):
        if reserved in placeholders:
            raise ConfigError(
                f"placeholder {reserved!r} comes from the target and cannot be set here",
                file=where,
                hint=f"set `{reserved}` in the target's table instead",
            )

    targets = {
        name: _parse_target(name, table, where, root)
        for name, table in _table(data.get("targets", {}), "targets", where).items()
    }
    if not targets:
        targets["local"] = TargetConfig(name="local", data_dir=root / DEFAULT_LOCAL_DIR)

    default_target = str(data.get("default_target", next(iter(targets))))
    if default_target not in targets:
        raise ConfigError(
            f"default_target {default_target!r} is not a configured target",
            file=where,
            hint=f"configured targets: {', '.join(sorted(targets))}",
        )

    return Settings(
        root=root,
        config_file=config_file,
        migrations_dir=root / str(data.get("migrations", "migrations")),
        checks_dir=root / str(data.get("checks", "checks")),
        placeholders=placeholders,
        lint=_parse_lint(data.get("lint", {}), where),
        targets=targets,
        default_target=default_target,
        environment=env,
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            f"invalid TOML: {error}", file=path, hint="fix the syntax of the file"
        ) from error
    except UnicodeDecodeError as error:
        raise ConfigError("file is not UTF-8 text", file=path) from error


def _table(value: object, name: str, where: Path | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table", file=where)
    return value


def _string_table(value: object, name: str, where: Path | None) -> dict[str, str]:
    table = _table(value, name, where)
    for key, item in table.items():
        if not isinstance(item, str):
            raise ConfigError(f"{name}.{key} must be a string", file=where)
    return dict(table)


def _parse_target(name: str, value: object, where: Path | None, root: Path) -> TargetConfig:
    table = _table(value, f"targets.{name}", where)
    unknown = set(table) - _TARGET_KEYS
    if unknown:
        raise ConfigError(
            f"target {name!r} has unknown setting(s): {', '.join(sorted(unknown))}",
            file=where,
            hint=f"known target settings: {', '.join(sorted(_TARGET_KEYS))}",
        )

    engine = table.get("engine", "local")
    if engine not in ("local", "bigquery"):
        raise ConfigError(
            f"target {name!r}: engine must be 'local' or 'bigquery', not {engine!r}",
            file=where,
        )
    if engine == "bigquery" and "project" not in table:
        raise ConfigError(
            f"target {name!r} uses BigQuery but names no project",
            file=where,
            hint=f"add `project = \"my-project\"` under [targets.{name}]",
        )

    billed = table.get("maximum_bytes_billed")
    if billed is not None and (not isinstance(billed, int) or billed <= 0):
        raise ConfigError(f"target {name!r}: maximum_bytes_billed must be a positive integer")

    labels = _string_table(table.get("labels", {}), f"targets.{name}.labels", where)
    data_dir = table.get("data_dir", DEFAULT_LOCAL_DIR if engine == "local" else None)
    credentials = table.get("credentials")
    target = TargetConfig(
        name=name,
        engine=engine,
        project=str(table.get("project", LOCAL_PROJECT)),
        dataset=str(table.get("dataset", DEFAULT_DATASET)),
        location=table.get("location"),
        credentials=root / credentials if credentials else None,
        endpoint=table.get("endpoint"),
        maximum_bytes_billed=billed,
        labels=labels,
        protected=bool(table.get("protected", False)),
        data_dir=root / data_dir if data_dir else None,
    )
    return _validated(target, where)


def _validated(target: TargetConfig, where: Path | None) -> TargetConfig:
    try:
        validate_project(target.project, f"target {target.name!r}: project")
        validate_dataset(target.dataset, f"target {target.name!r}: dataset")
    except PlaceholderError as error:
        raise ConfigError(error.message, file=where, hint=error.hint) from error
    return target


def _apply_environment(target: TargetConfig, env: Mapping[str, str], root: Path) -> TargetConfig:
    overrides: dict[str, Any] = {}
    for key in ("project", "dataset", "location", "endpoint"):
        value = env.get(f"{ENV_PREFIX}{key.upper()}")
        if value:
            overrides[key] = value

    credentials = env.get(f"{ENV_PREFIX}CREDENTIALS")
    if credentials:
        overrides["credentials"] = root / credentials
    if not overrides:
        return target
    return _validated(replace(target, **overrides), None)


def _parse_lint(value: object, where: Path | None) -> LintConfig:
    table = _table(value, "lint", where)
    severity = _string_table(table.get("severity", {}), "lint.severity", where)
    for rule, level in severity.items():
        if level not in ("error", "warning", "off"):
            raise ConfigError(
                f"lint.severity.{rule} must be 'error', 'warning' or 'off', not {level!r}",
                file=where,
            )

    def names(key: str) -> frozenset[str]:
        items = table.get(key, [])
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise ConfigError(f"lint.{key} must be a list of rule ids", file=where)
        return frozenset(items)

    return LintConfig(
        time_zone=str(table.get("time_zone", DEFAULT_TIME_ZONE)),
        enable=names("enable"),
        disable=names("disable"),
        severity=severity,
    )
