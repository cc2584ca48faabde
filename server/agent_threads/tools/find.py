"""The finding tools over the thread index: search_threads and find_failures."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

from mcp.types import CallToolResult

from .. import finding, render_index
from ..errors import ConfigError
from ..schemas import FailuresView, SearchView
from .args import (
    BudgetArg,
    CursorArg,
    ErrorsOnlyArg,
    FromArg,
    GroupsLimit,
    HitsLimit,
    KindsArg,
    ProviderFilter,
    QueryArg,
    RefreshArg,
    RolesArg,
    StatusArg,
    UntilArg,
)
from .context import AppContext, ToolContext, app_of, tool_errors

if TYPE_CHECKING:
    from ..index import FailurePage, SearchPage, ThreadIndex

P = TypeVar("P")
Ask = Callable[["ThreadIndex", int, list[str]], Awaitable[P]]

SETTLE_S = 2.0
"""How long a search waits for pages a tool just read to reach the index."""


def _index(app: AppContext) -> ThreadIndex:
    if app.index is None:
        raise ConfigError(app.index_off)
    return app.index


async def _page(
    ctx: ToolContext, at: str, cursor: str | None, scope: tuple[str | None, datetime | None, bool], ask: Ask[P]
) -> tuple[P, int, list[str]]:
    """One page of what ``ask`` reads from the index, from where ``cursor`` left off; first a refresh when asked
    (a first page only), whose notes say what it did and could not do."""
    app = app_of(ctx)
    index, (provider, since, refresh) = _index(app), scope
    offset = int(app.codec.decode(at, cursor)["o"]) if cursor else 0
    notes: list[str] = []
    if refresh and cursor is None:
        providers = [app.provider(provider)] if provider else app.pool.all()
        summary = await finding.refresh(index, providers, since, ctx.report_progress, app.settings.index.fresh_for)
        notes.append(render_index.refresh_text(summary, app.settings.index.fresh_for))
    if app.recorder is not None:
        await app.recorder.settled(SETTLE_S)
    return await ask(index, offset, app.pool.ids()), offset, notes


async def search_threads(
    ctx: ToolContext,
    query: QueryArg = None,
    provider: ProviderFilter = None,
    since: FromArg = None,
    until: UntilArg = None,
    status: StatusArg = None,
    roles: RolesArg = None,
    kinds: KindsArg = None,
    errors_only: ErrorsOnlyArg = False,
    limit: HitsLimit = 10,
    cursor: CursorArg = None,
    refresh: RefreshArg = True,
    budget_tokens: BudgetArg = 6000,
) -> Annotated[CallToolResult, SearchView]:
    """Search all threads of every provider (any language, tool names, error codes); hits by thread with #seq."""
    app = app_of(ctx)
    async with tool_errors(app, at_least=finding.REFRESH_S + 30):
        at = finding.scope("search", q=query, p=provider, s=since, u=until, st=status, r=roles, k=kinds, e=errors_only)

        async def ask(index: ThreadIndex, offset: int, configured: list[str]) -> SearchPage:
            return await index.search(
                query, provider=provider, since=since, until=until, status=status, roles=roles, kinds=kinds,
                errors_only=errors_only, limit=limit, offset=offset, configured=configured,
            )  # fmt: skip

        page, offset, notes = await _page(ctx, at, cursor, (provider, since, refresh), ask)
        view, content = finding.search_answer(page, query, offset, budget_tokens, notes, app.codec, at)
    return CallToolResult(content=content, structured_content=view.model_dump(mode="json", exclude_none=True))


async def find_failures(
    ctx: ToolContext,
    provider: ProviderFilter = None,
    since: FromArg = None,
    until: UntilArg = None,
    limit: GroupsLimit = 10,
    cursor: CursorArg = None,
    refresh: RefreshArg = True,
    budget_tokens: BudgetArg = 6000,
) -> Annotated[CallToolResult, FailuresView]:
    """Where agents failed across all threads: failures grouped by cause, with example refs and the #seq of each."""
    app = app_of(ctx)
    async with tool_errors(app, at_least=finding.REFRESH_S + 30):
        at = finding.scope("failures", p=provider, s=since, u=until)

        async def ask(index: ThreadIndex, offset: int, configured: list[str]) -> FailurePage:
            f = {"provider": provider, "since": since, "until": until, "limit": limit, "offset": offset}
            return await index.failures(**f, configured=configured)

        page, offset, notes = await _page(ctx, at, cursor, (provider, since, refresh), ask)
        view, content = finding.failures_answer(page, offset, budget_tokens, notes, app.codec, at)
    return CallToolResult(content=content, structured_content=view.model_dump(mode="json", exclude_none=True))
