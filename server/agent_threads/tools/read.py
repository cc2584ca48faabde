"""The reading tools: list_providers, list_threads and get_thread_messages."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated, Any

from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel

from .. import drill, pages, render, render_index, vendors
from ..errors import UsageError
from ..refs import parse_ref
from ..schemas import ThreadListView
from .args import (
    BudgetArg,
    CursorArg,
    DetailArg,
    FormatArg,
    FromSeqArg,
    KindsArg,
    ListLimit,
    PageLimit,
    ParentArg,
    ProviderId,
    RolesArg,
    SinceArg,
    ThreadArg,
)
from .context import AppContext, ToolContext, app_of, result, tool_errors

if TYPE_CHECKING:
    from ..index import Digest

log = logging.getLogger("agent_threads")


class ProvidersInfo(BaseModel):
    providers: list[dict[str, Any]]
    missing: dict[str, str]
    read_only: bool


async def list_providers(ctx: ToolContext) -> Annotated[CallToolResult, ProvidersInfo]:
    """List the configured providers, what each can do, and what the unconfigured ones need."""
    app = app_of(ctx)
    info = ProvidersInfo(
        providers=[p.describe() for p in app.pool.all()], missing=app.settings.missing, read_only=app.settings.read_only
    )
    return result(render.providers_text(info.providers, info.missing, vendors.all_forms()), info)


async def list_threads(
    ctx: ToolContext, provider: ProviderId, parent: ParentArg = None, cursor: CursorArg = None, limit: ListLimit = 20
) -> Annotated[CallToolResult, ThreadListView]:
    """List sessions, threads or conversations of a provider; pass `parent` to go one level down."""
    app = app_of(ctx)
    async with tool_errors(app):
        parent_ref = parse_ref(parent, depth=(1,)) if parent else None
        if parent_ref and parent_ref.provider != provider:
            raise UsageError(f"parent {parent!r} belongs to {parent_ref.provider!r}, not {provider!r}.")
        view = pages.View(redact=app.settings.redact, secrets=app.secrets())
        listing, text = await pages.list_page(
            app.provider(provider), parent_ref, cursor, limit, app.codec, view, lambda refs: _digests(app, refs)
        )
    return result(text, listing)


async def _digests(app: AppContext, refs: list[str]) -> dict[str, str]:
    """The digest lines of the indexed threads among ``refs``; none when the index is off or fails (listing goes
    on)."""
    if app.index is None or not refs:
        return {}
    from ..index import IndexStoreError

    try:
        found: dict[str, Digest] = await app.index.digests(refs)
    except IndexStoreError as e:
        log.warning("digests for list_threads: %s", e.for_model())
        return {}
    return {ref: render_index.digest_line(d) for ref, d in found.items()}


async def get_thread_messages(
    ctx: ToolContext,
    thread: ThreadArg,
    cursor: CursorArg = None,
    limit: PageLimit = 100,
    roles: RolesArg = None,
    kinds: KindsArg = None,
    since: SinceArg = None,
    detail: DetailArg = "compact",
    budget_tokens: BudgetArg = 8000,
    format: FormatArg = "text",
    from_seq: FromSeqArg = None,
) -> CallToolResult:
    """Read one page of a thread as a compact transcript (times UTC; ./X: a thread beside it); follow next_cursor."""
    app = app_of(ctx)
    async with tool_errors(app, budget=budget_tokens):
        ref = parse_ref(thread)
        filters = pages.Filters(frozenset(roles or ()) or None, frozenset(kinds or ()) or None, since)
        view = pages.View(detail, budget_tokens, app.settings.redact, format, app.secrets())
        provider = app.provider(ref.provider)
        start = drill.index_start(app.codec, ref, cursor) if cursor else (from_seq, 0) if from_seq is not None else None
        if start is not None:
            sources = drill.Sources(app.codec, app.ahead, app.index)
            page, text = await drill.read_from(sources, provider, ref, start, limit, filters, view)
        else:
            page, text = await pages.read_page(provider, ref, cursor, limit, filters, view, app.codec, app.ahead)
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=pages.structured(page, format)
    )
