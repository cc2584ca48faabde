"""Running the service: the listening socket (bound before anything starts, so a port in use is a one-line
error), uvicorn without its own signal handling, and SIGTERM/SIGINT draining calls in flight before exit 0."""

from __future__ import annotations

import errno
import logging
import math
import os
import signal
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import uvicorn
from mcp.server.mcpserver import MCPServer

from ..errors import ConfigError
from ..readiness import Readiness
from .asgi import MCP_PATH, ServiceApp
from .options import ServiceOptions

log = logging.getLogger("agent_threads.service")


@contextmanager
def bound(options: ServiceOptions) -> Iterator[socket.socket]:
    """A socket bound to the service's address. Raises ConfigError when the address is unusable or taken."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            options.host, options.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as e:
        raise ConfigError(f"Cannot listen on {options.host!r}: {e.strerror}.") from e
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as e:
            raise _bind_error(options, e) from e
        yield sock


def _bind_error(options: ServiceOptions, error: OSError) -> ConfigError:
    where = f"{options.host}:{options.port}"
    if error.errno == errno.EADDRINUSE:
        return ConfigError(f"Port {options.port} is already in use on {options.host}.", hint="Pick another --port.")
    return ConfigError(f"Cannot listen on {where}: {error.strerror}.")


def _show_service_lines() -> None:
    """The access log and start/stop lines are what the service prints: shown at the default level (WARNING),
    silenced only when the log level is set above it."""
    if logging.getLogger().getEffectiveLevel() <= logging.WARNING:
        for name in ("agent_threads.access", "agent_threads.service"):
            logging.getLogger(name).setLevel(logging.INFO)


class _Uvicorn(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._on_started()

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        """The service handles the signals: uvicorn's would re-raise SIGTERM after shutdown (exit -15, not 0).
        Windows has no SIGTERM to drain on, and no asyncio signal handlers: uvicorn keeps its Ctrl-C there."""
        if sys.platform == "win32":
            with super().capture_signals():
                yield
        else:
            yield


class Service:
    """The HTTP service around one MCP server; ``stop()`` (what SIGTERM does) drains it."""

    def __init__(self, server: MCPServer[Any], options: ServiceOptions, readiness: Readiness) -> None:
        self.options = options
        self.app = ServiceApp(server, options, readiness)
        config = uvicorn.Config(
            self.app, log_config=None, access_log=False, timeout_graceful_shutdown=math.ceil(options.drain_timeout)
        )
        self._uvicorn = _Uvicorn(config, self._announce)
        self.started = anyio.Event()
        self._sock: socket.socket | None = None

    async def run(self, sock: socket.socket, *, signals: bool = True) -> None:
        """Serve on ``sock`` until stopped (by ``stop()``, or SIGTERM/SIGINT when ``signals``); returns once the
        calls in flight finished or the drain timeout passed."""
        self._sock = sock
        _show_service_lines()
        async with anyio.create_task_group() as tg:
            if signals and sys.platform != "win32":
                tg.start_soon(self._stop_on_signals)
            await self._uvicorn.serve(sockets=[sock])
            tg.cancel_scope.cancel()
        log.info("stopped")

    def stop(self) -> None:
        if self._uvicorn.should_exit:  # asked twice: stop waiting
            self._uvicorn.force_exit = True
            return
        log.info("draining: finishing calls in flight (up to %gs), then exiting", self.options.drain_timeout)
        self.app.streams.close_all()
        self._uvicorn.should_exit = True

    async def _stop_on_signals(self) -> None:
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
            async for _ in signals:
                self.stop()

    def _announce(self) -> None:
        assert self._sock is not None
        host, port = self._sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        auth = "bearer token required" if self.options.token else "no authentication"
        log.info("serving MCP at http://%s:%d%s (%s, pid %d)", shown, port, MCP_PATH, auth, os.getpid())
        self.started.set()
