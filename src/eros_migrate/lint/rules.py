"""The rule registry and how the configuration turns rules on, off, up or down."""

from __future__ import annotations

from dataclasses import dataclass

from eros_migrate.config import LintConfig
from eros_migrate.errors import ConfigError
from eros_migrate.findings import Severity


@dataclass(frozen=True)
class Rule:
    """One lint check: its id, the severity it reports at by default, and what it catches."""

    id: str
    severity: Severity
    description: str


_ALL = (
    Rule("parse-error", "error", "The statement cannot be parsed as BigQuery SQL."),
    Rule(
        "unparsed-command",
        "error",
        "The statement is only understood as an opaque command, so no rule can check it.",
    ),
    Rule("unknown-placeholder", "error", "A ${name} placeholder that nothing defines."),
    Rule(
        "marker-without-reason",
        "error",
        "An `-- eros-migrate:` ignore or allow marker that gives no reason.",
    ),
    Rule(
        "declare-position",
        "error",
        "A DECLARE after other statements of its script, BEGIN block or procedure body.",
    ),
    Rule(
        "variable-shadows-column",
        "error",
        "A script variable or procedure parameter named like a column the statement reads.",
    ),
    Rule("self-comparison", "error", "An expression compared with itself."),
    Rule(
        "hardcoded-name",
        "error",
        "A literal project or dataset name where ${project} or ${dataset} belongs.",
    ),
    Rule(
        "unqualified-reference",
        "warning",
        "A table or routine reference that is not qualified with ${dataset}.",
    ),
    Rule(
        "destructive-statement",
        "error",
        "An up migration that drops, truncates or overwrites data without an allow marker.",
    ),
    Rule(
        "not-idempotent",
        "warning",
        "A CREATE, DROP or ALTER that fails when run a second time.",
    ),
    Rule("session-setting", "error", "A SET @@system_variable in a migration."),
    Rule(
        "time-zone",
        "warning",
        "A date or time derived without the configured time zone, or with another one.",
    ),
    Rule("unsafe-division", "warning", "A `/` whose divisor may be zero; use SAFE_DIVIDE."),
    Rule(
        "table-without-partitioning",
        "warning",
        "A CREATE TABLE with neither PARTITION BY nor CLUSTER BY.",
    ),
    Rule("select-star-view", "warning", "A view that selects `*`, so its columns drift."),
    Rule(
        "table-update-rate",
        "warning",
        "More changes of one table than BigQuery accepts in ten seconds, so several jobs.",
    ),
    Rule(
        "down-mismatch",
        "error",
        "A down migration that does not undo exactly what its up migration did.",
    ),
)

RULES: dict[str, Rule] = {rule.id: rule for rule in _ALL}

# Rules that report the file could not be checked at all stay on when `enable` picks a subset:
# a lint that passes because nothing was read would be worse than no lint.
ALWAYS_SELECTED = frozenset({"parse-error", "unparsed-command", "unknown-placeholder"})


@dataclass(frozen=True)
class RuleSelection:
    """Which rules report, and at which severity, after the configuration has had its say."""

    severities: dict[str, Severity]

    def active(self, rule_id: str) -> bool:
        return rule_id in self.severities

    def severity(self, rule_id: str) -> Severity:
        return self.severities[rule_id]


def select_rules(config: LintConfig) -> RuleSelection:
    """Apply `enable`, `disable` and `severity`; unknown rule ids are configuration errors."""
    for source, ids in (
        ("lint.enable", config.enable),
        ("lint.disable", config.disable),
        ("lint.severity", frozenset(config.severity)),
    ):
        unknown = sorted(ids - RULES.keys())
        if unknown:
            raise ConfigError(
                f"{source} names unknown rule(s): {', '.join(unknown)}",
                hint=f"known rules: {', '.join(sorted(RULES))}",
            )

    severities: dict[str, Severity] = {}
    for rule in _ALL:
        if config.enable and rule.id not in config.enable and rule.id not in ALWAYS_SELECTED:
            continue
        if rule.id in config.disable:
            continue

        level = config.severity.get(rule.id, rule.severity)
        if level == "off":
            continue
        severities[rule.id] = "error" if level == "error" else "warning"
    return RuleSelection(severities)
