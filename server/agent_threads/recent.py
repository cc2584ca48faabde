"""Threads a host can offer without a call: ``resources/list`` names the threads most recently read or indexed,
and ``completion/complete`` offers refs for the ``thread://{+ref}`` template and the prompts' ``thread``.

Both come from what this server already holds — the refs it read, the index (newest first) and the listings
that cost no vendor call (a provider's own local catalog, as DataAgent keeps) — never from a vendor request.
"""

from __future__ import annotations

import logging
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.types import Completion, CompletionArgument, PromptReference, Resource, ResourceTemplateReference

from .errors import AgentThreadsError
from .refs import parse_ref
from .resources import TEMPLATE, thread_uri
from .tools.context import AppContext, Current

log = logging.getLogger("agent_threads")
LISTED = 50
"""Threads ``resources/list`` names at most."""
OFFERED = 100
"""Refs one completion offers at most (the protocol's cap)."""


async def recent(app: AppContext, limit: int, provider: str | None = None) -> dict[str, str | None]:
    """Refs (with their titles where known), the most recently read or indexed first."""
    found: dict[str, str | None] = {}
    if app.recorder is not None:
        found |= dict.fromkeys(r for r in app.recorder.recent(limit) if provider is None or r.startswith(provider))
    if app.index is not None:
        try:
            page = await app.index.search(None, provider=provider, limit=min(limit, 100))
        except AgentThreadsError as e:  # the store failed: offer what this process read
            log.warning("recent threads from the index: %s", e.for_model())
        else:
            for thread in page.threads:
                if found.get(thread.ref) is None:
                    found[thread.ref] = thread.title
    return dict(list(found.items())[:limit])


async def _catalogued(app: AppContext, provider_id: str) -> list[str]:
    """The refs of a provider whose listing is a local catalog (no vendor call); none for the others."""
    provider = app.pool.get(provider_id)
    if provider is None or getattr(provider, "catalog", None) is None:
        return []
    refs: list[str] = []
    try:
        for entry in (await provider.list_threads(None, None, OFFERED)).threads:
            refs.append(entry.ref)
            if entry.children:
                inner = await provider.list_threads(parse_ref(entry.ref), None, OFFERED)
                refs.extend(e.ref for e in inner.threads)
    except AgentThreadsError as e:
        log.info("catalog of %s: %s", provider_id, e.for_model())
    return refs


async def matching(app: AppContext, typed: str) -> list[str]:
    """Refs that start with what was typed (any part of a ref when nothing matches its start)."""
    provider = typed.partition(":")[0] if ":" in typed else None
    provider = provider if provider in app.pool.ids() else None
    refs = list(await recent(app, OFFERED, provider))
    for pid in [provider] if provider else app.pool.ids():
        refs += [r for r in await _catalogued(app, pid) if r not in refs]
    lowered = typed.strip().lower()
    starts = [r for r in refs if r.lower().startswith(lowered)]
    return starts or [r for r in refs if lowered in r.lower()]


class ThreadsServer(MCPServer[AppContext]):
    """The MCP server, whose resource list also names the threads most recently read or indexed."""

    def __init__(self, current: Current, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current = current

    async def list_resources(self) -> list[Resource]:
        listed = await super().list_resources()
        app = self.current.app
        if app is None:
            return listed
        threads = await recent(app, LISTED)
        return listed + [
            Resource(uri=thread_uri(ref), name=ref, title=title, mime_type="text/plain")
            for ref, title in threads.items()
        ]


def register_completions(server: MCPServer[Any], current: Current, prompts: frozenset[str]) -> None:
    @server.completion()
    async def complete(
        ref: PromptReference | ResourceTemplateReference, argument: CompletionArgument, context: Any
    ) -> Completion | None:
        wanted = (isinstance(ref, ResourceTemplateReference) and ref.uri == TEMPLATE and argument.name == "ref") or (
            isinstance(ref, PromptReference) and ref.name in prompts and argument.name == "thread"
        )
        if not wanted or current.app is None:
            return None
        values = await matching(current.app, argument.value)
        return Completion(values=values[:OFFERED], total=len(values), has_more=len(values) > OFFERED)
