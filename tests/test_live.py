"""Following a live turn: progress coalesced to at most ten reports a second, on a virtual clock."""

from __future__ import annotations

import tracemalloc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio

from agent_threads import live, render_live
from agent_threads.cursors import CursorCodec
from agent_threads.refs import ThreadRef, parse_ref
from agent_threads.render import untrusted
from agent_threads.transcript import (
    Mark,
    Message,
    MessageDone,
    MessageStart,
    ReasoningPart,
    StreamEvent,
    TextDelta,
    Transcript,
    TurnEnd,
    accumulate,
)

from .fakes import FakeProvider


class VirtualClock:
    """Time that moves only when the test advances it; a sleep ends once its deadline has passed."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, anyio.Event]] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        woken = anyio.Event()
        self._sleepers.append((self.now + seconds, woken))
        await woken.wait()

    async def advance_to(self, when: float) -> None:
        self.now = when
        for due, woken in [s for s in self._sleepers if s[0] <= when]:
            self._sleepers.remove((due, woken))
            woken.set()
        await anyio.wait_all_tasks_blocked()


async def test_progress_goes_out_at_once_then_at_most_once_per_interval_with_the_text_so_far() -> None:
    clock, sent = VirtualClock(), list[tuple[float, str]]()

    async def report(progress: float, message: str) -> None:
        sent.append((clock.now, message))

    progress = [accumulate(Transcript(), MessageStart(id="a", role="assistant"))]
    throttle = live.Throttle(progress, report, clock=clock, sleep=clock.sleep)
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(throttle.run)
            for i in range(12):  # a delta every 50 ms
                await clock.advance_to(i * 0.05)
                progress[0] = accumulate(progress[0], TextDelta(id="a", text=f"{i} "))
                await throttle.changed()
            await clock.advance_to(0.75)
            tg.cancel_scope.cancel()
    times = [round(when, 6) for when, _ in sent]
    assert sent[0] == (0.0, "assistant: 0 ") and sent[-1][1] == "assistant: " + "".join(f"{i} " for i in range(12))
    assert all(later - earlier > live.PROGRESS_INTERVAL - 1e-9 for earlier, later in zip(times, times[1:])), sent
    assert len(sent) == 7  # 12 deltas in 0.55 s: the first at once, then one per interval, the last flushed


def test_a_long_text_is_reported_by_its_length_and_tail_only() -> None:
    text = "".join(f"line {i}: all good\n" for i in range(2000))
    turn = accumulate(Transcript(), MessageStart(id="a", role="assistant"))
    message = render_live.progress_text(accumulate(turn, TextDelta(id="a", text=text)))
    assert message == f"assistant ({len(text)} chars): …{untrusted(text[-render_live.TAIL :])}"
    short = render_live.progress_text(accumulate(turn, TextDelta(id="a", text="hi")))
    assert short == "assistant: hi"


def test_a_secret_in_the_tail_is_masked_even_when_its_name_starts_before_it() -> None:
    secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
    text = "x" * 5000 + f"\nconfig: password={secret}" + " tail" * 30
    turn = accumulate(Transcript(), MessageStart(id="a", role="assistant"))
    message = render_live.progress_text(accumulate(turn, TextDelta(id="a", text=text)))
    assert secret[-8:] not in message and "***" in message


def test_a_finished_thought_stays_the_progress_while_a_tool_call_follows_it() -> None:
    turn = accumulate(Transcript(), MessageStart(id="a", role="assistant"))
    turn = accumulate(turn, TextDelta(id="a", text="checking the log", reasoning=True))
    turn = accumulate(turn, MessageStart(id="b", role="assistant"))
    assert render_live.progress_text(turn) == "assistant: checking the log"


async def test_a_quiet_spell_lets_the_next_change_out_at_once() -> None:
    clock, sent = VirtualClock(), list[float]()

    async def report(progress: float, message: str) -> None:
        sent.append(clock.now)

    throttle = live.Throttle([Transcript()], report, clock=clock, sleep=clock.sleep)
    for when in (0.0, 0.3, 0.9):
        await clock.advance_to(when)
        await throttle.changed()
    assert sent == [0.0, 0.3, 0.9]


@dataclass
class Scripted(FakeProvider):
    """A vendor stream that plays ``script(checkpoint)``."""

    script: Callable[[str | None], AsyncIterator[StreamEvent]] = field(default=lambda checkpoint: _burst())

    @asynccontextmanager
    async def stream(
        self, ref: ThreadRef, message: str | None, checkpoint: str | None
    ) -> AsyncIterator[AsyncIterator[StreamEvent]]:
        yield self.script(checkpoint)


async def _burst() -> AsyncIterator[StreamEvent]:
    """A whole reply at once."""
    yield MessageStart(id="a", role="assistant")
    for i in range(12):
        yield TextDelta(id="a", text=f"{i} ")
    yield TurnEnd(reason="end_turn")


async def test_a_burst_reports_its_first_delta_and_returns_the_whole_turn() -> None:
    sent: list[str] = []

    async def report(progress: float, message: str) -> None:
        sent.append(message)

    with anyio.fail_after(5):
        result, text = await live.follow(Scripted(), parse_ref("qoder:s/t"), None, None, 10, report, CursorCodec(b"k"))
    assert sent == ["assistant: 0 "]
    assert result.ended and result.messages[0].text == "".join(f"{i} " for i in range(12))
    assert "turn ended (end_turn)" in text


async def _endless(checkpoint: str | None) -> AsyncIterator[StreamEvent]:
    """One reply that runs on: 4,000 deltas of 10,000 characters (40 MB), a checkpoint after each."""
    piece = "z" * 10_000
    yield MessageStart(id="a", role="assistant")
    for i in range(4000):
        yield TextDelta(id="a", text=piece)
        yield Mark(f"c{i}")
    yield TurnEnd("end_turn")


async def test_a_reply_of_40_mb_in_deltas_is_held_to_a_bounded_head_in_memory_and_its_rest_counted() -> None:
    sent: list[str] = []

    async def report(progress: float, message: str) -> None:
        sent.append(message)

    tracemalloc.start()
    try:
        with anyio.fail_after(60):
            result, _ = await live.follow(
                Scripted(script=_endless), parse_ref("qoder:s/t"), None, None, 60, report, CursorCodec(b"k")
            )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    shown = result.messages[0].text
    assert peak < 4_000_000  # a tenth of what came
    assert shown.endswith(f"…(+{40_000_000 - 2000} chars)") and result.ended
    assert all(len(m) < 2100 for m in sent)


async def _many(checkpoint: str | None) -> AsyncIterator[StreamEvent]:
    """Whole messages that keep coming, a checkpoint after each."""
    start = int(checkpoint or 0)
    for i in range(start, start + 2000):
        yield MessageDone(Message(id=f"m{i}", role="assistant", text=f"message {i}"))
        yield Mark(str(i + 1))


async def test_a_turn_that_keeps_growing_stops_at_a_checkpoint_the_next_call_continues_from() -> None:
    codec = CursorCodec(b"k")

    async def report(progress: float, message: str) -> None:
        return None

    provider, ref = Scripted(script=_many), parse_ref("qoder:s/t")
    with anyio.fail_after(30):
        first, text = await live.follow(provider, ref, None, None, 30, report, codec)
        second, _ = await live.follow(provider, ref, None, first.checkpoint, 30, report, codec)
    assert "stopped at this call's size bound" in text and not first.ended
    assert first.messages[-1].text == f"message {live.LIVE_MESSAGES - 1}"
    assert second.messages[-1].text == f"message {2 * live.LIVE_MESSAGES - 1}"


def test_a_bound_keeps_a_head_of_each_message_and_counts_what_an_endless_delta_stream_brings_past_it() -> None:
    piece = "lorem ipsum " * 850  # ~10 KB a delta: 2,000 of them are ~20 MB
    bound, transcript = live.Bound(limit=20_000), Transcript()
    for _ in range(2000):
        for delta in (TextDelta(id="a", text=piece), TextDelta(id="a", text=piece[:100], reasoning=True)):
            kept = bound.trim(delta)
            transcript = accumulate(transcript, kept) if kept is not None else transcript
    message = transcript.messages[0]
    assert message.text == (piece * 2)[:20_000]
    assert isinstance(message.parts[0], ReasoningPart) and len(message.parts[0].text) == 20_000
    assert bound.held == {"a": 2000 * len(piece) - 20_000, "a/reasoning": 2000 * 100 - 20_000}
    done = Message(id="a", role="assistant", text="final")  # the vendor's final form resets what is kept
    assert bound.trim(MessageDone(done)) == MessageDone(done) and bound.trim(TextDelta(id="a", text="!")) is not None
