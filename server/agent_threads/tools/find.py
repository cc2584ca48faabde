"""The finding tools over the thread index: search_threads and find_failures."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

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
    from ..index import ThreadIndex

SETTLE_S = 2.0
"""How long a search waits for pages a tool just read to reach the index."""


def _index(app: AppContext) -> ThreadIndex:
    if app.index is None:
        raise ConfigError(app.index_off)
    return app.index


async def _prepare(ctx: ToolContext, app: AppContext, provider: str | None, since: datetime | None, refresh: bool):
    """The index, brought up to date when asked; the notes say what the refresh did and could not do."""
    index = _index(app)
    notes: list[str] = []
    if refresh:
        providers = [app.provider(provider)] if provider else app.pool.all()
        notes.append(render_index.refresh_text(await finding.refresh(index, providers, since, ctx.report_progress)))
    if app.recorder is not None:
        await app.recorder.settled(SETTLE_S)
    return index, notes


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
        offset = int(app.codec.decode(at, cursor)["o"]) if cursor else 0
        index, notes = await _prepare(ctx, app, provider, since, refresh and cursor is None)
        page = await index.search(
            query, provider=provider, since=since, until=until, status=status, roles=roles, kinds=kinds,
            errors_only=errors_only, limit=limit, offset=offset, configured=app.pool.ids(),
        )  # fmt: skip
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
        offset = int(app.codec.decode(at, cursor)["o"]) if cursor else 0
        index, notes = await _prepare(ctx, app, provider, since, refresh and cursor is None)
        page = await index.failures(
            provider=provider, since=since, until=until, limit=limit, offset=offset, configured=app.pool.ids()
        )
        view, content = finding.failures_answer(page, offset, budget_tokens, notes, app.codec, at)
    return CallToolResult(content=content, structured_content=view.model_dump(mode="json", exclude_none=True))
