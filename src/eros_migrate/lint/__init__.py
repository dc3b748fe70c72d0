"""Lint: the checks run before anything is applied, one module per family of rules.

`lint_chain`, `lint_paths` and `lint_text` return findings sorted by file, line and column;
`to_sarif` turns them into SARIF 2.1.0. Nothing here imports a BigQuery client.
"""

from __future__ import annotations

from eros_migrate.lint.rules import RULES, Rule
from eros_migrate.lint.runner import lint_chain, lint_paths, lint_text
from eros_migrate.lint.sarif import to_sarif

__all__ = ["RULES", "Rule", "lint_chain", "lint_paths", "lint_text", "to_sarif"]
