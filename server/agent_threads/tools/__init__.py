"""The thin tool layer: arguments with bounds, provider lookup, and the compact result.

Every project error becomes a ``ToolError`` whose text the model can act on; nothing is returned as an
error-looking success. One module per kind of tool (``read``, ``live``); ``register`` adds them to a server.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, get_args, get_origin

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from .. import vendors
from ..config import Settings
from .context import AppContext
from .find import find_failures, search_threads
from .live import follow_thread, stream_chat
from .read import get_thread_messages, list_providers, list_threads

READ = ToolAnnotations(read_only_hint=True, open_world_hint=True)
SEND = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
TITLES = {
    "list_providers": "List configured providers",
    "list_threads": "List agent threads",
    "get_thread_messages": "Read a thread's messages",
    "stream_chat": "Follow or continue a live conversation",
    "search_threads": "Search all agent threads",
    "find_failures": "Find where agents failed",
}


def _argument_texts(settings: Settings) -> dict[str, str]:
    """Argument descriptions naming only the enabled providers: fewer tokens, and no invitation to call others."""
    ids = [p.id for p in settings.providers]
    if not ids:
        return {"provider": "Provider id from list_providers (none is configured)."}
    family = settings.providers[0].family
    example = vendors.forms(family)[-1].replace(family, ids[0], 1)
    return {
        "provider": f"Provider id: {', '.join(ids)}.",
        "thread": f"Thread ref from list_threads, e.g. '{example}'.",
    }


def _described(fn: Callable[..., Awaitable[Any]], texts: dict[str, str]) -> Callable[..., Awaitable[Any]]:
    """``fn`` with the pydantic descriptions of some arguments replaced, bounds kept (the SDK reads __signature__)."""
    sig = inspect.signature(fn, eval_str=True)
    params: list[inspect.Parameter] = []
    for param in sig.parameters.values():
        if param.name in texts and get_origin(param.annotation) is Annotated:
            # a later Field in Annotated overrides the earlier one's description and keeps its bounds
            metadata = (*get_args(param.annotation), Field(description=texts[param.name]))
            param = param.replace(annotation=Annotated[metadata])
        params.append(param)

    @functools.wraps(fn)
    async def described(*args: Any, **kwargs: Any) -> Any:
        return await fn(*args, **kwargs)

    setattr(described, "__signature__", sig.replace(parameters=params))  # what inspect.signature returns
    return described


def register(server: MCPServer[Any], settings: Settings) -> None:
    texts = _argument_texts(settings)
    local = ToolAnnotations(read_only_hint=True, open_world_hint=False)
    tools: list[tuple[str, Callable[..., Awaitable[Any]], ToolAnnotations]] = [
        ("list_providers", list_providers, local),
        ("list_threads", list_threads, READ),
        ("get_thread_messages", get_thread_messages, READ),
        ("stream_chat", follow_thread, READ) if settings.read_only else ("stream_chat", stream_chat, SEND),
        ("search_threads", search_threads, READ),
        ("find_failures", find_failures, READ),
    ]
    for name, fn, hints in tools:
        server.add_tool(_described(fn, texts), name=name, title=TITLES[name], annotations=hints)


__all__ = ["AppContext", "register"]
