"""stream_chat: follow a thread's live reply, sending a message first when the server may send."""

from __future__ import annotations

from typing import Annotated

from mcp.types import CallToolResult

from .. import live
from ..errors import UsageError
from ..refs import parse_ref
from ..schemas import TurnView
from .args import CheckpointArg, HiddenMessageArg, MessageArg, ThreadArg, TimeoutArg
from .context import ToolContext, app_of, result, tool_errors


def _progress(ctx: ToolContext) -> live.Report:
    async def report(progress: float, message: str) -> None:
        await ctx.report_progress(progress, None, message)

    return report


async def stream_chat(
    ctx: ToolContext,
    thread: ThreadArg,
    message: MessageArg = None,
    checkpoint: CheckpointArg = None,
    timeout_s: TimeoutArg = 120,
) -> Annotated[CallToolResult, TurnView]:
    """Follow a thread's live reply (sending `message` first if given); progress carries the text so far."""
    app = app_of(ctx)
    async with tool_errors(app, at_least=timeout_s + 30):
        if message is not None and app.settings.read_only:
            raise UsageError("This server is read-only: sending is switched off.", hint="Omit message to follow.")
        ref = parse_ref(thread)
        provider = app.provider(ref.provider)
        try:
            report = _progress(ctx)
            redact, secrets = app.settings.redact, app.secrets()
            turn, text = await live.follow(
                provider, ref, message, checkpoint, timeout_s, report, app.codec, redact, secrets
            )
        finally:  # pages of this thread read ahead before or during the turn may lack what it added
            if app.ahead is not None:
                app.ahead.forget(ref.provider, str(ref))
    return result(text, turn)


async def follow_thread(
    ctx: ToolContext,
    thread: ThreadArg,
    checkpoint: CheckpointArg = None,
    timeout_s: TimeoutArg = 120,
    message: HiddenMessageArg = None,
) -> Annotated[CallToolResult, TurnView]:
    """Follow a thread's live reply (read-only server: nothing is sent); progress carries the text so far."""
    return await stream_chat(ctx, thread, message, checkpoint, timeout_s)
