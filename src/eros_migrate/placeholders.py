"""Placeholders: `${project}`, `${dataset}` and configured names, rendered before parsing.

Rendered values end up inside SQL text, so every value is checked first: project and dataset
against BigQuery's naming rules, configured values against a conservative character set. No
value can close a quote or a backtick, start a comment or end a statement.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from eros_migrate.errors import PlaceholderError

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# Project ids: 6 to 30 lowercase letters, digits and hyphens, starting with a letter and not
# ending with a hyphen; older projects may carry a domain prefix (`example.com:my-project`).
_PROJECT = re.compile(r"^(?:[a-z][a-z0-9.\-]*[a-z0-9]:)?[a-z][a-z0-9\-]{4,28}[a-z0-9]$")
# Dataset names: letters, digits and underscores, at most 1,024 characters.
_DATASET = re.compile(r"^[A-Za-z0-9_]{1,1024}$")
# Configured values: identifiers, dotted paths, dates, numbers; nothing that can escape SQL text.
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.:\-/ ]{0,1024}$")

# What lint renders placeholders to, so rules can tell a placeholder from a hard-coded name.
LINT_PROJECT = "eros-lint-project"
LINT_DATASET = "eros_lint_dataset"


def validate_project(value: str, source: str = "project") -> str:
    if not _PROJECT.match(value):
        raise PlaceholderError(
            f"{source} {value!r} is not a valid BigQuery project id",
            hint="use 6-30 lowercase letters, digits or hyphens, starting with a letter",
        )
    return value


def validate_dataset(value: str, source: str = "dataset") -> str:
    if not _DATASET.match(value):
        raise PlaceholderError(
            f"{source} {value!r} is not a valid BigQuery dataset name",
            hint="use letters, digits and underscores only (at most 1,024 characters)",
        )
    return value


def validate_values(values: Mapping[str, str]) -> dict[str, str]:
    """Check every placeholder value before any of them reaches SQL text."""
    checked: dict[str, str] = {}
    for name, value in values.items():
        if name == "project":
            checked[name] = validate_project(value)
        elif name == "dataset":
            checked[name] = validate_dataset(value)
        elif not _SAFE_VALUE.match(value):
            raise PlaceholderError(
                f"placeholder {name!r} has the unsafe value {value!r}",
                hint="placeholder values may hold letters, digits, spaces and _ . : - / only",
            )
        else:
            checked[name] = value
    return checked


def render(text: str, values: Mapping[str, str], file: str = "<string>") -> str:
    """Replace every `${name}`; an unknown name is an error that points at its line and column."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return values[name]

        line = text.count("\n", 0, match.start()) + 1
        column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        known = ", ".join(f"${{{key}}}" for key in sorted(values))
        raise PlaceholderError(
            f"unknown placeholder ${{{name}}}",
            file=file,
            line=line,
            column=column,
            hint=f"known placeholders: {known}; define others under [placeholders] "
            "in eros-migrate.toml",
        )

    return PLACEHOLDER.sub(replace, text)


def names_in(text: str) -> set[str]:
    return {match.group(1) for match in PLACEHOLDER.finditer(text)}
