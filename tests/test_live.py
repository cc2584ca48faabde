"""Progress coalescing for live turns."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

from agent_threads import live
from agent_threads.cursors import CursorCodec
from agent_threads.refs import parse_ref
from agent_threads.transcript import MessageStart, StreamEvent, TextDelta, TurnEnd

from .fakes import FakeProvider


class Paced(FakeProvider):
    """A vendor stream whose deltas arrive every 50 ms (the pacing is the stimulus under test, not a wait)."""

    @asynccontextmanager
    async def stream(self, ref, message, checkpoint):  # type: ignore[no-untyped-def,override]
        yield self._events()

    async def _events(self) -> AsyncIterator[StreamEvent]:
        yield MessageStart(id="a", role="assistant")
        for i in range(12):
            await anyio.sleep(0.05)
            yield TextDelta(id="a", text=f"{i} ")
        await anyio.sleep(0.4)
        yield TurnEnd(reason="end_turn")


async def test_progress_is_leading_edge_coalesced_to_four_a_second_and_flushed_at_the_end_of_a_burst() -> None:
    sent: list[tuple[float, str]] = []

    async def report(progress: float, message: str) -> None:
        sent.append((anyio.current_time(), message))

    with anyio.fail_after(5):
        result, _ = await live.follow(Paced(), parse_ref("qoder:s/t"), None, None, 10, report, CursorCodec(b"k"))
    times = [t for t, _ in sent]
    assert sent[0][1] == "assistant: 0 "
    assert all(b - a >= live.PROGRESS_INTERVAL - 0.01 for a, b in zip(times, times[1:]))
    assert sent[-1][1] == "assistant: " + "".join(f"{i} " for i in range(12))
    assert 3 <= len(sent) <= 5 and result.ended
