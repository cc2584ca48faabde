"""build_server(): the MCPServer, with a lifespan that owns one httpx.AsyncClient per configured provider."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

from mcp.server.mcpserver import MCPServer

from . import __version__, providers, resources, tools
from .config import Settings
from .http import RetryPolicy
from .providers.base import Provider, ProviderSettings, Timeouts

log = logging.getLogger("agent_threads")

INSTRUCTIONS = """Reads the conversations of cloud agents (Qoder, Alibaba CMS/STAROps digital employees, DMS Data \
Agent, RDS AI, Tencent DataAgent) as compact transcripts. Start with list_providers, then list_threads, then \
get_thread_messages with a ref; follow next_cursor for more. stream_chat follows (or continues) a live conversation."""


Factory = Callable[[ProviderSettings, Timeouts, RetryPolicy], Provider]


def _lifespan(
    settings: Settings, policy: RetryPolicy, factory: Factory
) -> Callable[[MCPServer[Any]], AbstractAsyncContextManager[tools.AppContext]]:
    @asynccontextmanager
    async def lifespan(server: MCPServer[Any]) -> AsyncIterator[tools.AppContext]:
        async with AsyncExitStack() as stack:
            built: dict[str, Provider] = {}
            for spec in settings.providers:
                provider = factory(spec, settings.timeouts, policy)
                await stack.enter_async_context(provider.client)
                built[spec.id] = provider
            log.info("providers ready: %s", ", ".join(built) or "none")
            yield tools.AppContext(settings=settings, providers=built)

    return lifespan


def build_server(
    settings: Settings, policy: RetryPolicy | None = None, factory: Factory = providers.create
) -> MCPServer[tools.AppContext]:
    """The MCP server for these settings; ``factory`` builds each configured provider (tests pass fakes)."""
    server: MCPServer[tools.AppContext] = MCPServer(
        "agent-threads",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=_lifespan(settings, policy or RetryPolicy(), factory),
    )
    tools.register(server, settings)
    resources.register(server)
    return server
