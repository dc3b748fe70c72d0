"""Rules on table and view definitions: table-without-partitioning, select-star-view, and
table-update-rate over a whole file."""

from __future__ import annotations

from collections import defaultdict

from sqlglot import exp

from eros_migrate import pacing
from eros_migrate.lint.context import FileLint, StatementVisit
from eros_migrate.lint.safety import is_temporary
from eros_migrate.lint.walk import Checks
from eros_migrate.script import Statement

# Partitioning, clustering, or a table made from another (LIKE, CLONE), which takes that table's
# partitioning with it.
_LAYOUT: tuple[type[exp.Expression], ...] = (
    exp.PartitionedByProperty,
    exp.ClusterProperty,
    exp.LikeProperty,
    exp.Clone,
)


def register(checks: Checks) -> None:
    checks.root.append(check_partitioning)
    checks.on(exp.Select, check_star)


def check_partitioning(root: exp.Expression, visit: StatementVisit) -> None:
    if not isinstance(root, exp.Create) or str(root.args.get("kind") or "").upper() != "TABLE":
        return
    if is_temporary(root, visit.lint.temp_tables) or root.args.get("clone"):
        return

    properties = root.args.get("properties")
    for prop in properties.expressions if properties is not None else ():
        if isinstance(prop, _LAYOUT):
            return

    target = root.this.this if isinstance(root.this, exp.Schema) else root.this
    name = target.name if isinstance(target, exp.Table) else target.sql(dialect="bigquery")
    visit.report(
        "table-without-partitioning",
        target,
        f"table `{name}` has neither PARTITION BY nor CLUSTER BY, "
        "so every query scans all of it: partition by a date column or cluster by the keys "
        "queries filter on",
    )


def check_star(node: exp.Expression, visit: StatementVisit) -> None:
    if not visit.in_view:
        return

    for projection in node.expressions:
        if isinstance(projection, exp.Star) or (
            isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
        ):
            visit.report(
                "select-star-view",
                projection,
                "the view selects `*`: its columns change whenever the table does, silently "
                "for its readers; list the columns",
            )


def check_update_rate(lint: FileLint, statements: list[Statement]) -> None:
    """A table changed more often than BigQuery accepts within one job.

    Counts the top-level statements, as the pacer does when it splits a migration into jobs.
    """
    changed_by: dict[str, list[Statement]] = defaultdict(list)
    for statement in statements:
        for table in pacing.changed_tables(statement):
            changed_by[table].append(statement)

    for table, changes in changed_by.items():
        if len(changes) <= pacing.LIMIT:
            continue

        # Reported where the limit is first exceeded.
        over = changes[pacing.LIMIT]
        name = table.rsplit(".", 1)[-1]
        lint.report_at(
            "table-update-rate",
            *lint.source.map_position(over.line, over.column),
            f"this file changes `{name}` {len(changes)} times and BigQuery accepts "
            f"{pacing.LIMIT} metadata changes of a table in {pacing.WINDOW_S:g} seconds, so "
            "the migration is sent as several jobs with waits between them: write the "
            f"changes of `{name}` as one ALTER TABLE with a list of actions "
            "(ADD COLUMN a ..., ADD COLUMN b ...)",
        )
