"""Following a live reply: fold the provider's stream events, report progress, stop at the turn's end."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio

from . import render
from .cursors import Codec
from .errors import AgentThreadsError
from .providers.base import Provider
from .refs import ThreadRef
from .shaping import clean, shape
from .transcript import MessageDone, TextDelta, Transcript, TurnResult, accumulate

Report = Callable[[float, str], Awaitable[None]]
PROGRESS_INTERVAL = 0.1  # at most 10 progress notifications a second
TAIL = 200
"""Characters of the latest text a progress notification carries at most (with the text's length), so a long
answer costs the wire about what it says, not what it says times the number of notifications."""
MARGIN = 2_000
"""How far before the tail the text is cleaned and masked (from a line start), so a secret is masked whole."""


async def follow(
    provider: Provider,
    ref: ThreadRef,
    message: str | None,
    checkpoint: str | None,
    timeout_s: float,
    report: Report,
    codec: Codec,
    redact: bool = True,
) -> tuple[TurnResult, str]:
    raw_checkpoint = codec.decode(f"chk:{ref}", checkpoint)["c"] if checkpoint else None
    progress = [Transcript(checkpoint=raw_checkpoint)]  # survives the timeout's cancellation
    with anyio.move_on_after(timeout_s):
        await _consume(provider, ref, message, raw_checkpoint, progress, report, redact)
    transcript = progress[0]
    thread = transcript.thread or str(ref)  # a send that created a session goes on there
    result = TurnResult(
        thread=thread,
        messages=[shape(m, "compact", redact=redact) for m in transcript.messages],
        ended=transcript.ended,
        stop_reason=transcript.stop_reason,
        checkpoint=codec.encode(f"chk:{thread}", {"c": transcript.checkpoint}) if transcript.checkpoint else None,
    )
    return result, render.turn_text(result, timeout_s)


class Throttle:
    """Progress at most every PROGRESS_INTERVAL: the first change after a quiet spell goes out at once (leading
    edge); changes inside the interval are coalesced and flushed when it ends (trailing edge)."""

    def __init__(
        self,
        progress: list[Transcript],
        report: Report,
        *,
        redact: bool = True,
        clock: Callable[[], float] = anyio.current_time,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self._progress, self._report, self._clock, self._sleep = progress, report, clock, sleep
        self._redact = redact
        self._wake = anyio.Event()  # replaced only by run(), so a set() is never lost
        self._pending = False
        self._last = -PROGRESS_INTERVAL

    async def changed(self) -> None:
        if self._clock() - self._last >= PROGRESS_INTERVAL:
            await self._send()
        else:
            self._pending = True
            self._wake.set()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            await self._sleep(max(0.0, self._last + PROGRESS_INTERVAL - self._clock()))
            if self._pending:
                await self._send()

    async def _send(self) -> None:
        self._pending = False
        self._last = self._clock()
        transcript = self._progress[0]
        await self._report(float(len(transcript.messages)), latest(transcript, redact=self._redact))


def latest(transcript: Transcript, *, redact: bool = True) -> str:
    """The newest text of the turn (the last message that has any, so a finished thought is not lost behind a
    tool call), as a progress message: whole when short, else its length and its cleaned, masked tail."""
    for message in reversed(transcript.messages):
        parts = (getattr(p, "text", None) or "" for p in reversed(message.parts))
        text = message.text or next((t for t in parts if t), "")
        if text:
            return render.progress_text(message.role, _tail(text, redact), len(text) if len(text) > TAIL else None)
    return ""


def _tail(text: str, redact: bool) -> str:
    start = max(0, len(text) - TAIL - MARGIN)
    if start:  # from a line start, so a secret's name and value are masked together (else the whole text)
        newline = text.find("\n", start, len(text) - TAIL)
        start = newline + 1 if newline >= 0 else 0
    return clean(text[start:], redact=redact)[-TAIL:]


async def _consume(
    provider: Provider,
    ref: ThreadRef,
    message: str | None,
    raw_checkpoint: str | None,
    progress: list[Transcript],
    report: Report,
    redact: bool,
) -> None:
    """Fold the stream into ``progress[0]`` as it arrives, so a timeout keeps what came (and the checkpoint)."""
    throttle = Throttle(progress, report, redact=redact)
    failed: list[AgentThreadsError] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(throttle.run)
        try:
            async with provider.stream(ref, message, raw_checkpoint) as events:
                async for event in events:
                    transcript = progress[0] = accumulate(progress[0], event)
                    if transcript.ended:
                        break
                    if isinstance(event, (TextDelta, MessageDone)):
                        await throttle.changed()
        except AgentThreadsError as e:  # raised after the task group, so it is not wrapped in an ExceptionGroup
            failed.append(e)
        tg.cancel_scope.cancel()
    if failed:
        raise failed[0]
