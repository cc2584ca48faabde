"""A page holds up to ``limit`` transcript messages from as many vendor pages as it takes, within the budget and
a time bound; what it does not show waits with the read-ahead for the next cursor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

from agent_threads import pages
from agent_threads.cursors import CursorStore
from agent_threads.readahead import ReadAhead
from agent_threads.refs import parse_ref
from agent_threads.transcript import Message

from .fakes import FakeProvider, sample_messages

REF = parse_ref("qoder:s/t")


class SteppingClock:
    """A clock that moves ``step`` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@asynccontextmanager
async def read_ahead() -> AsyncIterator[ReadAhead]:
    async with anyio.create_task_group() as tg:
        yield ReadAhead(tg)
        tg.cancel_scope.cancel()


async def read_all(
    fake: FakeProvider, limit: int, ahead: ReadAhead | None = None, view: pages.View = pages.View()
) -> list[list[int]]:
    """The seqs of every page of the thread, following the cursors."""
    codec, cursor, seqs = CursorStore(), None, list[list[int]]()
    while True:
        page, _ = await pages.read_page(fake, REF, cursor, limit, pages.Filters(), view, codec, ahead)
        seqs.append([m.seq for m in page.messages])
        if page.next_cursor is None:
            return seqs
        cursor = page.next_cursor


async def test_a_page_fills_to_its_limit_from_as_many_vendor_pages_as_it_takes() -> None:
    fake = FakeProvider(threads={"qoder:s/t": sample_messages(230)}, page_size_cap=40)
    seqs = await read_all(fake, limit=100)
    assert [len(s) for s in seqs] == [100, 100, 30]
    assert [n for page in seqs for n in page] == list(range(1, 231))


async def test_the_vendor_is_asked_for_its_largest_page_whatever_the_limit() -> None:
    fake = FakeProvider(threads={"qoder:s/t": sample_messages(30)})
    await read_all(fake, limit=5)
    assert {size for _, _, size in fake.reads} == {pages.VENDOR_PAGE}


async def test_what_a_page_leaves_of_a_vendor_page_is_served_to_the_next_cursor_without_asking_again() -> None:
    fake = FakeProvider(threads={"qoder:s/t": sample_messages(250)})
    async with read_ahead() as ahead:
        with anyio.fail_after(5):
            seqs = await read_all(fake, limit=30, ahead=ahead)
    assert [n for page in seqs for n in page] == list(range(1, 251))
    assert [state for _, state, _ in fake.reads] == [None, {"i": 100}, {"i": 200}]


async def test_a_page_that_ends_inside_a_vendor_page_continues_right_after_it_without_a_read_ahead() -> None:
    fake = FakeProvider(threads={"qoder:s/t": sample_messages(90)}, page_size_cap=40)
    seqs = await read_all(fake, limit=25)
    assert seqs == [list(range(1, 26)), list(range(26, 51)), list(range(51, 76)), list(range(76, 91))]


async def test_the_budget_ends_a_page_before_its_limit_and_says_so() -> None:
    fake = FakeProvider(threads={"qoder:s/t": sample_messages(100, text="word " * 120 + "{i}")}, page_size_cap=10)
    codec = CursorStore()
    page, text = await pages.read_page(fake, REF, None, 100, pages.Filters(), pages.View(budget_tokens=1000), codec)
    assert 0 < len(page.messages) < 100 and page.truncated and "cut at the output budget" in text
    rest = await read_all(fake, limit=100, view=pages.View(budget_tokens=1000))
    assert [n for p in rest for n in p] == list(range(1, 101))


async def test_a_page_stops_taking_vendor_pages_once_its_time_is_spent_and_continues_from_there() -> None:
    fake = FakeProvider(threads={"qoder:s/t": sample_messages(100)}, page_size_cap=10)
    clock = SteppingClock(pages.FILL_SECONDS / 3)  # read once at the start, then after each vendor page
    codec = CursorStore()
    page, _ = await pages.read_page(fake, REF, None, 100, pages.Filters(), pages.View(), codec, clock=clock)
    assert [m.seq for m in page.messages] == list(range(1, 31)) and not page.truncated
    later, _ = await pages.read_page(fake, REF, page.next_cursor, 100, pages.Filters(), pages.View(), codec)
    assert [m.seq for m in later.messages] == list(range(31, 101))


async def test_filters_fill_a_page_from_vendor_pages_that_hold_few_matches() -> None:
    messages = [Message(id=f"m{i}", role="user" if i % 10 == 0 else "assistant", text=f"t{i}") for i in range(200)]
    fake = FakeProvider(threads={"qoder:s/t": messages}, page_size_cap=20)
    page, _ = await pages.read_page(
        fake, REF, None, 100, pages.Filters(roles=frozenset({"user"})), pages.View(), CursorStore()
    )
    assert [m.seq for m in page.messages] == list(range(1, 201, 10)) and page.next_cursor is None
