"""The prompts built on the thread index: ``triage`` (the failure groups, their likely causes, what to check
next) and the index's failures of one thread, which the ``find_failure`` prompt adds to its transcript."""

from __future__ import annotations

import logging
from typing import Annotated

from mcp.server.mcpserver.prompts.base import Message, UserMessage
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS
from pydantic import Field

from . import failures, finding, render_index
from .errors import AgentThreadsError
from .times import moment
from .tools.context import AppContext, ToolContext, app_of

log = logging.getLogger("agent_threads")
GROUPS = 15
PROMPT_BUDGET_TOKENS = 6000
THREAD_MESSAGES = 2000
"""Stored messages of one thread looked through for its failures."""

ProviderParam = Annotated[str | None, Field(description="Only this provider id (default: all).")]
SinceParam = Annotated[str | None, Field(description="Only failures from this time on: ISO-8601, or e.g. '7d'.")]


async def thread_failures(app: AppContext, ref: str) -> str | None:
    """The failures the index holds for one thread, each with how many threads share its cause; None when the
    index is off or fails."""
    if app.index is None:
        return None
    try:
        stored = await app.index.messages(ref, None, THREAD_MESSAGES)
        groups = await app.index.failures(provider=ref.partition(":")[0], limit=100)
    except AgentThreadsError as e:
        log.warning("failures of %s from the index: %s", ref, e.for_model())
        return None
    spread = {g.signature: g.threads for g in groups.groups}
    found = [(m.seq, f.signature) for m in stored if (f := failures.classify(m)) is not None]
    found += [(e.seq, g.signature) for g in groups.groups for e in g.examples if e.ref == ref]
    unique = sorted(set(found))
    rows = [(seq, signature, spread.get(signature, 1)) for seq, signature in unique]
    return "\n".join([render_index.THREAD_FAILURES, *render_index.thread_failure_lines(rows)])


async def triage(ctx: ToolContext, provider: ProviderParam = None, since: SinceParam = None) -> list[Message]:
    """Triage agent failures across threads: the failure groups, their likely causes and what to check next."""
    app = app_of(ctx)
    try:
        if app.index is None:
            raise MCPError(code=INVALID_PARAMS, message=app.index_off)
        when = moment(since) if since else None
        if provider:
            app.provider(provider)
        index = app.index
        if (await index.coverage(provider)).threads == 0:  # nothing indexed yet: fill it first
            providers = [app.provider(provider)] if provider else app.pool.all()
            await finding.refresh(index, providers, when, _quiet)
        page = await index.failures(provider=provider, since=when, limit=GROUPS, configured=app.pool.ids())
    except AgentThreadsError as e:
        raise MCPError(code=INVALID_PARAMS, message=app.error_text(e)) from e
    _, content = finding.failures_answer(
        page, 0, PROMPT_BUDGET_TOKENS, [], app.codec, finding.scope("failures", p=provider, s=when, u=None)
    )
    scope = " of " + provider if provider else ""
    scope += f" since {when:%Y-%m-%d %H:%M} UTC" if when else ""
    text = "\n".join(getattr(c, "text", "") for c in content[:1])
    return [UserMessage(render_index.TRIAGE.format(scope=scope)), UserMessage(text)]


async def _quiet(progress: float, total: float | None, message: str) -> None:
    """A prompt has no progress to report to."""
