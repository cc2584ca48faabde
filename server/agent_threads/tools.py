"""The thin tool layer: arguments with bounds, provider lookup, and the compact result.

Every project error becomes a ``ToolError`` whose text the model can act on; nothing is returned as an
error-looking success.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal, Protocol, get_args, get_origin

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from . import live, pages, render, vendors
from .config import Settings
from .cursors import Codec, CursorStore
from .errors import AgentThreadsError, ConfigError, UsageError
from .providers.base import Provider
from .readahead import ReadAhead
from .redact import mask_secrets
from .refs import ThreadRef, parse_ref
from .render import Detail
from .schemas import MessagePageView, ThreadListView, TurnView
from .transcript import Role


class Pool(Protocol):
    def ids(self) -> list[str]: ...
    def get(self, provider_id: str) -> Provider | None: ...
    def all(self) -> list[Provider]: ...


@dataclass
class AppContext:
    settings: Settings
    pool: Pool
    codec: Codec = field(default_factory=CursorStore)
    ahead: ReadAhead | None = None

    def provider(self, provider_id: str) -> Provider:
        provider = self.pool.get(provider_id)
        if provider is not None:
            return provider
        family, dot, account = provider_id.partition(".")
        why = self.settings.missing_reason(provider_id)
        if dot:
            why = f"no account {account!r} for {family} in the profiles file"
        offered = ", ".join(sorted(self.pool.ids())) or "none"
        raise ConfigError(
            f"Provider {provider_id!r} is not configured{f' ({why})' if why else ''}.",
            hint=f"Configured providers: {offered}. list_providers shows what each needs.",
        )

    def secrets(self) -> tuple[str, ...]:
        return tuple(v for p in self.settings.providers for v in p.credentials.values())


ProviderId = Annotated[str, Field(description="Provider id from list_providers, e.g. 'qoder' or 'cms'.", max_length=64)]
ThreadArg = Annotated[
    str, Field(description="Thread ref from list_threads, e.g. 'qoder:sess_1/sthr_2'.", min_length=3, max_length=1024)
]
CursorArg = Annotated[
    str | None, Field(description="next_cursor from the previous call, passed back untouched.", max_length=4096)
]


def _app(ctx: Context) -> AppContext:
    return ctx.request_context.lifespan_context  # type: ignore[no-any-return]


@asynccontextmanager
async def tool_errors(app: AppContext, at_least: float = 0) -> AsyncIterator[None]:
    """Turn project errors into ToolErrors with model-actionable, secret-free text, under the tool deadline."""
    deadline = max(app.settings.timeouts.tool, at_least)
    try:
        with anyio.fail_after(deadline):
            yield
    except AgentThreadsError as e:
        raise ToolError(mask_secrets(e.for_model(), app.secrets())) from e
    except TimeoutError as e:
        raise ToolError(
            f"Gave up after {deadline:g}s (AGENT_THREADS_TOOL_TIMEOUT). Try a smaller limit, or retry later."
        ) from e


def _result(text: str, model: BaseModel) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=model.model_dump(mode="json", exclude_none=True, exclude_defaults=False),
    )


class ProvidersInfo(BaseModel):
    providers: list[dict[str, Any]]
    missing: dict[str, str]
    read_only: bool


async def list_providers(ctx: Context) -> Annotated[CallToolResult, ProvidersInfo]:
    """List the configured providers, what each can do, and what the unconfigured ones need."""
    app = _app(ctx)
    info = ProvidersInfo(
        providers=[p.describe() for p in app.pool.all()], missing=app.settings.missing, read_only=app.settings.read_only
    )
    return _result(render.providers_text(info.providers, info.missing, vendors.all_forms()), info)


async def list_threads(
    ctx: Context,
    provider: ProviderId,
    parent: Annotated[
        str | None,
        Field(description="A container ref to list inside (e.g. 'qoder:sess_1' lists its threads).", max_length=1024),
    ] = None,
    cursor: CursorArg = None,
    limit: Annotated[int, Field(ge=1, le=100, description="Entries per page.")] = 20,
) -> Annotated[CallToolResult, ThreadListView]:
    """List sessions, threads or conversations of a provider; pass `parent` to go one level down."""
    app = _app(ctx)
    async with tool_errors(app):
        parent_ref = parse_ref(parent, depth=(1,)) if parent else None
        if parent_ref and parent_ref.provider != provider:
            raise UsageError(f"parent {parent!r} belongs to {parent_ref.provider!r}, not {provider!r}.")
        result, text = await pages.list_page(app.provider(provider), parent_ref, cursor, limit, app.codec)
    return _result(text, result)


async def get_thread_messages(
    ctx: Context,
    thread: ThreadArg,
    cursor: CursorArg = None,
    limit: Annotated[int, Field(ge=1, le=100, description="Vendor messages fetched per page.")] = 100,
    roles: Annotated[list[Role] | None, Field(description="Only these roles.", max_length=6)] = None,
    kinds: Annotated[
        list[
            Literal[
                "text", "tool_call", "tool_call_response", "reasoning", "sub_agent", "artifact", "plan", "event", "data"
            ]
        ]
        | None,
        Field(
            description="Only messages carrying one of these part kinds (e.g. ['event'] to find failures).",
            max_length=9,
        ),
    ] = None,
    since: Annotated[datetime | None, Field(description="Only messages at or after this ISO-8601 time.")] = None,
    detail: Annotated[
        Detail, Field(description="brief: short previews; compact (default); full: whole values and vendor extras.")
    ] = "compact",
    budget_tokens: Annotated[
        int, Field(ge=500, le=20000, description="Upper bound on the size of this result.")
    ] = 8000,
    format: Annotated[
        Literal["text", "json"],
        Field(
            description="text: a compact transcript (default); json: the messages as structuredContent, for programs."
        ),
    ] = "text",
) -> Annotated[CallToolResult, MessagePageView]:
    """Read one page of a thread as a compact transcript (times UTC); follow next_cursor for the rest."""
    app = _app(ctx)
    async with tool_errors(app):
        ref = parse_ref(thread)
        filters = pages.Filters(frozenset(roles or ()) or None, frozenset(kinds or ()) or None, since)
        view = pages.View(detail, budget_tokens, app.settings.redact, format)
        page, text = await pages.read_page(
            app.provider(ref.provider), ref, cursor, limit, filters, view, app.codec, app.ahead
        )
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=pages.structured(page, format)
    )


async def _progress(ctx: Context) -> Callable[[float, str], Awaitable[None]]:
    async def report(progress: float, message: str) -> None:
        await ctx.report_progress(progress, None, message)

    return report


async def stream_chat(
    ctx: Context,
    thread: ThreadArg,
    message: Annotated[
        str | None, Field(description="Text to send first; omit to just follow the live reply.", max_length=100_000)
    ] = None,
    checkpoint: Annotated[
        str | None, Field(description="checkpoint from a previous stream_chat.", max_length=4096)
    ] = None,
    timeout_s: Annotated[float, Field(ge=1, le=900, description="Stop following after this many seconds.")] = 120,
) -> Annotated[CallToolResult, TurnView]:
    """Follow a thread's live reply (sending `message` first if given); progress carries the text so far."""
    app = _app(ctx)
    async with tool_errors(app, at_least=timeout_s + 30):
        if message is not None and app.settings.read_only:
            raise UsageError("This server is read-only: sending is switched off.", hint="Omit message to follow.")
        ref = parse_ref(thread)
        try:
            result, text = await live.follow(
                app.provider(ref.provider),
                ref,
                message,
                checkpoint,
                timeout_s,
                await _progress(ctx),
                app.codec,
                app.settings.redact,
            )
        finally:  # pages of this thread read ahead before or during the turn may lack what it added
            if app.ahead is not None:
                app.ahead.forget(ref.provider, str(ref))
    return _result(text, result)


async def follow_thread(
    ctx: Context,
    thread: ThreadArg,
    message: Annotated[
        str | None, Field(description="Not available: this server is read-only.", max_length=100_000)
    ] = None,
    checkpoint: Annotated[
        str | None, Field(description="checkpoint from a previous stream_chat.", max_length=4096)
    ] = None,
    timeout_s: Annotated[float, Field(ge=1, le=900, description="Stop following after this many seconds.")] = 120,
) -> Annotated[CallToolResult, TurnView]:
    """Follow a thread's live reply (read-only server: nothing is sent); progress carries the text so far."""
    return await stream_chat(ctx, thread, message, checkpoint, timeout_s)


READ = ToolAnnotations(read_only_hint=True, open_world_hint=True)


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
            param = param.replace(annotation=Annotated[metadata])  # type: ignore[valid-type]
        params.append(param)

    @functools.wraps(fn)
    async def described(*args: Any, **kwargs: Any) -> Any:
        return await fn(*args, **kwargs)

    described.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    return described


def register(server: MCPServer[Any], settings: Settings) -> None:
    texts = _argument_texts(settings)
    server.add_tool(list_providers, annotations=ToolAnnotations(read_only_hint=True, open_world_hint=False))
    server.add_tool(_described(list_threads, texts), name="list_threads", annotations=READ)
    server.add_tool(_described(get_thread_messages, texts), name="get_thread_messages", annotations=READ)
    if settings.read_only:
        server.add_tool(_described(follow_thread, texts), name="stream_chat", annotations=READ)
    else:
        annotations = ToolAnnotations(read_only_hint=False, open_world_hint=True)
        server.add_tool(_described(stream_chat, texts), name="stream_chat", annotations=annotations)


__all__ = ["AppContext", "ThreadRef", "register"]
