"""BigQuery scripts: split into statements, procedure bodies included, and parse each with sqlglot.

Placeholder rendering happens before this module sees the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from eros_migrate.findings import Finding


@dataclass
class Statement:
    """One statement of a script, at its place in the file.

    `kind` is `sql` for a statement sqlglot parses on its own, or the scripting construct
    (`declare`, `set`, `if`, `while`, `loop`, `repeat`, `for`, `block`, `case`,
    `create_procedure`, `call`, `raise`, `return`, `break`, `continue`, `transaction`,
    `execute_immediate`, `assert`).
    """

    kind: str
    text: str
    line: int
    column: int
    end_line: int
    expression: exp.Expression | None = None
    parts: list[exp.Expression] = field(default_factory=list)
    body: list[Statement] = field(default_factory=list)
    name: str | None = None


@dataclass
class ParsedScript:
    file: str
    statements: list[Statement]
    findings: list[Finding]
