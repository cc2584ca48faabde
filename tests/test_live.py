"""Following a live turn: progress coalesced to at most ten reports a second, on a virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

from agent_threads import live
from agent_threads.cursors import CursorCodec
from agent_threads.refs import ThreadRef, parse_ref
from agent_threads.transcript import MessageStart, StreamEvent, TextDelta, Transcript, TurnEnd, accumulate

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
    message = live.latest(accumulate(turn, TextDelta(id="a", text=text)))
    assert message == f"assistant ({len(text)} chars): …{text[-live.TAIL :]}"
    short = live.latest(accumulate(turn, TextDelta(id="a", text="hi")))
    assert short == "assistant: hi"


def test_a_secret_in_the_tail_is_masked_even_when_its_name_starts_before_it() -> None:
    secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
    text = "x" * 5000 + f"\nconfig: password={secret}" + " tail" * 30
    turn = accumulate(Transcript(), MessageStart(id="a", role="assistant"))
    message = live.latest(accumulate(turn, TextDelta(id="a", text=text)))
    assert secret[-8:] not in message and "***" in message


def test_a_finished_thought_stays_the_progress_while_a_tool_call_follows_it() -> None:
    turn = accumulate(Transcript(), MessageStart(id="a", role="assistant"))
    turn = accumulate(turn, TextDelta(id="a", text="checking the log", reasoning=True))
    turn = accumulate(turn, MessageStart(id="b", role="assistant"))
    assert live.latest(turn) == "assistant: checking the log"


async def test_a_quiet_spell_lets_the_next_change_out_at_once() -> None:
    clock, sent = VirtualClock(), list[float]()

    async def report(progress: float, message: str) -> None:
        sent.append(clock.now)

    throttle = live.Throttle([Transcript()], report, clock=clock, sleep=clock.sleep)
    for when in (0.0, 0.3, 0.9):
        await clock.advance_to(when)
        await throttle.changed()
    assert sent == [0.0, 0.3, 0.9]


class Burst(FakeProvider):
    """A vendor stream that delivers a whole reply at once."""

    @asynccontextmanager
    async def stream(
        self, ref: ThreadRef, message: str | None, checkpoint: str | None
    ) -> AsyncIterator[AsyncIterator[StreamEvent]]:
        yield self._events()

    async def _events(self) -> AsyncIterator[StreamEvent]:
        yield MessageStart(id="a", role="assistant")
        for i in range(12):
            yield TextDelta(id="a", text=f"{i} ")
        yield TurnEnd(reason="end_turn")


async def test_a_burst_reports_its_first_delta_and_returns_the_whole_turn() -> None:
    sent: list[str] = []

    async def report(progress: float, message: str) -> None:
        sent.append(message)

    with anyio.fail_after(5):
        result, text = await live.follow(Burst(), parse_ref("qoder:s/t"), None, None, 10, report, CursorCodec(b"k"))
    assert sent == ["assistant: 0 "]
    assert result.ended and result.messages[0].text == "".join(f"{i} " for i in range(12))
    assert "turn ended (end_turn)" in text
