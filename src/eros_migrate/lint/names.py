"""Names: how table and routine references split into project, dataset and object."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from eros_migrate.lint.source import UNKNOWN_VALUE_PREFIX
from eros_migrate.placeholders import LINT_DATASET, LINT_PROJECT

INFORMATION_SCHEMA = "information_schema"

# Prefixes of BigQuery's own function families (`SAFE.SUBSTR`, `NET.HOST`, ...): a call under
# one of them names no dataset.
FUNCTION_NAMESPACES = frozenset(
    {
        "safe",
        "net",
        "keys",
        "aead",
        "deterministic_encrypt",
        "hll_count",
        "kll_quantiles",
        "ml",
        "vector",
        "obj",
        "ai",
        "appends",
        "changes",
    }
)

# BigQuery functions sqlglot may not know and would keep as anonymous calls; a bare call of
# any other unknown name is a user routine that needs its dataset.
_BUILTIN_NAMES = """
appends changes external_query vector_search
abs acos acosh any_value approx_count_distinct approx_quantiles approx_top_count
approx_top_sum array array_agg array_concat array_concat_agg array_first array_last
array_length array_reverse array_slice array_to_string ascii asin asinh atan atan2 atanh
avg bit_and bit_count bit_or bit_xor bool byte_length cast cbrt ceil ceiling char_length
character_length chr code_points_to_bytes code_points_to_string coalesce collate concat
contains_substr corr cos cosh cosine_distance cot coth count countif covar_pop covar_samp
csc csch cume_dist current_date current_datetime current_time current_timestamp date
date_add date_bucket date_diff date_from_unix_date date_sub date_trunc datetime
datetime_add datetime_bucket datetime_diff datetime_sub datetime_trunc dense_rank div
edit_distance ends_with error euclidean_distance exp extract farm_fingerprint first_value
float64 floor format format_date format_datetime format_time format_timestamp from_base32
from_base64 from_hex gap_fill generate_array generate_date_array generate_range_array
generate_timestamp_array generate_uuid greatest grouping hex if ieee_divide ifnull initcap
instr int64 is_inf is_nan json_array json_array_append json_array_insert json_extract
json_extract_array json_extract_scalar json_extract_string_array json_keys json_object
json_query json_query_array json_remove json_set json_strip_nulls json_type json_value
json_value_array justify_days justify_hours justify_interval lag last_day last_value
lax_bool lax_float64 lax_int64 lax_string lead least left length ln log log10 logical_and
logical_or lower lpad ltrim make_interval max max_by md5 min min_by mod normalize
normalize_and_casefold nth_value ntile nullif nullifzero parse_bignumeric parse_date
parse_datetime parse_json parse_numeric parse_time parse_timestamp percent_rank
percentile_cont percentile_disc pow power rand range range_bucket range_contains range_end
range_intersect range_overlaps range_sessionize range_start rank regexp_contains
regexp_extract regexp_extract_all regexp_instr regexp_replace regexp_substr repeat replace
reverse right round row_number rpad rtrim safe_add safe_cast safe_convert_bytes_to_string
safe_divide safe_multiply safe_negate safe_subtract sec sech session_user sha1 sha256
sha512 sign sin sinh soundex split split_substr sqrt st_area st_asbinary st_asgeojson
st_astext st_boundary st_buffer st_centroid st_contains st_covers st_distance st_dwithin
st_geogfromtext st_geogpoint st_intersects st_length st_makeline st_x st_y starts_with
stddev stddev_pop stddev_samp string string_agg strpos struct substr substring sum tan
tanh time time_add time_diff time_sub time_trunc timestamp timestamp_add timestamp_bucket
timestamp_diff timestamp_micros timestamp_millis timestamp_seconds timestamp_sub
timestamp_trunc to_base32 to_base64 to_code_points to_hex to_json to_json_string translate
trim trunc typeof unicode unix_date unix_micros unix_millis unix_seconds upper var_pop
var_samp variance zeroifnull
"""
BUILTIN_FUNCTIONS = frozenset(_BUILTIN_NAMES.split())


@dataclass(frozen=True)
class Reference:
    """A table or routine reference split into its parts; absent parts are None."""

    project: str | None
    dataset: str | None
    name: str
    region: str | None = None
    information_schema: bool = False

    @property
    def qualified(self) -> bool:
        return self.dataset is not None or self.region is not None

    def hardcoded_part(self) -> str | None:
        """The literal project or dataset this reference names instead of a placeholder."""
        for what, value, expected in (
            ("project", self.project, LINT_PROJECT),
            ("dataset", self.dataset, LINT_DATASET),
        ):
            if value is None or value == expected or value.startswith(UNKNOWN_VALUE_PREFIX):
                continue
            return f"{what} `{value}`"
        return None

    def key(self) -> str:
        """The fully qualified name, with the lint project and dataset filled in."""
        dataset = self.dataset or LINT_DATASET
        return f"{self.project or LINT_PROJECT}.{dataset}.{self.name}"


def split_parts(parts: list[str]) -> Reference | None:
    """Read `[project.][dataset.]name`, including INFORMATION_SCHEMA and region qualifiers."""
    names = [piece for part in parts for piece in part.split(".") if piece]
    if not names:
        return None

    lowered = [name.lower() for name in names]
    if INFORMATION_SCHEMA in lowered:
        index = lowered.index(INFORMATION_SCHEMA)
        qualifier = names[:index]
        view = ".".join(names[index:])
        if qualifier and qualifier[-1].lower().startswith("region-"):
            project = qualifier[-2] if len(qualifier) >= 2 else None
            return Reference(project, None, view, region=qualifier[-1], information_schema=True)
        dataset = qualifier[-1] if qualifier else None
        project = qualifier[-2] if len(qualifier) >= 2 else None
        return Reference(project, dataset, view, information_schema=True)

    name = names[-1]
    dataset = names[-2] if len(names) >= 2 else None
    project = ".".join(names[:-2]) if len(names) >= 3 else None
    return Reference(project, dataset, name)


def table_reference(table: exp.Table) -> Reference | None:
    """The reference a `Table` node makes, or None for a table-valued call without a name."""
    parts: list[str] = []
    for key in ("catalog", "db"):
        part = table.args.get(key)
        if isinstance(part, exp.Identifier):
            parts.append(part.name)

    this = table.this
    if isinstance(this, exp.Identifier | exp.Anonymous):
        parts.append(this.name)
    elif isinstance(this, exp.Dot):
        parts.extend(dotted_names(this))
    elif this is not None:
        return None
    return split_parts(parts)


def dotted_names(node: exp.Expression) -> list[str]:
    """`a.b.c` written as nested Dot, Column or Identifier nodes, as a list of names."""
    if isinstance(node, exp.Identifier):
        return [node.name]
    if isinstance(node, exp.Dot):
        return dotted_names(node.this) + dotted_names(node.expression)
    if isinstance(node, exp.Column):
        return [part.name for part in node.parts]
    if isinstance(node, exp.Anonymous):
        return [node.name]
    return [node.name] if node.name else []


def text_reference(name: str) -> Reference | None:
    """A reference written as text, e.g. a procedure name the script parser kept as a string."""
    return split_parts([piece.strip("`") for piece in name.strip().split(".")])
