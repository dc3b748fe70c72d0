"""The v2 UDFs: wilson_score_bounds, wilson_sample, caption_key_v2 and caption_key."""

from __future__ import annotations

import hashlib
import math
import random
import re
import unicodedata
from typing import TYPE_CHECKING

import pytest

from tests.eros.builders import literal
from tests.eros.conftest import Eros

if TYPE_CHECKING:
    from google.cloud import bigquery

Z = 1.96

# What the migration's regexes treat as whitespace: RE2's \s (ASCII whitespace without \v),
# plus \v, U+0085 and the Unicode separators (category Z).
ASCII_SPACE = "\t\n\v\f\r \x85"


def is_space(ch: str) -> bool:
    return ch in ASCII_SPACE or unicodedata.category(ch).startswith("Z")

SYMBOL_CATEGORIES = {"So", "Sk", "Sm", "Sc"}
EMOJI_GLUE = {chr(code) for code in range(0xFE00, 0xFE10)} | {"\u200d", "\u20e3"}


def wilson(successes: int, failures: int) -> tuple[float, float, float]:
    """The closed-form Wilson 95 % interval and the exploration bonus 1/sqrt(n+1)."""
    n = successes + failures
    if n == 0:
        return 0.0, 1.0, 1.0

    p = successes / n
    centre = p + Z * Z / (2 * n)
    spread = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    denominator = 1 + Z * Z / n
    return (centre - spread) / denominator, (centre + spread) / denominator, 1 / math.sqrt(n + 1)


def normalised(text: str) -> str:
    """caption_key_v2's normalisation as its migration header states it (D-32 fixed)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    no_symbols = "".join(
        ch
        for ch in folded
        if unicodedata.category(ch) not in SYMBOL_CATEGORIES and ch not in EMOJI_GLUE
    )
    kept = "".join(
        ch
        for ch in no_symbols
        if unicodedata.category(ch)[0] in "LMN" or ch == "_" or is_space(ch)
    )
    collapsed = "".join(" " if is_space(ch) else ch for ch in kept)
    return re.sub(" +", " ", collapsed).strip(" ")


def python_key(text: str) -> str:
    return hashlib.sha256(normalised(text).encode("utf-8")).hexdigest()


# The rows of @pairs with their counts as true INT64 (see pairs_parameter).
PAIRS = "(SELECT p.i, CAST(p.s AS INT64) AS s, CAST(p.f AS INT64) AS f FROM UNNEST(@pairs) AS p)"


def pairs_parameter(pairs: list[tuple[int, int]]) -> bigquery.ArrayQueryParameter:
    """@pairs, an ARRAY<STRUCT<i, s, f>>: as a parameter, the engine reads a thousand pairs
    in a fraction of a second, where an array literal of structs takes several seconds.

    The engine binds an INT64 parameter that fits in 32 bits as a 32-bit integer, so queries
    CAST the counts (PAIRS) before the UDF multiplies them.
    """
    from google.cloud import bigquery

    return bigquery.ArrayQueryParameter(
        "pairs",
        "STRUCT",
        [
            bigquery.StructQueryParameter(
                None,
                bigquery.ScalarQueryParameter("i", "INT64", i),
                bigquery.ScalarQueryParameter("s", "INT64", s),
                bigquery.ScalarQueryParameter("f", "INT64", f),
            )
            for i, (s, f) in enumerate(pairs)
        ],
    )


def random_pairs(count: int, seed: int) -> list[tuple[int, int]]:
    """Pairs that cover n = 0, one-sided counts, small and large samples."""
    rng = random.Random(seed)
    pairs = [(0, 0), (1, 0), (0, 1), (1, 1), (1, 3), (50, 50), (90, 10), (0, 500), (700, 0)]
    while len(pairs) < count:
        scale = rng.choice((3, 30, 1_000, 1_000_000))
        pairs.append((rng.randint(0, scale), rng.randint(0, scale)))
    return pairs


def test_wilson_score_bounds_is_the_closed_form_wilson_interval(eros: Eros) -> None:
    pairs = random_pairs(1_000, seed=20251031)

    rows = eros.query(
        f"SELECT p.i, `$ds.wilson_score_bounds`(p.s, p.f) AS b FROM {PAIRS} AS p",
        [pairs_parameter(pairs)],
    )

    assert len(rows) == len(pairs)
    for row in rows:
        successes, failures = pairs[row["i"]]
        lower, upper, bonus = wilson(successes, failures)
        bounds = row["b"]
        assert bounds["lower_bound"] == pytest.approx(lower, abs=1e-9), (successes, failures)
        assert bounds["upper_bound"] == pytest.approx(upper, abs=1e-9), (successes, failures)
        assert bounds["exploration_bonus"] == pytest.approx(bonus, abs=1e-9), (successes, failures)


def test_wilson_score_bounds_of_no_observations_is_the_whole_interval(eros: Eros) -> None:
    rows = eros.query("SELECT `$ds.wilson_score_bounds`(0, 0) AS b")

    assert rows[0]["b"] == {"lower_bound": 0.0, "upper_bound": 1.0, "exploration_bonus": 1.0}


def test_wilson_sample_draws_inside_the_bounds_and_the_unit_interval(eros: Eros) -> None:
    pairs = random_pairs(200, seed=7)
    draws = 25

    rows = eros.query(
        "SELECT p.i, `$ds.wilson_sample`(p.s, p.f) AS x\n"
        f"FROM {PAIRS} AS p\n"
        f"CROSS JOIN UNNEST(GENERATE_ARRAY(1, {draws})) AS draw",
        [pairs_parameter(pairs)],
    )

    assert len(rows) == len(pairs) * draws
    for row in rows:
        successes, failures = pairs[row["i"]]
        lower, upper, _ = wilson(successes, failures)
        value = row["x"]
        assert 0.0 <= value <= 1.0, (successes, failures, value)
        assert max(lower, 0.0) - 1e-12 <= value <= min(upper, 1.0) + 1e-12, (
            successes,
            failures,
            value,
        )


def test_wilson_sample_without_observations_is_uniform_on_the_unit_interval(eros: Eros) -> None:
    rows = eros.query(
        "SELECT `$ds.wilson_sample`(0, 0) AS x FROM UNNEST(GENERATE_ARRAY(1, 2000)) AS draw"
    )

    values = [row["x"] for row in rows]
    assert all(0.0 <= value <= 1.0 for value in values)
    # A constant or a narrow draw would fail these; a uniform one passes with a wide margin.
    assert abs(sum(values) / len(values) - 0.5) < 0.05
    assert min(values) < 0.05 and max(values) > 0.95


# Texts that differ only in case, whitespace runs, punctuation, symbols or emoji.
SAME_KEY_GROUPS = [
    ["Hello World", "hello world", "HELLO   WORLD", "  hello\tworld\n", "Hello, World!!!"],
    ["🔥 Hot deal 🔥", "hot deal", "HOT DEAL 💯", "hot   deal ✨✨", "❤️ hot deal ❤️"],
    ["Only $9 today", "only 9 today", "Only 9 today!", "only 9 today 👩🏽‍❤️‍👨🏻"],
    ["ＦＵＬＬ ｗｉｄｔｈ", "full width", "Full\u00a0Width"],
    ["line one", "line\u2028one", "line\u2029one", "line\vone", "line\x85one", "line\u1680one"],
    ["Élan Über", "élan über", "ÉLAN ÜBER!", "élan  über 😍"],
    ["1️⃣ new set", "1 new set"],
    ["a + b = c", "a b c"],
]

# Different words must keep different keys, including non-ASCII ones (D-32).
DIFFERENT_TEXTS = [
    "hello world",
    "hello there",
    "world hello",
    "helloworld",
    "hello world 2",
    "élan",
    "elan",
    "привет мир",
    "привет",
    "こんにちは",
    "new_set",
    "new set",
]


def test_caption_key_v2_folds_case_spacing_punctuation_symbols_and_emoji(eros: Eros) -> None:
    texts = [text for group in SAME_KEY_GROUPS for text in group]

    keys = key_map(eros, texts)

    for group in SAME_KEY_GROUPS:
        assert len({keys[text] for text in group}) == 1, group
    assert len({keys[group[0]] for group in SAME_KEY_GROUPS}) == len(SAME_KEY_GROUPS)


def test_caption_key_v2_keeps_different_words_apart(eros: Eros) -> None:
    keys = key_map(eros, DIFFERENT_TEXTS)

    assert len(set(keys.values())) == len(DIFFERENT_TEXTS)


def test_caption_key_v2_is_the_sha256_of_the_documented_normalisation(eros: Eros) -> None:
    texts = [text for group in SAME_KEY_GROUPS for text in group] + DIFFERENT_TEXTS + ["", "!!!"]

    keys = key_map(eros, texts)

    for text in texts:
        assert re.fullmatch(r"[0-9a-f]{64}", keys[text]), text
        assert keys[text] == python_key(text), (text, normalised(text))
    assert keys["!!!"] == hashlib.sha256(b"").hexdigest()


def test_caption_key_v2_of_null_is_null(eros: Eros) -> None:
    rows = eros.query(
        "SELECT `$ds.caption_key_v2`(CAST(NULL AS STRING)) AS v2,"
        " `$ds.caption_key`(CAST(NULL AS STRING)) AS v1"
    )

    assert rows == [{"v2": None, "v1": None}]


def test_caption_key_delegates_to_caption_key_v2(eros: Eros) -> None:
    texts = ["Test", "Hello World", "🔥 Hot deal 🔥", "Élan", "привет мир", ""]

    rows = eros.query(
        "SELECT t, `$ds.caption_key`(t) AS key, `$ds.caption_key_v2`(t) AS key_v2\n"
        f"FROM UNNEST({string_array(texts)}) AS t"
    )

    assert len(rows) == len(texts)
    for row in rows:
        assert row["key"] == row["key_v2"] == python_key(row["t"])


def key_map(eros: Eros, texts: list[str]) -> dict[str, str]:
    """caption_key_v2 of every text, in one query."""
    rows = eros.query(
        f"SELECT t, `$ds.caption_key_v2`(t) AS key FROM UNNEST({string_array(texts)}) AS t"
    )
    return {row["t"]: row["key"] for row in rows}


def string_array(texts: list[str]) -> str:
    return literal(list(texts))
