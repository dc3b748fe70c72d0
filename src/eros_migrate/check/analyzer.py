"""GoogleSQL's analyzer, from the `zetasql` package, run in-process through wasmtime.

The package ships the analyzer as a 28 MB WebAssembly module and compiles it on every start
(20 to 60 s). Here the compiled module is serialised once to the cache folder and loaded from
there afterwards, which takes milliseconds. The package's own client copies request bytes one
at a time and keeps only the first line of error messages, so the few calls `check` needs are
made directly on the module's exports with the package's generated protobuf classes.

Nothing here is imported by `--help` or `lint`: `eros_migrate.check` imports this module only
inside functions.
"""

from __future__ import annotations

import ctypes
import importlib.util
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from google.protobuf import empty_pb2
from google.protobuf.message import Message
from wasmtime import (
    Config,
    Engine,
    Func,
    Linker,
    Memory,
    Module,
    SharedMemory,
    Store,
    Trap,
    WasiConfig,
    WasmtimeError,
)
from zetasql.wasi import get_wasm_path
from zetasql.wasi._pb2.zetasql.local_service import local_service_pb2 as service
from zetasql.wasi._pb2.zetasql.proto import options_pb2
from zetasql.wasi._pb2.zetasql.proto.simple_catalog_pb2 import SimpleCatalogProto
from zetasql.wasi._pb2.zetasql.public import options_pb2 as public_options
from zetasql.wasi._pb2.zetasql.public import type_pb2
from zetasql.wasi._pb2.zetasql.resolved_ast import resolved_node_kind_pb2
from zetasql.wasi._pb2.zetasql.resolved_ast.resolved_ast_pb2 import AnyResolvedStatementProto

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Message)

CACHE_ENV = "EROS_MIGRATE_CACHE_DIR"
_WASM32_SIZE = 4
# "Code: 3, Message: ..."; the message may span lines (lists of supported signatures).
_ERROR = re.compile(r"Code: (\d+), Message: (.*)", re.DOTALL)
# ERROR_MESSAGE_ONE_LINE appends the position of the error in the analysed text.
_LOCATION = re.compile(r"\s*\[at (\d+):(\d+)\]\s*$")
_INVALID_ARGUMENT = 3
# Features GoogleSQL has and BigQuery lacks, where turning them off gives BigQuery's answer
# (an aggregate of an aggregate is an error there, not a request for GROUP BY modifiers).
_NOT_IN_BIGQUERY = frozenset(
    {
        public_options.FEATURE_MULTILEVEL_AGGREGATION,
        public_options.FEATURE_V_1_4_MULTILEVEL_AGGREGATION,
        public_options.FEATURE_MULTILEVEL_AGGREGATION_ON_UDAS,
    }
)


class AnalyzerCrashed(Exception):
    """The module hit an internal check and aborted; the instance cannot be used any more."""


@dataclass
class AnalysisError(Exception):
    """GoogleSQL rejected the text; `line` and `column` (1-based) are those it reported."""

    message: str
    line: int | None
    column: int | None
    code: int

    def __str__(self) -> str:
        return self.message


def versions() -> tuple[str, str]:
    return metadata.version("zetasql"), metadata.version("wasmtime")


def cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "eros-migrate"


def cache_path() -> Path:
    zetasql_version, wasmtime_version = versions()
    return cache_dir() / f"zetasql-{zetasql_version}-wasmtime-{wasmtime_version}.cwasm"


def is_cached() -> bool:
    return cache_path().is_file()


def _engine() -> Engine:
    # The module imports a shared memory; compile and load must use the same settings.
    config = Config()
    config.shared_memory = True
    return Engine(config)


def _load_module(engine: Engine) -> Module:
    """The compiled module from the cache, compiling and caching it on a miss."""
    path = cache_path()
    if path.is_file():
        try:
            return Module.deserialize_file(engine, str(path))
        except WasmtimeError as error:
            # A file from another build of wasmtime or a truncated write: compile afresh.
            log.warning("ignoring unusable analyzer cache %s: %s", path, error)

    log.info("compiling the GoogleSQL analyzer (once; cached in %s)", path)
    module = Module.from_file(engine, str(get_wasm_path()))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as out:
            out.write(module.serialize())
        os.chmod(out.name, 0o644)
        os.replace(out.name, path)
    except OSError as error:
        log.warning("cannot write the analyzer cache %s: %s", path, error)
    return module


def _zoneinfo_dir() -> str | None:
    # CURRENT_DATE('America/Los_Angeles') and friends read the zone files of `tzdata`.
    spec = importlib.util.find_spec("tzdata")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "zoneinfo"
    return str(folder) if folder.is_dir() else None


class _Instance:
    """One instantiation of the module: its memory and the exported service calls."""

    def __init__(self, engine: Engine, module: Module) -> None:
        wasi = WasiConfig()
        zoneinfo = _zoneinfo_dir()
        if zoneinfo:
            wasi.preopen_dir(zoneinfo, "/usr/share/zoneinfo")
        self.store = Store(engine)
        self.store.set_wasi(wasi)
        linker = Linker(engine)
        linker.define_wasi()
        instance = linker.instantiate(self.store, module)
        exports = instance.exports(self.store)
        self.functions: dict[str, Func] = {}
        for name, item in exports.items():
            if isinstance(item, Func):
                self.functions[name] = item
            elif isinstance(item, Memory | SharedMemory) and name == "memory":
                self.memory: Memory | SharedMemory = item
        if "_initialize" in self.functions:
            self.functions["_initialize"](self.store)

    def _view(self, pointer: int, size: int) -> Any:
        memory = self.memory
        if isinstance(memory, SharedMemory):
            base = memory.data_ptr()
        else:
            base = memory.data_ptr(self.store)
        return (ctypes.c_ubyte * size).from_address(ctypes.addressof(base.contents) + pointer)

    def _export(self, name: str, *args: int) -> int:
        result = self.functions[name](self.store, *args)
        assert isinstance(result, int)
        return result

    def _free(self, pointer: int) -> None:
        self.functions["wasm_free"](self.store, pointer)

    def call(self, method: str, request: Message, response_type: type[M]) -> M:
        data = request.SerializeToString()
        request_pointer = self._export("wasm_malloc", max(len(data), 1))
        size_pointer = self._export("wasm_malloc", _WASM32_SIZE)
        try:
            ctypes.memmove(self._view(request_pointer, len(data)), data, len(data))
            response_pointer = self._export(
                f"ZetaSqlLocalService_{method}", request_pointer, len(data), size_pointer
            )
            if response_pointer == 0:
                size = self._export("wasm_get_last_error_size")
                text = bytes(self._view(self._export("wasm_get_last_error"), size)).decode()
                raise _analysis_error(text)

            size = int.from_bytes(bytes(self._view(size_pointer, _WASM32_SIZE)), "little")
            response = bytes(self._view(response_pointer, size))
            self._free(response_pointer)
            parsed: M = response_type.FromString(response)
            return parsed
        finally:
            self._free(request_pointer)
            self._free(size_pointer)


def _analysis_error(text: str) -> AnalysisError:
    match = _ERROR.match(text)
    code, message = (int(match[1]), match[2]) if match else (2, text)
    line = column = None
    location = _LOCATION.search(message)
    if location:
        line, column = int(location[1]), int(location[2])
        message = message[: location.start()]
    return AnalysisError(message.strip(), line, column, code)


class Analyzer:
    """GoogleSQL's analyzer with BigQuery's language options and registered catalogs.

    A crash of the module (an internal CHECK) raises `AnalyzerCrashed` once; the next call
    runs on a fresh instance, and `generation` tells callers that their registered catalogs
    are gone.
    """

    def __init__(self) -> None:
        self._engine = _engine()
        self._module = _load_module(self._engine)
        self.generation = 0
        self._start()

    def _start(self) -> None:
        self._instance = _Instance(self._engine, self._module)
        self._dead = False
        self.language = self._call(
            "GetLanguageOptions",
            service.LanguageOptionsRequest(maximum_features=True),
            options_pb2.LanguageOptionsProto,
        )
        self.language.product_mode = public_options.PRODUCT_EXTERNAL
        features = [
            feature
            for feature in self.language.enabled_language_features
            if feature not in _NOT_IN_BIGQUERY
        ]
        del self.language.enabled_language_features[:]
        self.language.enabled_language_features.extend(features)
        self.language.supported_statement_kinds.extend(
            value
            for name, value in resolved_node_kind_pb2.ResolvedNodeKind.items()
            if name.endswith("_STMT")
        )

    def _call(self, method: str, request: Message, response_type: type[M]) -> M:
        if self._dead:
            self.generation += 1
            self._start()
        try:
            return self._instance.call(method, request, response_type)
        except (Trap, WasmtimeError) as error:
            self._dead = True
            raise AnalyzerCrashed(str(error).splitlines()[0] if str(error) else "abort") from error

    def register(self, catalog: SimpleCatalogProto, *, builtins: bool = True) -> int:
        """Register `catalog`, by default with the builtin functions; returns its id.

        Without builtins (not even operators) registering takes well under a millisecond
        instead of 20 ms or more; that serves statements with no expression in them.
        """
        if builtins:
            catalog.builtin_function_options.language_options.CopyFrom(self.language)
        response = self._call(
            "RegisterCatalog",
            service.RegisterCatalogRequest(simple_catalog=catalog),
            service.RegisterResponse,
        )
        return int(response.registered_id)

    def unregister(self, catalog_id: int) -> None:
        try:
            self._call(
                "UnregisterCatalog",
                service.UnregisterRequest(registered_id=catalog_id),
                empty_pb2.Empty,
            )
        except AnalysisError as error:
            log.debug("unregistering catalog %s: %s", catalog_id, error)

    def analyze(
        self,
        sql: str,
        catalog_id: int,
        system_variables: dict[str, type_pb2.TypeProto] | None = None,
    ) -> AnyResolvedStatementProto:
        """Analyse one statement; raises `AnalysisError` with GoogleSQL's message."""
        options = options_pb2.AnalyzerOptionsProto(
            language_options=self.language,
            error_message_mode=public_options.ERROR_MESSAGE_ONE_LINE,
        )
        for name, kind in (system_variables or {}).items():
            options.system_variables.add(name_path=name.split("."), type=kind)
        # CREATE TABLE ... PARTITION BY _PARTITIONDATE names the ingestion-time columns.
        options.ddl_pseudo_columns.add(
            name="_PARTITIONTIME", type=type_pb2.TypeProto(type_kind=type_pb2.TYPE_TIMESTAMP)
        )
        options.ddl_pseudo_columns.add(
            name="_PARTITIONDATE", type=type_pb2.TypeProto(type_kind=type_pb2.TYPE_DATE)
        )
        response = self._call(
            "Analyze",
            service.AnalyzeRequest(
                options=options, registered_catalog_id=catalog_id, sql_statement=sql
            ),
            service.AnalyzeResponse,
        )
        return response.resolved_statement


def is_invalid_argument(error: AnalysisError) -> bool:
    return error.code == _INVALID_ARGUMENT
