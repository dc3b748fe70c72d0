"""The embedded local engine: bqemulator run in-process, reached like any BigQuery endpoint.

The engine is a DuckDB-backed BigQuery emulator. ``LocalEngine`` runs its server on a daemon
thread with a private asyncio loop, so a migration run, a test or a REPL can use it through an
ordinary ``google.cloud.bigquery.Client``. ``serve`` runs the same server in the foreground for
other tools to connect to.

bqemulator and google-cloud-bigquery are imported inside functions only: importing them costs
about a second, which ``eros-migrate --help`` and ``lint`` must not pay.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from eros_migrate import local_compat

if TYPE_CHECKING:
    from google.cloud import bigquery

log = logging.getLogger(__name__)

# Everything the engine logs arrives here at DEBUG, whatever its own level: engine warnings
# (a failed query, an internal traceback) reach the user as errors from the client already,
# so at default verbosity they would only be noise on the CLI's stderr.
engine_log = logging.getLogger(__name__ + ".engine")

_START_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 15.0

# Loggers of the engine and of the servers it embeds.
_ENGINE_LOGGERS = ("bqemulator", "uvicorn", "uvicorn.error", "uvicorn.access", "grpc")

# Threads that run engine code: the server thread and its loop's worker threads.
_THREAD_PREFIX = "eros-local-engine"

_logging_routed = False
_logging_lock = threading.Lock()


class _ForwardToDebug(logging.Handler):
    """Re-emit an engine log record as a DEBUG record of ``engine_log``."""

    def emit(self, record: logging.LogRecord) -> None:
        engine_log.debug("%s: %s", record.name, record.getMessage(), exc_info=record.exc_info)


class _EngineThreadsToDebug(logging.Filter):
    """On a shared library's logger, divert the records that engine threads emit.

    The engine translates every statement with sqlglot, which warns about each construct it
    only half understands (procedure bodies, CALL); eros-migrate's own sqlglot use, on other
    threads, keeps its normal logging.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.threadName and record.threadName.startswith(_THREAD_PREFIX):
            engine_log.debug("%s: %s", record.name, record.getMessage())
            return False
        return True


def route_engine_logs() -> None:
    """Send the engine's structlog output and its servers' logs to ``engine_log`` at DEBUG.

    Must run before bqemulator is imported: some of its modules log while being imported, and
    structlog's default configuration prints straight to stdout. Idempotent.
    """
    global _logging_routed

    with _logging_lock:
        if _logging_routed:
            return

        import structlog

        # A plain key=value line handed to the stdlib logger of the same name; the filtering
        # wrapper drops INFO and DEBUG chatter before any formatting work is done.
        structlog.configure(
            processors=[
                structlog.processors.format_exc_info,
                structlog.processors.KeyValueRenderer(key_order=["event"]),
            ],
            wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
            context_class=dict,
            logger_factory=structlog.stdlib.LoggerFactory(),
            cache_logger_on_first_use=False,
        )

        handler = _ForwardToDebug()
        for name in _ENGINE_LOGGERS:
            engine_logger = logging.getLogger(name)
            engine_logger.handlers = [handler]
            engine_logger.setLevel(logging.WARNING)
            engine_logger.propagate = False
        logging.getLogger("sqlglot").addFilter(_EngineThreadsToDebug())

        # DuckDB warns through `warnings` about how the engine fetches Arrow results.
        warnings.filterwarnings("ignore", module=r"bqemulator(\.|$)")

        _logging_routed = True


def _prepare_engine() -> None:
    """Quiet the engine's logging, then apply every compatibility fix."""
    route_engine_logs()

    import bqemulator.server

    # The engine reconfigures structlog and forces the root logger's configuration on start;
    # the process's logging belongs to its host program.
    setattr(bqemulator.server, "configure_logging", lambda **_kwargs: None)  # noqa: B010

    local_compat.install()


def _settings(data_dir: Path | None, host: str, rest_port: int, grpc_port: int) -> Any:
    """Engine settings: local only, no metrics, no extension downloads."""
    from bqemulator.config import PersistenceMode, Settings

    persistence: dict[str, Any] = {"persistence_mode": PersistenceMode.EPHEMERAL}
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        persistence = {"persistence_mode": PersistenceMode.PERSISTENT, "data_dir": data_dir}

    return Settings(
        rest_host=host,
        rest_port=rest_port,
        grpc_host=host,
        grpc_port=grpc_port,
        enable_format_extensions=False,
        metrics_enabled=False,
        **persistence,
    )


class LocalEngine:
    """The embedded engine, ephemeral (``data_dir=None``) or persistent under ``data_dir``.

    Use it as a context manager, or call ``start`` and ``stop``. Each instance has its own
    DuckDB database, server thread and port; instances in one process do not see each other.
    """

    def __init__(self, data_dir: Path | None, project: str = "local-project") -> None:
        self.data_dir = data_dir
        self.project = project
        self._server: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._rest_url: str | None = None

    def __enter__(self) -> LocalEngine:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def rest_url(self) -> str:
        """Base URL of the engine's REST endpoint, e.g. ``http://127.0.0.1:41234``."""
        if self._rest_url is None:
            raise RuntimeError("the local engine is not running; call start() first")
        return self._rest_url

    @property
    def running(self) -> bool:
        """Whether the engine is started and not yet stopped."""
        return self._rest_url is not None

    def start(self) -> None:
        """Start the engine and return once it accepts requests. A second call does nothing."""
        if self._rest_url is not None:
            return

        started_at = time.monotonic()
        _prepare_engine()
        from bqemulator.server import EmulatorServer

        server = EmulatorServer(_settings(self.data_dir, "127.0.0.1", 0, 0))
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.set_default_executor(ThreadPoolExecutor(thread_name_prefix=_THREAD_PREFIX))
            try:
                loop.run_until_complete(server.start())
            except BaseException as exc:  # handed to the starting thread below
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()

        thread = threading.Thread(target=run, name=_THREAD_PREFIX, daemon=True)
        thread.start()

        if not ready.wait(_START_TIMEOUT_S):
            raise RuntimeError(f"the local engine did not start within {_START_TIMEOUT_S:.0f} s")
        if failure:
            thread.join(_STOP_TIMEOUT_S)
            loop.close()
            raise RuntimeError(f"the local engine failed to start: {failure[0]}") from failure[0]

        self._server, self._loop, self._thread = server, loop, thread
        self._rest_url = server.rest_url
        log.debug(
            "local engine at %s (data_dir=%s) started in %.2f s",
            self._rest_url,
            self.data_dir,
            time.monotonic() - started_at,
        )

    def stop(self) -> None:
        """Stop the engine and close its database. A second call does nothing."""
        if self._loop is None or self._thread is None:
            return

        loop, thread = self._loop, self._thread
        try:
            asyncio.run_coroutine_threadsafe(self._server.stop(), loop).result(_STOP_TIMEOUT_S)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(_STOP_TIMEOUT_S)
            if not thread.is_alive():
                loop.close()
            self._server = self._loop = self._thread = None
            self._rest_url = None
        log.debug("local engine (data_dir=%s) stopped", self.data_dir)

    def client(self) -> bigquery.Client:
        """A BigQuery client for this engine, anonymous, billed to ``self.project``."""
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        return bigquery.Client(
            project=self.project,
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options=ClientOptions(api_endpoint=self.rest_url),
        )


def serve(
    data_dir: Path,
    host: str = "127.0.0.1",
    port: int = 9050,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Run a persistent engine in the foreground until SIGINT or SIGTERM.

    ``on_ready`` receives the REST URL once the engine accepts requests, so that a caller
    (or a process waiting on this one's output) never connects too early.
    """
    _prepare_engine()
    from bqemulator.server import EmulatorServer

    # The engine's loop runs on this thread here, out of reach of the thread-name filter; in a
    # serving process every sqlglot warning is the engine's translation chatter.
    sqlglot_log = logging.getLogger("sqlglot")
    sqlglot_log.handlers = [_ForwardToDebug()]
    sqlglot_log.propagate = False

    server = EmulatorServer(_settings(data_dir, host, port, 0))

    async def run() -> None:
        loop = asyncio.get_running_loop()
        # Engine work runs on named threads, so its sqlglot chatter is routed like in-process.
        loop.set_default_executor(ThreadPoolExecutor(thread_name_prefix=_THREAD_PREFIX))
        stopping = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)

        await server.start()
        try:
            log.info("serving the local engine at %s from %s", server.rest_url, data_dir)
            if on_ready is not None:
                on_ready(server.rest_url)
            await stopping.wait()
        finally:
            await server.stop()

    asyncio.run(run())
