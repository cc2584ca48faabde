"""Following a live reply: fold the provider's stream events, report progress, stop at the turn's end.

A followed turn is bounded: each message keeps LIVE_TEXT characters in memory (``Bound``; the rest is counted),
the follow stops at a checkpoint once the turn holds LIVE_MESSAGES, and the result holds the latest messages
that fit RESULT_TOKENS, naming the earlier ones.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

import anyio

from . import render_live
from .cursors import Codec
from .errors import AgentThreadsError
from .providers.base import Provider
from .refs import ThreadRef
from .render import Renderer, cut
from .shaping import CAPS, clean, estimate_tokens, fit, shape
from .transcript import Mark, Message, MessageDone, StreamEvent, TextDelta, Transcript, TurnResult, accumulate

Report = Callable[[float, str], Awaitable[None]]
PROGRESS_INTERVAL = 0.1  # at most 10 progress notifications a second
LIVE_TEXT = 20_000
"""Characters of one message's text a followed turn keeps in memory; more is counted, shown as ``…(+N chars)``."""
LIVE_MESSAGES = 500
"""Messages a followed turn gathers before it stops at the next checkpoint, to be continued from there."""
RESULT_TOKENS = 7600
"""The result's budget (8,000 less the frame): the turn's latest messages that fit; the earlier ones are named, to
read with a ``since``."""


@dataclass
class Bound:
    """A followed turn's memory bound: each message keeps ``limit`` characters of its text (and of its reasoning);
    what a delta brings past that is only counted in ``held``, by message id (``id/reasoning``)."""

    limit: int = LIVE_TEXT
    kept: dict[str, int] = field(default_factory=dict[str, int])
    held: dict[str, int] = field(default_factory=dict[str, int])

    def trim(self, event: StreamEvent) -> StreamEvent | None:
        """The event as the fold may take it: a delta cut to the room left (None when none is), others as they are."""
        if isinstance(event, MessageDone) and event.message.id:  # the vendor's final form replaces the deltas
            self.kept[event.message.id] = len(event.message.text)
        if not isinstance(event, TextDelta):
            return event
        key = f"{event.id}/reasoning" if event.reasoning else event.id
        had = self.kept.get(key, 0)
        piece = event.text[: max(0, self.limit - had)]
        self.kept[key] = had + len(piece)
        if len(piece) < len(event.text):
            self.held[key] = self.held.get(key, 0) + len(event.text) - len(piece)
        return event if len(piece) == len(event.text) else replace(event, text=piece) if piece else None


async def follow(
    provider: Provider,
    ref: ThreadRef,
    message: str | None,
    checkpoint: str | None,
    timeout_s: float,
    report: Report,
    codec: Codec,
    redact: bool = True,
    secrets: tuple[str, ...] = (),
) -> tuple[TurnResult, str]:
    raw_checkpoint = codec.decode(f"chk:{ref}", checkpoint)["c"] if checkpoint else None
    progress = [Transcript(checkpoint=raw_checkpoint)]  # survives the timeout's cancellation
    bound, full = Bound(), list[bool]()
    with anyio.move_on_after(timeout_s):
        full.append(await _consume(provider, ref, message, raw_checkpoint, progress, report, bound, secrets, redact))
    transcript = progress[0]
    thread = transcript.thread or str(ref)  # a send that created a session goes on there
    messages = [_shown(m, bound.held.get(str(m.id), 0), redact, secrets) for m in transcript.messages]
    shown = latest_that_fit(messages, RESULT_TOKENS)
    result = TurnResult(
        thread=thread,
        messages=shown,
        ended=transcript.ended,
        stop_reason=transcript.stop_reason,
        checkpoint=codec.encode(f"chk:{thread}", {"c": transcript.checkpoint}) if transcript.checkpoint else None,
    )
    since = messages[0].time if len(shown) < len(messages) else None
    return result, render_live.turn_text(
        result, timeout_s, left_out=len(messages) - len(shown), since=since, full=any(full)
    )


def _shown(message: Message, held: int, redact: bool, secrets: tuple[str, ...]) -> Message:
    """A turn's message as the result shows it: compact, with the characters the fold did not keep counted."""
    shaped = shape(message, "compact", redact=redact, secrets=secrets)
    if not held:
        return shaped
    text = cut(clean(message.text, redact=redact, secrets=secrets), CAPS["compact"].text, hidden=held)
    return shaped.model_copy(update={"text": text})


def latest_that_fit(messages: list[Message], tokens: int) -> list[Message]:
    """The latest messages of a turn that fit ``tokens`` (at least the last one), in order; each counts twice, as
    its line and in structuredContent."""

    def cost(m: Message) -> int:
        return estimate_tokens(Renderer().message(m)) + estimate_tokens(m.model_dump_json(exclude_none=True))

    taken, _ = fit(reversed(messages), cost, tokens)
    return taken[::-1]


class Throttle:
    """Progress at most every PROGRESS_INTERVAL: the first change after a quiet spell goes out at once (leading
    edge); changes inside the interval are coalesced and flushed when it ends (trailing edge)."""

    def __init__(
        self,
        progress: list[Transcript],
        report: Report,
        *,
        clock: Callable[[], float] = anyio.current_time,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        bound: Bound | None = None,
        secrets: tuple[str, ...] = (),
        redact: bool = True,
    ) -> None:
        self._progress, self._report, self._clock, self._sleep = progress, report, clock, sleep
        self._bound, self._secrets, self._redact = bound or Bound(), secrets, redact
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
        text = render_live.progress_text(transcript, self._secrets, self._bound.held, redact=self._redact)
        await self._report(float(len(transcript.messages)), text)


async def _consume(
    provider: Provider,
    ref: ThreadRef,
    message: str | None,
    raw_checkpoint: str | None,
    progress: list[Transcript],
    report: Report,
    bound: Bound,
    secrets: tuple[str, ...] = (),
    redact: bool = True,
) -> bool:
    """Fold the stream into ``progress[0]`` as it arrives, so a timeout keeps what came (and the checkpoint).
    Returns True when it stopped at a checkpoint because the turn reached LIVE_MESSAGES."""
    throttle = Throttle(progress, report, bound=bound, secrets=secrets, redact=redact)
    failed: list[AgentThreadsError] = []
    full = False
    async with anyio.create_task_group() as tg:
        tg.start_soon(throttle.run)
        try:
            async with provider.stream(ref, message, raw_checkpoint) as events:
                async for event in events:
                    kept = bound.trim(event)
                    if kept is None:
                        continue
                    transcript = progress[0] = accumulate(progress[0], kept)
                    full = isinstance(kept, Mark) and len(transcript.messages) >= LIVE_MESSAGES
                    if transcript.ended or full:
                        break
                    if isinstance(kept, (TextDelta, MessageDone)):
                        await throttle.changed()
        except AgentThreadsError as e:  # raised after the task group, so it is not wrapped in an ExceptionGroup
            failed.append(e)
        tg.cancel_scope.cancel()
    if failed:
        raise failed[0]
    return full
