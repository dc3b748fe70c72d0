"""Pacing of table metadata changes: BigQuery allows 5 per table in any 10 seconds.

Every DDL statement that changes a table (CREATE, ALTER, DROP, TRUNCATE; views included) is a
metadata update of that table. Within one script job BigQuery runs them back to back, so a
migration with six ALTERs of one table fails with `rateLimitExceeded`. The pacer splits such a
migration into several jobs of at most five changes per table and, across jobs and migrations,
waits until the window has room.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence

from sqlglot import exp

from eros_migrate.script import Statement

LIMIT = 5
WINDOW_S = 10.0


def changed_tables(statement: Statement) -> list[str]:
    """The tables (and views) whose metadata a statement updates, lower-cased."""
    node = statement.expression
    if isinstance(node, exp.Create | exp.Drop):
        kind = str(node.args.get("kind") or "").upper()
        temporary = node.args.get("temporary") or node.find(exp.TemporaryProperty)
        if kind not in ("TABLE", "VIEW", "MATERIALIZED VIEW") or temporary:
            return []
        target = node.this.this if isinstance(node.this, exp.Schema) else node.this
    elif isinstance(node, exp.Alter | exp.TruncateTable):
        target = node.this if isinstance(node, exp.Alter) else (node.expressions or [None])[0]
    else:
        return []
    if not isinstance(target, exp.Table):
        return []
    return [".".join(part for part in (target.catalog, target.db, target.name) if part).lower()]


def chunk(statements: Sequence[Statement], limit: int = LIMIT) -> list[tuple[int, int]]:
    """Split into runs of statements that change no table more than `limit` times."""
    chunks: list[tuple[int, int]] = []
    start = 0
    counts: dict[str, int] = defaultdict(int)
    for index, statement in enumerate(statements):
        tables = changed_tables(statement)
        if any(counts[table] + 1 > limit for table in tables) and index > start:
            chunks.append((start, index))
            start = index
            counts.clear()
        for table in tables:
            counts[table] += 1
    chunks.append((start, len(statements)))
    return chunks


class Pacer:
    """Remembers when each table changed and waits before a job that would exceed the limit."""

    def __init__(
        self,
        limit: int = LIMIT,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self.sleep = sleep
        self.changes: dict[str, deque[float]] = defaultdict(deque)
        self.waited_s = 0.0

    def wait_for(self, statements: Sequence[Statement]) -> float:
        """Sleep until every table these statements change has room; return the wait."""
        needed: dict[str, int] = defaultdict(int)
        for statement in statements:
            for table in changed_tables(statement):
                needed[table] += 1

        wait = 0.0
        now = self.clock()
        for table, count in needed.items():
            history = self.changes[table]
            while history and history[0] <= now - self.window_s:
                history.popleft()
            excess = len(history) + count - self.limit
            if excess > 0:
                # The change that must leave the window first is the excess-th oldest.
                wait = max(wait, history[min(excess, len(history)) - 1] + self.window_s - now)
        if wait > 0:
            self.sleep(wait)
            self.waited_s += wait
        return wait

    def record(self, statements: Sequence[Statement]) -> None:
        now = self.clock()
        for statement in statements:
            for table in changed_tables(statement):
                self.changes[table].append(now)
