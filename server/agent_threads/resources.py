"""Transcripts as MCP resources (``thread://{+ref}``) and two prompts built on them.

The template uses reserved expansion, so a ref can be written as it is (``thread://qoder:sess_1/sthr_2``).
The URI is percent-decoded once: a ref whose ids carry an encoded ``%2F`` is written ``%252F``, which is what
``thread_uri`` produces. A resource is a whole thread rendered compactly, cut at a token budget with a cursor
that ``get_thread_messages`` continues from.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.server.mcpserver.prompts.base import Message, UserMessage
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, EmbeddedResource, TextResourceContents
from pydantic import Field

from . import pages, prompts, render, render_prompts
from .errors import AgentThreadsError, ConfigError, NotFoundError, ProviderConnectionError, ProviderError, UsageError
from .refs import RESOURCE_TEMPLATE, ThreadRef, parse_ref, thread_uri
from .shaping import estimate_tokens
from .tools.context import AppContext, ToolContext, app_of

TEMPLATE = RESOURCE_TEMPLATE
BUDGET_TOKENS = 16_000
PROMPT_BUDGET_TOKENS = 12_000
PAGE_LIMIT = 50
MAX_PAGES = 200

ThreadParam = Annotated[str, Field(description="Thread ref from list_threads, e.g. 'qoder:sess_1/sthr_2'.")]


def register(server: MCPServer[Any]) -> None:
    server.resource(
        TEMPLATE,
        name="thread",
        title="Agent thread transcript",
        description="A whole thread as a compact transcript, e.g. thread://qoder:sess_1/sthr_2 (bounded; the end says "
        "how to read on).",
        mime_type="text/plain",
    )(read_thread)
    server.prompt("summarize_thread", title="Summarise an agent thread")(summarize_thread)
    server.prompt("find_failure", title="Find where an agent failed and why")(find_failure)
    server.prompt("triage", title="Triage agent failures across threads")(prompts.triage)


THREAD_PROMPTS = frozenset({"summarize_thread", "find_failure"})
"""Prompts whose ``thread`` argument completion offers refs for."""


async def read_thread(ref: str, ctx: ToolContext) -> str:
    """A whole thread as a compact transcript, bounded; the end says how to read on."""
    app = app_of(ctx)
    try:
        return await transcript(app, parse_ref(ref), BUDGET_TOKENS)
    except (UsageError, ConfigError, NotFoundError) as e:  # the caller can fix these
        raise ResourceNotFoundError(app.error_text(e)) from e
    except AgentThreadsError as e:
        raise ResourceError(app.error_text(e)) from e


async def transcript(app: AppContext, ref: ThreadRef, budget: int) -> str:
    """Pages of the thread rendered one line per message until the end or the budget. Raises AgentThreadsError."""
    provider = app.provider(ref.provider)
    lines: list[str] = []
    head, cursor, left, incomplete = str(ref), None, budget - pages.FRAME_TOKENS, None
    try:
        with anyio.fail_after(app.settings.timeouts.tool):
            for _ in range(MAX_PAGES):
                view = pages.View("compact", left, app.settings.redact, secrets=app.secrets(), framed=False)
                page, text = await pages.read_page(
                    provider, ref, cursor, PAGE_LIMIT, pages.Filters(), view, app.codec, app.ahead
                )
                incomplete = page.incomplete or incomplete
                head = render.heading(page.thread, page.title, page.status, page.note)
                head += f" · incomplete: {render.untrusted(incomplete)}" if incomplete else ""
                lines += [text] if text else []
                left -= estimate_tokens(text)
                cursor = page.next_cursor
                if cursor is None or page.truncated or left <= pages.FRAME_TOKENS:
                    break
    except TimeoutError as e:
        seconds = app.settings.timeouts.tool
        raise ProviderConnectionError(
            f"gave up after {seconds:g}s (AGENT_THREADS_TOOL_TIMEOUT)", provider=ref.provider
        ) from e
    return render.resource_text(head, lines, str(ref), cursor, budget, incomplete)


async def _prompt_transcript(ctx: ToolContext, thread: str) -> EmbeddedResource | str:
    """The thread for a prompt; a vendor failure degrades to a note (the model can still use the tools)."""
    app = app_of(ctx)
    try:
        ref = parse_ref(thread)
        text = await transcript(app, ref, PROMPT_BUDGET_TOKENS)
    except (UsageError, ConfigError, NotFoundError) as e:  # the caller can fix these: say so
        raise MCPError(code=INVALID_PARAMS, message=app.error_text(e)) from e
    except ProviderError as e:  # a vendor hiccup should not break the prompt: the model can still read on
        return f"(The transcript could not be fetched just now: {app.error_text(e)} Read it with get_thread_messages.)"
    contents = TextResourceContents(uri=thread_uri(str(ref)), mime_type="text/plain", text=text)
    return EmbeddedResource(type="resource", resource=contents)


async def summarize_thread(thread: ThreadParam, ctx: ToolContext) -> list[Message]:
    """Summarise an agent conversation: what was asked, what was done, the outcome, what is left open."""
    return [UserMessage(render_prompts.SUMMARY.format(ref=thread)), UserMessage(await _prompt_transcript(ctx, thread))]


async def find_failure(thread: ThreadParam, ctx: ToolContext) -> list[Message]:
    """Find where an agent failed and why: the first failure, its cause, and what to check next."""
    transcript = await _prompt_transcript(ctx, thread)  # read first: the pages it reads reach the index
    app = app_of(ctx)
    if app.recorder is not None:
        await app.recorder.settled(2.0)
    known = await prompts.thread_failures(app, str(parse_ref(thread)))
    found = [UserMessage(known)] if known else []
    return [UserMessage(render_prompts.FAILURE.format(ref=thread)), UserMessage(transcript), *found]
