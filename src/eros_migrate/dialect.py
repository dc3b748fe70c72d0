"""The sqlglot dialect every statement is read with: sqlglot's BigQuery, plus what it lacks.

sqlglot's BigQuery parser takes a single ALTER COLUMN action per ALTER TABLE and keeps a list
of them (`ALTER TABLE t ALTER COLUMN a DROP DEFAULT, ALTER COLUMN b DROP DEFAULT`) as raw text,
which the lint reports as unparsed. BigQuery accepts the list and applies it as one table
update, and one update is how a migration stays inside BigQuery's five metadata changes per
table per ten seconds, so this dialect reads the list as one `Alter` with an action per column.

Trees read with it are ordinary sqlglot trees: write them back with `dialect="bigquery"`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.dialects.bigquery import BigQuery
from sqlglot.parsers.bigquery import BigQueryParser
from sqlglot.tokenizer_core import TokenType


class ErosBigQuery(BigQuery):
    class Parser(BigQueryParser):
        ALTER_PARSERS: ClassVar[dict[str, Any]] = {
            **BigQueryParser.ALTER_PARSERS,
            "ALTER": lambda self: self._parse_alter_column_list(),
        }

        def _parse_alter_column_list(self) -> list[exp.Expr | None]:
            actions = [self._parse_alter_table_alter()]

            # A comma followed by anything but ALTER (ADD, SET OPTIONS, ...) is left unread,
            # so a mixed list still falls back to a raw command and is reported as such.
            while self._match(TokenType.COMMA):
                if not self._match(TokenType.ALTER):
                    self._retreat(self._index - 1)
                    break
                actions.append(self._parse_alter_table_alter())
            return actions


DIALECT = ErosBigQuery
"""Pass as `read=` wherever BigQuery text is parsed."""
