"""Positions: from where GoogleSQL reports an error to the line and column of the file.

GoogleSQL counts lines from 1 and columns in characters with tabs expanded to stops of 8;
findings count columns in characters as the file has them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TAB = 8


@dataclass
class Text:
    """A piece of the rendered file that is analysed, wrapped as `prefix + text + suffix`."""

    text: str
    line: int
    column: int
    prefix: str = ""
    suffix: str = ""

    @property
    def sql(self) -> str:
        return self.prefix + self.text + self.suffix

    def position(self, line: int | None, column: int | None) -> tuple[int, int]:
        """The rendered file position of a GoogleSQL position in `sql` (tabs expanded)."""
        if line is None or column is None:
            return self.line, self.column
        at = offset(self.sql, line, column) - len(self.prefix)
        at = max(0, min(at, len(self.text)))
        newlines = self.text.count("\n", 0, at)
        if newlines == 0:
            return self.line, self.column + at
        return self.line + newlines, at - self.text.rindex("\n", 0, at)


def offset(sql: str, line: int, column: int) -> int:
    """Character offset of a 1-based line and tab-expanded column, as GoogleSQL counts them."""
    start = 0
    for _ in range(line - 1):
        found = sql.find("\n", start)
        if found < 0:
            break
        start = found + 1
    expanded = 1
    offset = start
    while offset < len(sql) and sql[offset] != "\n" and expanded < column:
        expanded = (expanded - 1) // _TAB * _TAB + _TAB + 1 if sql[offset] == "\t" else expanded + 1
        offset += 1
    return offset


_QUERY_COLUMN = re.compile(r"^Query column (\d+) has type")
_SELECT_ITEM_TOKEN = re.compile(
    r"""'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`"""
    r"""|--[^\n]*|\#[^\n]*|/\*.*?\*/|[()\[\],]|[A-Za-z_]\w*|[^\s()\[\],]+""",
    re.DOTALL,
)
_SELECT_LIST_ENDS = frozenset(
    {"FROM", "WHERE", "GROUP", "HAVING", "QUALIFY", "WINDOW", "ORDER", "LIMIT", "UNION"}
)
_SELECT_MODIFIERS = frozenset({"DISTINCT", "ALL", "AS", "STRUCT", "VALUE"})


def query_column_position(
    sql: str, message: str, line: int | None, column: int | None
) -> tuple[int | None, int | None]:
    """For "Query column N has type ...", the position of the N-th item of the SELECT list.

    GoogleSQL points at the SELECT keyword; the item with the wrong type is what the reader
    needs, and it may be many lines further down.
    """
    match = _QUERY_COLUMN.match(message)
    if match is None or line is None or column is None:
        return line, column
    start = offset(sql, line, column)
    if sql[start : start + 6].upper() != "SELECT":
        return line, column

    wanted = int(match[1])
    item, depth, expecting = 1, 0, True
    for token in _SELECT_ITEM_TOKEN.finditer(sql, start + 6):
        text = token.group()
        if text.startswith(("--", "#", "/*")):
            continue
        upper = text.upper()
        if depth == 0 and upper in _SELECT_LIST_ENDS:
            break
        if expecting and upper not in _SELECT_MODIFIERS:
            if item == wanted:
                before = sql[: token.start()]
                return before.count("\n") + 1, expanded_column(before)
            expecting = False

        if text in ("(", "["):
            depth += 1
        elif text in (")", "]"):
            depth -= 1
        elif text == "," and depth == 0:
            item, expecting = item + 1, True
    return line, column


def expanded_column(before: str) -> int:
    """The column of the character after `before`, tabs expanded as GoogleSQL counts them."""
    expanded = 1
    for char in before[before.rfind("\n") + 1 :]:
        expanded = (expanded - 1) // _TAB * _TAB + _TAB + 1 if char == "\t" else expanded + 1
    return expanded
