"""Write-through: pages a tool reads reach the index in the background, one writer per thread taking every page
waiting for it at once when reading pauses or the backlog fills, and never more than the backlog (and a page) in
memory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anyio
import anyio.lowlevel

from agent_threads.providers.base import Batch
from agent_threads.writethrough import Recorder

from .fakes import sample_messages


class SlowIndex:
    """An index whose writes wait until ``release`` is set, recording what each write held."""

    def __init__(self) -> None:
        self.release = anyio.Event()
        self.writes: list[tuple[str, list[int]]] = []

    async def record_pages(self, ref: str, pages: Sequence[tuple[Batch, int]]) -> None:
        await self.release.wait()
        self.writes.append((ref, [first for _, first in pages]))


async def no_wait(seconds: float) -> None:
    await anyio.lowlevel.checkpoint()


async def written(index: SlowIndex, pages: int) -> None:
    """Until ``pages`` pages were written (without asking the writers to hurry, as ``settled`` does)."""
    with anyio.fail_after(5):
        while sum(len(firsts) for _, firsts in index.writes) < pages:
            await anyio.lowlevel.checkpoint()


def page(at: int, size: int = 10) -> tuple[dict[str, Any] | None, Batch]:
    state = None if at == 0 else {"i": at}
    return state, Batch(sample_messages(size), {"i": at + size})


async def test_pages_waiting_for_a_thread_go_to_the_index_in_one_write() -> None:
    index = SlowIndex()
    async with anyio.create_task_group() as tg:
        recorder = Recorder(index, tg, sleep=no_wait)  # type: ignore[arg-type]
        for at in range(0, 50, 10):
            recorder.page("qoder:s/t", *page(at))
        index.release.set()
        with anyio.fail_after(5):
            assert await recorder.settled(5)
    assert index.writes == [("qoder:s/t", [0, 10, 20, 30, 40])]


async def test_a_thread_still_being_read_is_written_once_its_reading_pauses() -> None:
    index, recorder_of = SlowIndex(), list[Recorder]()
    index.release.set()
    more = [page(at) for at in range(10, 50, 10)]

    async def reading_goes_on(seconds: float) -> None:  # a page arrives during each wait, until there is none
        await anyio.lowlevel.checkpoint()
        if more:
            recorder_of[0].page("qoder:s/t", *more.pop(0))

    async with anyio.create_task_group() as tg:
        recorder_of.append(Recorder(index, tg, sleep=reading_goes_on))  # type: ignore[arg-type]
        recorder_of[0].page("qoder:s/t", *page(0))
        await written(index, 5)
    assert index.writes == [("qoder:s/t", [0, 10, 20, 30, 40])]


async def test_a_search_waiting_for_the_writes_has_them_written_without_waiting_for_a_pause() -> None:
    index, recorder_of, waits = SlowIndex(), list[Recorder](), [0]
    index.release.set()

    async def endless(seconds: float) -> None:  # the reader never pauses
        await anyio.lowlevel.checkpoint()
        waits[0] += 1
        recorder_of[0].page("qoder:s/t", *page(10 * waits[0]))

    async with anyio.create_task_group() as tg:
        recorder_of.append(Recorder(index, tg, sleep=endless))  # type: ignore[arg-type]
        recorder_of[0].page("qoder:s/t", *page(0))
        await anyio.lowlevel.checkpoint()
        with anyio.fail_after(5):
            assert await recorder_of[0].settled(5)
    assert index.writes and index.writes[0][1][0] == 0 and waits[0] <= 2, (waits, index.writes)


async def test_a_reader_that_never_pauses_is_written_each_time_the_backlog_fills() -> None:
    index, recorder_of, at = SlowIndex(), list[Recorder](), [0]
    index.release.set()

    async def endless(seconds: float) -> None:
        await anyio.lowlevel.checkpoint()
        if at[0] < 100:
            at[0] += 10
            recorder_of[0].page("qoder:s/t", *page(at[0]))

    async with anyio.create_task_group() as tg:
        recorder_of.append(Recorder(index, tg, backlog=25, sleep=endless))  # type: ignore[arg-type]
        recorder_of[0].page("qoder:s/t", *page(0))
        await written(index, 11)
    firsts = [first for _, each in index.writes for first in each]
    assert firsts == list(range(0, 110, 10)) and len(index.writes) > 2, index.writes
    assert all(len(firsts) <= 3 for _, firsts in index.writes)  # never more than the backlog (25) and a page


async def test_a_write_takes_a_bounded_number_of_messages_and_the_rest_follow_without_waiting() -> None:
    index, sleeps = SlowIndex(), [0]
    index.release.set()

    async def counted(seconds: float) -> None:
        await anyio.lowlevel.checkpoint()
        sleeps[0] += 1

    async with anyio.create_task_group() as tg:
        recorder = Recorder(index, tg, write_at_once=25, sleep=counted)  # type: ignore[arg-type]
        for at in range(0, 100, 10):
            recorder.page("qoder:s/t", *page(at))
        await written(index, 10)
    assert index.writes == [("qoder:s/t", [0, 10]), ("qoder:s/t", [20, 30]), ("qoder:s/t", [40, 50]),
                            ("qoder:s/t", [60, 70]), ("qoder:s/t", [80, 90])]  # fmt: skip
    assert sleeps[0] == 2  # one pause noticed (two waits), then no wait between the writes


async def test_a_reader_faster_than_the_index_leaves_pages_beyond_the_backlog_to_the_next_sync() -> None:
    index = SlowIndex()
    async with anyio.create_task_group() as tg:
        recorder = Recorder(index, tg, backlog=25, sleep=no_wait)  # type: ignore[arg-type]
        for at in range(0, 100, 10):
            recorder.page("qoder:s/t", *page(at))
        index.release.set()
        with anyio.fail_after(5):
            assert await recorder.settled(5)
        recorder.page("qoder:s/t", *page(100))  # the backlog is free again
        with anyio.fail_after(5):
            assert await recorder.settled(5)
    assert index.writes == [("qoder:s/t", [0, 10, 20]), ("qoder:s/t", [100])]
