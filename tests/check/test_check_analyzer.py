"""The analyzer wrapper: cached module, results by content, positions, recovery from aborts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eros_migrate.check import analyzer as analyzer_module
from eros_migrate.check.analyzer import AnalysisError, Analyzer, AnalyzerCrashed
from eros_migrate.check.positions import Text, offset
from eros_migrate.check.session import Registration, Session


def test_cache_folder_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EROS_MIGRATE_CACHE_DIR", str(tmp_path))

    path = analyzer_module.cache_path()

    assert path.parent == tmp_path
    assert path.name.startswith("zetasql-0.1.5-wasmtime-") and path.suffix == ".cwasm"


def test_columns_count_tabs_as_googlesql_does() -> None:
    # GoogleSQL reports columns with tabs expanded to 8 and in characters, not bytes.
    sql = "SELECT\tfoo, 'é',\tbar"

    assert sql[offset(sql, 1, 9) :].startswith("foo")
    assert sql[offset(sql, 1, 25) :].startswith("bar")


def test_positions_inside_a_wrapped_fragment_map_back_to_the_file() -> None:
    piece = Text("a +\n  nope", line=10, column=5, prefix="SELECT (", suffix=")")

    assert piece.position(2, 3) == (11, 3)
    assert piece.position(1, 9) == (10, 5)
    assert piece.position(None, None) == (10, 5)


def empty_catalog() -> Any:
    from zetasql.wasi._pb2.zetasql.proto.simple_catalog_pb2 import SimpleCatalogProto

    return SimpleCatalogProto(name="root")


def test_results_are_reused_without_loading_the_analyzer(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    store = tmp_path / "results.sqlite"
    first = Session(lambda: analyzer, store)
    registration = Registration(empty_catalog(), builtins=True)
    first.analyze("SELECT 1 AS one", registration, {})
    with pytest.raises(AnalysisError):
        first.analyze("SELECT nope", registration, {})
    first.save()

    def no_analyzer() -> Analyzer:
        raise AssertionError("the analyzer must not be loaded for stored results")

    second = Session(no_analyzer, store)
    resolved = second.analyze("SELECT 1 AS one", Registration(empty_catalog(), True), {})
    assert resolved.resolved_query_stmt_node.output_column_list[0].name == "one"
    with pytest.raises(AnalysisError, match="Unrecognized name: nope"):
        second.analyze("SELECT nope", Registration(empty_catalog(), True), {})


def test_an_abort_costs_one_statement_and_the_next_call_gets_a_fresh_instance(
    analyzer: Analyzer,
) -> None:
    from zetasql.wasi._pb2.zetasql.proto.function_pb2 import FunctionSignatureProto
    from zetasql.wasi._pb2.zetasql.public import function_pb2, type_pb2

    # A procedure whose return type is VOID makes the module hit an internal check on a
    # matching CALL; the catalog avoids that, so build it by hand here.
    signature = FunctionSignatureProto()
    argument = signature.argument.add(
        kind=function_pb2.ARG_TYPE_FIXED,
        type=type_pb2.TypeProto(type_kind=type_pb2.TYPE_INT64),
        num_occurrences=1,
    )
    argument.options.argument_name = "a"
    signature.return_type.kind = function_pb2.ARG_TYPE_VOID
    catalog = empty_catalog()
    catalog.procedure.add(name_path=["p"], signature=signature)
    generation = analyzer.generation
    catalog_id = analyzer.register(catalog)

    with pytest.raises(AnalyzerCrashed):
        analyzer.analyze("CALL p(1)", catalog_id)

    fresh = analyzer.register(empty_catalog())
    assert analyzer.generation == generation + 1
    resolved = analyzer.analyze("SELECT 2 AS two", fresh)
    assert resolved.resolved_query_stmt_node.output_column_list[0].name == "two"
