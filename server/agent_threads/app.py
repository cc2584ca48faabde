"""build_server(): the MCPServer, with a lifespan that owns the providers and their httpx.AsyncClients."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.mcpserver import MCPServer

from . import __version__, providers, recent, render_prompts, resources, tools
from .config import Settings
from .cursors import CursorCodec, CursorStore
from .http import RetryPolicy, Timeouts
from .providers.base import Provider, ProviderSettings
from .readahead import ReadAhead
from .readiness import Readiness
from .tools.context import AppContext, Current
from .writethrough import Recorder, opened

if TYPE_CHECKING:
    from .index import ThreadIndex

log = logging.getLogger("agent_threads")

Factory = Callable[[ProviderSettings, Timeouts, RetryPolicy], Provider]


class ProviderPool:
    """Builds each configured provider on first use, so vendor modules and TLS set-up stay off start-up; the
    lifespan's exit stack closes every client that was made."""

    def __init__(
        self,
        settings: Settings,
        policy: RetryPolicy,
        factory: Factory,
        stack: AsyncExitStack,
        wrap: Callable[[Provider], Provider] | None = None,
    ) -> None:
        self._specs = {spec.id: spec for spec in settings.providers}
        self._settings, self._policy, self._factory, self._stack = settings, policy, factory, stack
        self._wrap = wrap
        self._built: dict[str, Provider] = {}

    def ids(self) -> list[str]:
        return list(self._specs)

    def get(self, provider_id: str) -> Provider | None:
        if provider_id not in self._built and provider_id in self._specs:
            provider = self._factory(self._specs[provider_id], self._settings.timeouts, self._policy)
            self._stack.push_async_callback(provider.client.aclose)
            self._built[provider_id] = self._wrap(provider) if self._wrap else provider
        return self._built.get(provider_id)

    def all(self) -> list[Provider]:
        return [p for p in (self.get(i) for i in self._specs) if p is not None]


async def _open_index(
    settings: Settings, stack: AsyncExitStack, readiness: Readiness
) -> tuple[ThreadIndex | None, str]:
    """The thread index for the server's life, with its readiness check (see ``writethrough.opened``): an index
    configured but not opened keeps the server not ready, while its tools go on without it."""
    index, why = await opened(settings, stack)
    if index is None and settings.index.kind == "off":
        return None, why

    async def index_ready() -> bool:
        if index is None:
            return False
        await index.thread("readiness:probe")  # raises IndexStoreError when the store cannot be reached
        return True

    readiness.add("index", index_ready)
    stack.callback(readiness.discard, "index")
    return index, why


def _lifespan(
    settings: Settings, policy: RetryPolicy, factory: Factory, readiness: Readiness, current: Current
) -> Callable[[MCPServer[Any]], AbstractAsyncContextManager[AppContext]]:
    async def providers_configured() -> bool:
        return bool(settings.providers)

    @asynccontextmanager
    async def lifespan(server: MCPServer[Any]) -> AsyncIterator[AppContext]:
        async with AsyncExitStack() as stack, anyio.create_task_group() as tg:
            log.info("providers configured: %s", ", ".join(p.id for p in settings.providers) or "none")
            codec = CursorCodec() if settings.sealed_cursors else CursorStore()
            index, index_off = await _open_index(settings, stack, readiness)
            recorder = Recorder(index, tg) if index is not None else None
            pool = ProviderPool(settings, policy, factory, stack, recorder.wrap if recorder else None)
            readiness.add("providers", providers_configured)
            stack.callback(readiness.discard, "providers")
            try:
                ahead = ReadAhead(tg) if settings.read_ahead else None
                app = AppContext(settings, pool, codec, ahead, index=index, index_off=index_off, recorder=recorder)
                current.app = app
                yield app
            finally:
                current.app = None
                tg.cancel_scope.cancel()  # pages still being read ahead or indexed are not waited for

    return lifespan


def build_server(
    settings: Settings,
    policy: RetryPolicy | None = None,
    factory: Factory = providers.create,
    readiness: Readiness | None = None,
) -> MCPServer[AppContext]:
    """The MCP server for these settings; ``factory`` builds each configured provider (tests pass fakes). While
    the server runs, its lifespan keeps ``readiness`` supplied with the checks of what it opened."""
    current = Current()
    server = recent.ThreadsServer(
        current,
        "agent-threads",
        version=__version__,
        instructions=render_prompts.INSTRUCTIONS,
        lifespan=_lifespan(settings, policy or RetryPolicy(), factory, readiness or Readiness(), current),
    )
    tools.register(server, settings)
    resources.register(server)
    recent.register_completions(server, current, resources.THREAD_PROMPTS)
    return server
