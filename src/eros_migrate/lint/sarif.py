"""SARIF 2.1.0, the format code-scanning tools read."""

from __future__ import annotations

from pathlib import PurePath
from urllib.parse import quote

from eros_migrate import __version__
from eros_migrate.findings import Finding
from eros_migrate.lint.rules import RULES

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def to_sarif(findings: list[Finding]) -> dict[str, object]:
    """One run of the tool `eros-migrate`, every rule described, one result per finding."""
    rule_ids = list(RULES)
    for finding in findings:
        if finding.rule not in RULES and finding.rule not in rule_ids:
            rule_ids.append(finding.rule)
    index = {rule_id: position for position, rule_id in enumerate(rule_ids)}

    rules: list[dict[str, object]] = []
    for rule_id in rule_ids:
        rule = RULES.get(rule_id)
        description = rule.description if rule else rule_id
        level = rule.severity if rule else "error"
        rules.append(
            {
                "id": rule_id,
                "name": rule_id,
                "shortDescription": {"text": description},
                "defaultConfiguration": {"level": level},
            }
        )

    results = [
        {
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": finding.severity,
            "message": {"text": finding.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(finding.file)},
                        "region": {"startLine": finding.line, "startColumn": finding.column},
                    }
                }
            ],
        }
        for finding in findings
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "eros-migrate",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }


def _uri(file: str) -> str:
    return quote(PurePath(file).as_posix(), safe="/:")
