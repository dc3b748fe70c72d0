"""Rules on expressions: self-comparison, unsafe-division, time-zone."""

from __future__ import annotations

from sqlglot import exp

from eros_migrate.lint.context import TIMESTAMP_TYPES, StatementVisit
from eros_migrate.lint.walk import Checks

_COMPARISONS: tuple[type[exp.Expression], ...] = (
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.NullSafeEQ,
    exp.NullSafeNEQ,
)
# Calls whose result differs on each evaluation, so comparing two of them means something.
_VOLATILE: tuple[type[exp.Expression], ...] = (exp.Rand, exp.Uuid)

# Functions that return a TIMESTAMP whatever their argument; sqlglot also wraps the argument of
# FORMAT_TIMESTAMP in TsOrDsToTimestamp.
_TIMESTAMP_FUNCTIONS: tuple[type[exp.Expression], ...] = (
    exp.CurrentTimestamp,
    exp.TimestampTrunc,
    exp.TimestampAdd,
    exp.TimestampSub,
    exp.UnixToTime,
    exp.Timestamp,
    exp.TsOrDsToTimestamp,
)
_TIMESTAMP_NAMES = frozenset(
    {
        "CURRENT_TIMESTAMP",
        "TIMESTAMP",
        "TIMESTAMP_TRUNC",
        "TIMESTAMP_ADD",
        "TIMESTAMP_SUB",
        "TIMESTAMP_SECONDS",
        "TIMESTAMP_MILLIS",
        "TIMESTAMP_MICROS",
        "PARSE_TIMESTAMP",
    }
)


def register(checks: Checks) -> None:
    for comparison in _COMPARISONS:
        checks.on(comparison, check_comparison)

    checks.on(exp.Div, check_division)
    for node_type in (
        exp.CurrentDate,
        exp.CurrentDatetime,
        exp.CurrentTime,
        exp.Date,
        exp.Datetime,
        exp.TsOrDsToDatetime,
        exp.Time,
        exp.TsOrDsToTime,
        exp.Extract,
        exp.TimeToStr,
        exp.TimestampTrunc,
    ):
        checks.on(node_type, check_time_zone)


def check_comparison(node: exp.Expression, visit: StatementVisit) -> None:
    # `SET a = a` in UPDATE is an assignment, not a comparison.
    if isinstance(node.parent, exp.Update) and node.arg_key == "expressions":
        return

    left, right = node.this, node.expression
    if not _same(left, right):
        return
    # Constant conditions (`1 = 1`) are written on purpose; only columns and variables slip.
    if left.find(exp.Column) is None or left.find(*_VOLATILE) is not None:
        return
    visit.report(
        "self-comparison",
        node,
        f"`{node.sql(dialect='bigquery')}` compares an expression with itself, so it is always "
        "true or always false: compare with the other table's column or the intended variable",
    )


def check_division(node: exp.Expression, visit: StatementVisit) -> None:
    if node.args.get("safe"):
        return

    divisor = _unwrap(node.expression)
    if _safe_divisor(divisor) or _inside_ieee_divide(node) or _guarded(node, divisor):
        return
    visit.report(
        "unsafe-division",
        divisor,
        f"division by `{divisor.sql(dialect='bigquery')}` fails the whole script when it is "
        "zero: use SAFE_DIVIDE(a, b), or divide by NULLIF(b, 0)",
    )


def check_time_zone(node: exp.Expression, visit: StatementVisit) -> None:
    label, zone = _zone_argument(node, visit)
    if label is None or _in_partitioning(node):
        return

    expected = visit.lint.time_zone
    if zone is None:
        offset = (
            visit.offset_of_keyword(node, "EXTRACT")
            if isinstance(node, exp.Extract)
            else visit.offset_of(node)
        )
        visit.lint.report(
            "time-zone",
            offset,
            f"{label} without a time zone works in UTC: pass '{expected}' "
            f"(e.g. {_example(label, expected)})",
        )
        return

    if isinstance(zone, exp.Literal) and zone.is_string and zone.this != expected:
        visit.report(
            "time-zone",
            zone,
            f"{label} uses the time zone '{zone.this}', not the configured '{expected}': "
            f"use '{expected}', or suppress with a reason if {zone.this} is meant",
        )


def is_timestamp(node: exp.Expression, visit: StatementVisit) -> bool:
    """Whether an expression is (as far as lint can tell) a TIMESTAMP."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, _TIMESTAMP_FUNCTIONS):
        return True
    if isinstance(node, exp.StrToTime):
        return _function_name(node) in (None, "PARSE_TIMESTAMP")
    if isinstance(node, exp.Cast):
        to = node.args.get("to")
        return isinstance(to, exp.DataType) and to.this.name in TIMESTAMP_TYPES
    if isinstance(node, exp.Anonymous):
        return node.name.upper() in _TIMESTAMP_NAMES
    if isinstance(node, exp.Column):
        name = node.name.lower()
        if not node.table and name in visit.scope.variables:
            return visit.scope.variables[name].startswith("TIMESTAMP")
        return name in visit.lint.knowledge.timestamp_columns
    return False


def _zone_argument(
    node: exp.Expression, visit: StatementVisit
) -> tuple[str | None, exp.Expression | None]:
    """The function's name as written, and its time-zone argument; no name means not judged."""
    if isinstance(node, exp.CurrentDate | exp.CurrentDatetime | exp.CurrentTime):
        name = _function_name(node) or type(node).__name__.upper()
        return f"{_sql_name(name)}()", node.this

    if isinstance(node, exp.Date | exp.Time | exp.TsOrDsToDatetime | exp.TsOrDsToTime):
        if not is_timestamp(node.this, visit):
            return None, None
        name = _function_name(node) or _SQL_NAMES.get(type(node)) or "DATE"
        return f"{name}(timestamp)", node.args.get("zone")

    if isinstance(node, exp.Datetime):
        if not is_timestamp(node.this, visit):
            return None, None
        return "DATETIME(timestamp)", node.expression

    if isinstance(node, exp.Extract):
        target = node.expression
        if isinstance(target, exp.AtTimeZone):
            return "EXTRACT(... FROM timestamp)", target.args.get("zone")
        if not is_timestamp(target, visit):
            return None, None
        return "EXTRACT(... FROM timestamp)", None

    function = _function_name(node)
    if isinstance(node, exp.TimeToStr) and function == "FORMAT_TIMESTAMP":
        return "FORMAT_TIMESTAMP()", node.args.get("zone")
    if isinstance(node, exp.TimestampTrunc) and function in (None, "TIMESTAMP_TRUNC"):
        return "TIMESTAMP_TRUNC()", node.args.get("zone")
    return None, None


_SQL_NAMES: dict[type[exp.Expression], str] = {
    exp.Date: "DATE",
    exp.Time: "TIME",
    exp.TsOrDsToDatetime: "DATETIME",
    exp.TsOrDsToTime: "TIME",
}


def _sql_name(name: str) -> str:
    return {
        "CURRENTDATE": "CURRENT_DATE",
        "CURRENTDATETIME": "CURRENT_DATETIME",
        "CURRENTTIME": "CURRENT_TIME",
    }.get(name, name)


def _example(label: str, zone: str) -> str:
    if label.endswith("()") and "(" not in label[:-2]:
        return f"{label[:-2]}('{zone}')"
    if label.startswith("EXTRACT"):
        return f"EXTRACT(HOUR FROM ts AT TIME ZONE '{zone}')"
    name = label.split("(")[0]
    if name == "FORMAT_TIMESTAMP":
        return f"FORMAT_TIMESTAMP('%F', ts, '{zone}')"
    if name == "TIMESTAMP_TRUNC":
        return f"TIMESTAMP_TRUNC(ts, DAY, '{zone}')"
    return f"{name}(ts, '{zone}')"


def _function_name(node: exp.Expression) -> str | None:
    meta = node._meta
    name = meta.get("name") if meta else None
    return str(name).upper() if name else None


def _same(left: exp.Expression, right: exp.Expression) -> bool:
    if type(left) is not type(right) or isinstance(left, exp.Literal):
        return False
    if isinstance(left, exp.Column) and isinstance(right, exp.Column):
        # Column and variable names are case-insensitive in BigQuery.
        return [part.name.lower() for part in left.parts] == [
            part.name.lower() for part in right.parts
        ]
    return left.sql(dialect="bigquery", normalize=True) == right.sql(
        dialect="bigquery", normalize=True
    )


def _unwrap(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren | exp.Cast):
        node = node.this
    return node


def _safe_divisor(divisor: exp.Expression) -> bool:
    value = _constant(divisor)
    if value is not None:
        return value != 0
    if isinstance(divisor, exp.Nullif):
        zero = _constant(_unwrap(divisor.expression))
        return zero == 0
    return False


def _constant(node: exp.Expression) -> float | None:
    """The value of a numeric expression made only of literals, or None."""
    node = _unwrap(node)
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return float(node.this)
        except ValueError:
            return None
    if isinstance(node, exp.Neg):
        value = _constant(node.this)
        return -value if value is not None else None
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div):
        left, right = _constant(node.this), _constant(node.expression)
        if left is None or right is None:
            return None
        if isinstance(node, exp.Add):
            return left + right
        if isinstance(node, exp.Sub):
            return left - right
        if isinstance(node, exp.Mul):
            return left * right
        return left / right if right else None
    return None


def _guarded(node: exp.Expression, divisor: exp.Expression) -> bool:
    """Whether enclosing IFs or CASEs have already ruled out a zero divisor.

    `IF(d = 0, 0, a / d)`, `IF(d > 0, a / d, 0)`, `CASE WHEN d <= 0 THEN 0 ELSE a / d END`;
    a divisor that is a product counts as guarded when each of its factors is.
    """
    factors = _factors(divisor)
    if not factors:
        return False

    guards: list[tuple[exp.Expression, bool]] = []
    child: exp.Expression = node
    parent = node.parent
    while isinstance(parent, exp.Expression):
        if isinstance(parent, exp.If) and child is parent.args.get("true"):
            guards.append((parent.this, True))
        elif isinstance(parent, exp.If) and child is parent.args.get("false"):
            guards.append((parent.this, False))
        elif isinstance(parent, exp.Case) and child is parent.args.get("default"):
            guards.extend((branch.this, False) for branch in parent.args.get("ifs") or ())
        child, parent = parent, parent.parent

    return all(
        any(_rules_out_zero(condition, factor, holds) for condition, holds in guards)
        for factor in factors
    )


def _factors(divisor: exp.Expression) -> list[exp.Expression]:
    """The factors of a product that may be zero; empty when one of them is a literal zero."""
    divisor = _unwrap(divisor)
    if isinstance(divisor, exp.Mul):
        left, right = _factors(divisor.this), _factors(divisor.expression)
        return left + right if left and right else []
    value = _constant(divisor)
    if value is not None:
        # A non-zero constant needs no guard; a marker keeps the product's factor list non-empty.
        return [] if value == 0 else [exp.Literal.number(1)]
    return [divisor]


def _rules_out_zero(condition: exp.Expression, factor: exp.Expression, holds: bool) -> bool:
    """Whether `factor` cannot be zero where `condition` is `holds` (true or false)."""
    if _constant(factor) is not None:
        return True
    while isinstance(condition, exp.Paren):
        condition = condition.this

    if holds:
        if isinstance(condition, exp.And):
            return any(
                _rules_out_zero(side, factor, True)
                for side in (condition.this, condition.expression)
            )
        return isinstance(condition, exp.NEQ | exp.GT | exp.LT) and _with_zero(condition, factor)

    if isinstance(condition, exp.Or):
        return any(
            _rules_out_zero(side, factor, False) for side in (condition.this, condition.expression)
        )
    return isinstance(condition, exp.EQ | exp.GTE | exp.LTE) and _with_zero(condition, factor)


def _with_zero(comparison: exp.Expression, factor: exp.Expression) -> bool:
    """`factor <op> 0` or `0 <op> factor`."""
    left, right = _unwrap(comparison.this), _unwrap(comparison.expression)
    if _constant(right) == 0:
        return _same_value(left, factor)
    return _constant(left) == 0 and _same_value(right, factor)


def _same_value(left: exp.Expression, right: exp.Expression) -> bool:
    if isinstance(left, exp.Column) and isinstance(right, exp.Column):
        return _same(left, right)
    return left.sql(dialect="bigquery", normalize=True) == right.sql(
        dialect="bigquery", normalize=True
    )


def _in_partitioning(node: exp.Expression) -> bool:
    """PARTITION BY DATE(ts) is always UTC in BigQuery and takes no time zone."""
    parent = node.parent
    while parent is not None:
        if isinstance(parent, exp.PartitionedByProperty):
            return True
        parent = parent.parent
    return False


def _inside_ieee_divide(node: exp.Expression) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, exp.Anonymous) and parent.name.upper() == "IEEE_DIVIDE":
            return True
        parent = parent.parent
    return False
