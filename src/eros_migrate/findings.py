"""Findings: what parsing, lint and checks report about a file, line and column."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Finding:
    """One problem at one place, in the shape every output format shares."""

    file: str
    line: int
    column: int
    rule: str
    severity: Severity
    message: str

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        return {key: data[key] for key in ("rule", "severity", "file", "line", "column", "message")}

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.severity} [{self.rule}] {self.message}"
