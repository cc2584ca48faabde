"""Write-through: pages a tool reads reach the index in the background, one writer per thread taking every page
waiting for it at once, and never more than a bounded backlog in memory."""

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
    assert index.writes == [("qoder:s/t", [0, 10]), ("qoder:s/t", [100])]
