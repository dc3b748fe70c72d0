"""The text lint reads: placeholders rendered, positions mapped back, markers found.

Rules see the rendered text (so `${dataset}` reads as the lint dataset), but every finding must
point into the file the user edits. Placeholder values never hold a newline, so lines stay the
same; only columns move, and `Source.position` moves them back.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from eros_migrate.findings import Finding
from eros_migrate.lint.rules import RULES
from eros_migrate.placeholders import LINT_DATASET, LINT_PROJECT, PLACEHOLDER

# What an unknown placeholder renders to: a plain identifier, so the rest of the file still
# parses, and one that the reference rules recognise and leave to `unknown-placeholder`.
UNKNOWN_VALUE_PREFIX = "eros_unknown_"
# Rules of `eros-migrate check`, which reads the same markers.
CHECK_RULES = frozenset({"check", "check-unsupported"})

_MARKER = re.compile(r"(?:--|#)\s*eros-migrate:\s*(?P<body>.*)$")
_IGNORE = re.compile(
    r"^ignore\s+(?P<rules>[A-Za-z0-9_-]+(?:\s*,\s*[A-Za-z0-9_-]+)*)\s*(?::\s*(?P<reason>.*))?$"
)
_ALLOW = re.compile(r"^allow\s+destructive\s*(?::\s*(?P<reason>.*))?$")


@dataclass
class Source:
    """One file's original text, its rendered text, and the map between their offsets."""

    file: str
    original: str
    rendered: str
    # (rendered start, rendered end, original start, original end) of each placeholder.
    spans: list[tuple[int, int, int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rendered_lines = _line_starts(self.rendered)
        self._original_lines = _line_starts(self.original)
        self._span_starts = [span[0] for span in self.spans]

    def rendered_offset(self, line: int, column: int) -> int:
        """The offset in the rendered text of a 1-based line and column of that text."""
        index = min(max(line, 1), len(self._rendered_lines)) - 1
        return self._rendered_lines[index] + max(column, 1) - 1

    def original_offset(self, rendered: int) -> int:
        index = bisect.bisect_right(self._span_starts, rendered) - 1
        if index < 0:
            return rendered

        _start, end, original_start, original_end = self.spans[index]
        if rendered < end:
            # Inside a rendered value: point at the placeholder that produced it.
            return original_start
        return original_end + (rendered - end)

    def position(self, rendered: int) -> tuple[int, int]:
        """The 1-based line and column in the original text of a rendered offset."""
        offset = min(max(self.original_offset(rendered), 0), len(self.original))
        index = bisect.bisect_right(self._original_lines, offset) - 1
        return index + 1, offset - self._original_lines[index] + 1

    def map_position(self, line: int, column: int) -> tuple[int, int]:
        """A rendered line and column (as the script parser reports them) in original terms."""
        return self.position(self.rendered_offset(line, column))


@dataclass(frozen=True)
class Marker:
    """An `-- eros-migrate:` comment: which rules it ignores or whether it allows destruction."""

    line: int
    column: int
    alone: bool
    rules: frozenset[str]
    allow_destructive: bool
    reason: str

    def ignores(self, rule_id: str) -> bool:
        return bool(self.reason) and rule_id in self.rules

    def covers_line(self, line: int) -> bool:
        """A marker at the end of a line covers that line; alone on its line, the next one."""
        return line == self.line + 1 if self.alone else line == self.line


def render(source_text: str, values: Mapping[str, str], file: str) -> tuple[Source, list[Finding]]:
    """Render every placeholder; an unknown one becomes a finding instead of an exception."""
    pieces: list[str] = []
    spans: list[tuple[int, int, int, int]] = []
    findings: list[Finding] = []
    rendered_length = 0
    last = 0

    for match in PLACEHOLDER.finditer(source_text):
        name = match.group(1)
        value = values.get(name)
        if value is None:
            line, column = _line_column(source_text, match.start())
            known = ", ".join(f"${{{key}}}" for key in sorted(values))
            findings.append(
                Finding(
                    file,
                    line,
                    column,
                    "unknown-placeholder",
                    "error",
                    f"unknown placeholder ${{{name}}}: use one of {known}, or define it "
                    "under [placeholders] in eros-migrate.toml",
                )
            )
            value = UNKNOWN_VALUE_PREFIX + name

        pieces.append(source_text[last : match.start()])
        rendered_length += match.start() - last
        spans.append((rendered_length, rendered_length + len(value), match.start(), match.end()))
        pieces.append(value)
        rendered_length += len(value)
        last = match.end()

    pieces.append(source_text[last:])
    return Source(file, source_text, "".join(pieces), spans), findings


def lint_values(placeholders: Mapping[str, str]) -> dict[str, str]:
    """Configured placeholders plus the lint stand-ins for project and dataset."""
    values = dict(placeholders)
    values["project"] = LINT_PROJECT
    values["dataset"] = LINT_DATASET
    return values


def find_markers(source: Source) -> tuple[list[Marker], list[Finding]]:
    """Every marker of the file, and a finding for each one that gives no reason."""
    markers: list[Marker] = []
    findings: list[Finding] = []
    if "eros-migrate:" not in source.original:
        return markers, findings

    for number, text in enumerate(source.original.split("\n"), start=1):
        if "eros-migrate:" not in text:
            continue
        match = _MARKER.search(text)
        if match is None:
            continue

        body = match.group("body").strip()
        column = match.start() + 1
        alone = not text[: match.start()].strip()
        ignore = _IGNORE.match(body)
        allow = _ALLOW.match(body)
        if ignore is None and allow is None:
            findings.append(
                Finding(
                    source.file,
                    number,
                    column,
                    "marker-without-reason",
                    "error",
                    "marker not understood: write `-- eros-migrate: ignore <rule-id>: <reason>` "
                    "or `-- eros-migrate: allow destructive: <reason>`",
                )
            )
            continue

        chosen = ignore or allow
        assert chosen is not None
        reason = (chosen.group("reason") or "").strip()
        rules = (
            frozenset(part.strip() for part in ignore.group("rules").split(","))
            if ignore is not None
            else frozenset()
        )
        markers.append(Marker(number, column, alone, rules, allow is not None, reason))
        unknown = sorted(rules - RULES.keys() - CHECK_RULES)
        if unknown:
            # A misspelt rule id would otherwise silence nothing without anyone noticing.
            findings.append(
                Finding(
                    source.file,
                    number,
                    column,
                    "marker-without-reason",
                    "error",
                    f"marker names unknown rule(s) {', '.join(unknown)}: "
                    f"known rules are {', '.join(sorted(RULES))}",
                )
            )
        if not reason:
            findings.append(
                Finding(
                    source.file,
                    number,
                    column,
                    "marker-without-reason",
                    "error",
                    "marker gives no reason, so it has no effect: add `: <why this is safe>`",
                )
            )
    return markers, findings


def _line_starts(text: str) -> list[int]:
    starts = [0]
    position = text.find("\n")
    while position != -1:
        starts.append(position + 1)
        position = text.find("\n", position + 1)
    return starts


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
