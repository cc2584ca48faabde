"""Following a live reply: fold the provider's stream events, report progress, stop at the turn's end."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
from pydantic import BaseModel, Field

from .cursors import CursorCodec
from .providers.base import Provider
from .refs import ThreadRef
from .render import Renderer, shape
from .transcript import Message, MessageDone, TextDelta, Transcript, accumulate

Report = Callable[[float, str], Awaitable[None]]
PROGRESS_INTERVAL = 0.25  # at most ~4 progress notifications a second


class TurnResult(BaseModel):
    thread: str
    messages: list[Message]
    ended: bool = Field(description="True when the turn finished; False when timeout_s passed first.")
    stop_reason: str | None = None
    checkpoint: str | None = Field(None, description="Pass back as checkpoint to continue right after this point.")


async def follow(
    provider: Provider,
    ref: ThreadRef,
    message: str | None,
    checkpoint: str | None,
    timeout_s: float,
    report: Report,
    codec: CursorCodec,
    redact: bool = True,
) -> tuple[TurnResult, str]:
    scope = f"chk:{ref}"
    raw_checkpoint = codec.decode(scope, checkpoint)["c"] if checkpoint else None
    progress = [Transcript(checkpoint=raw_checkpoint)]  # survives the timeout's cancellation
    with anyio.move_on_after(timeout_s):
        await _consume(provider, ref, message, raw_checkpoint, progress, report)
    transcript = progress[0]
    result = TurnResult(
        thread=str(ref),
        messages=[shape(m, "compact", redact=redact) for m in transcript.messages],
        ended=transcript.ended,
        stop_reason=transcript.stop_reason,
        checkpoint=codec.encode(scope, {"c": transcript.checkpoint}) if transcript.checkpoint else None,
    )
    return result, _turn_text(result, timeout_s)


async def _consume(
    provider: Provider, ref: ThreadRef, message: str | None, raw_checkpoint: str | None, progress: list[Transcript], report: Report
) -> None:
    """Fold the stream into ``progress[0]`` as it arrives, so a timeout keeps what came (and the checkpoint)."""
    last_report = -PROGRESS_INTERVAL
    async with provider.stream(ref, message, raw_checkpoint) as events:
        async for event in events:
            transcript = progress[0] = accumulate(progress[0], event)
            if transcript.ended:
                break
            now = anyio.current_time()
            if isinstance(event, (TextDelta, MessageDone)) and now - last_report >= PROGRESS_INTERVAL:
                last_report = now
                await report(float(len(transcript.messages)), _so_far(transcript))


def _so_far(transcript: Transcript) -> str:
    last = transcript.messages[-1] if transcript.messages else None
    if last is None:
        return ""
    text = last.text or next((getattr(p, "text", "") for p in reversed(last.parts) if getattr(p, "text", "")), "")
    return f"{last.role}: {text[-2000:]}"


def _turn_text(result: TurnResult, timeout_s: float) -> str:
    renderer = Renderer()
    lines = [f"{result.thread} · live turn · times UTC"]
    lines.extend(renderer.message(m) for m in result.messages)
    if not result.messages:
        lines.append("(nothing new yet)")
    if result.ended:
        lines.append(f"turn ended{f' ({result.stop_reason})' if result.stop_reason else ''}")
    else:
        lines.append(f"still running after {timeout_s:g}s; call stream_chat again with this checkpoint to continue")
    lines.append(f"checkpoint: {result.checkpoint}" if result.checkpoint else "checkpoint: none")
    return "\n".join(lines)
