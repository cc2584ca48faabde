from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from agent_threads.app import build_server
from agent_threads.config import Settings, load_settings
from agent_threads.errors import ProviderConnectionError
from agent_threads.providers.base import Batch, ProviderSettings
from agent_threads.readahead import ReadAhead, key

from .fakes import FakeProvider, fake_factory, page_cursor, page_seqs, reply_events, sample_messages
from .fakes import result_text as _text


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _batch(label: str) -> Batch:
    return Batch(sample_messages(1, text=label))


async def test_a_page_read_ahead_is_taken_without_fetching_again() -> None:
    calls: list[str] = []

    async def fetch() -> Batch:
        calls.append("fetch")
        return _batch("page 2")

    batch: Batch | None = None
    async with anyio.create_task_group() as tg:
        ahead = ReadAhead(tg)
        ahead.start(key("qoder", "qoder:s1", {"i": 100}, 100), fetch)
        ahead.start(key("qoder", "qoder:s1", {"i": 100}, 100), fetch)  # already on its way: not fetched twice
        with anyio.fail_after(5):
            batch = await ahead.take(key("qoder", "qoder:s1", {"i": 100}, 100))
    assert batch is not None and batch.messages[0].text == "page 2"
    assert calls == ["fetch"]


async def test_nothing_is_served_for_another_page_size_or_state() -> None:
    async with anyio.create_task_group() as tg:
        ahead = ReadAhead(tg)
        ahead.keep(key("qoder", "qoder:s1", {"i": 100}, 100), _batch("p"))
        assert await ahead.take(key("qoder", "qoder:s1", {"i": 100}, 50)) is None
        assert await ahead.take(key("qoder", "qoder:s1", {"i": 200}, 100)) is None
        assert await ahead.take(key("qoder", "qoder:s1", {"i": 100}, 100)) is not None


async def test_a_stale_page_is_not_served() -> None:
    clock = Clock()
    async with anyio.create_task_group() as tg:
        ahead = ReadAhead(tg, ttl=15, clock=clock)
        ahead.keep(key("qoder", "qoder:s1", None, 100), _batch("old"))
        clock.now += 16
        assert await ahead.take(key("qoder", "qoder:s1", None, 100)) is None


async def test_keeping_a_page_again_does_not_make_it_fresh() -> None:
    clock = Clock()
    batch = _batch("cut by the budget")
    async with anyio.create_task_group() as tg:
        ahead = ReadAhead(tg, ttl=15, clock=clock)
        ahead.keep(key("qoder", "qoder:s1", None, 100), batch)
        clock.now += 10
        ahead.keep(key("qoder", "qoder:s1", None, 100), batch)
        clock.now += 10
        assert await ahead.take(key("qoder", "qoder:s1", None, 100)) is None


async def test_a_failed_read_ahead_leaves_the_caller_to_fetch_itself() -> None:
    async def fetch() -> Batch:
        raise ProviderConnectionError("could not reach 127.0.0.1", provider="qoder")

    async with anyio.create_task_group() as tg:
        ahead = ReadAhead(tg)
        ahead.start(key("qoder", "qoder:s1", {"i": 1}, 100), fetch)
        with anyio.fail_after(5):
            assert await ahead.take(key("qoder", "qoder:s1", {"i": 1}, 100)) is None


async def test_only_the_newest_pages_are_kept() -> None:
    async with anyio.create_task_group() as tg:
        ahead = ReadAhead(tg, size=2)
        for i in range(3):
            ahead.keep(key("qoder", "qoder:s1", {"i": i}, 100), _batch(str(i)))
        assert await ahead.take(key("qoder", "qoder:s1", {"i": 0}, 100)) is None
        assert await ahead.take(key("qoder", "qoder:s1", {"i": 2}, 100)) is not None


def _server(fake: FakeProvider, **settings: Any) -> Any:
    base = Settings(providers=(ProviderSettings("qoder", "qoder", credentials={"token": "t" * 20}),))
    return build_server(replace(base, **settings), factory=fake_factory({"qoder": fake}))


async def test_following_cursors_asks_the_vendor_for_each_page_once() -> None:
    fake = FakeProvider(threads={"qoder:s1": sample_messages(250)})
    async with Client(_server(fake)) as client:
        args: dict[str, Any] = {"thread": "qoder:s1"}
        seen = 0
        while True:
            result = await client.call_tool("get_thread_messages", args)
            assert not result.is_error
            seen += len(page_seqs(result))
            if not page_cursor(result):
                break
            args["cursor"] = page_cursor(result)
    assert seen == 250
    assert [state for _, state, _ in fake.reads] == [None, {"i": 100}, {"i": 200}]


async def test_a_page_cut_by_the_budget_continues_without_a_new_vendor_read() -> None:
    fake = FakeProvider(threads={"qoder:s1": sample_messages(40, text="a fairly long line of text number {i} " * 8)})
    async with Client(_server(fake)) as client:
        first = await client.call_tool("get_thread_messages", {"thread": "qoder:s1", "budget_tokens": 500})
        assert "cut at the output budget" in _text(first)
        cursor = page_cursor(first)
        args = {"thread": "qoder:s1", "cursor": cursor, "budget_tokens": 500}
        second = await client.call_tool("get_thread_messages", args)
    shown = len(page_seqs(first))
    assert _text(second).splitlines()[1].startswith(f"#{shown + 1} ")  # right after the last message shown
    assert len(fake.reads) == 1


async def test_the_next_page_is_fetched_while_the_model_reads_this_one() -> None:
    fake = FakeProvider(threads={"qoder:s1": sample_messages(250)})
    async with Client(_server(fake)) as client:
        await client.call_tool("get_thread_messages", {"thread": "qoder:s1"})
        with anyio.fail_after(5):
            while len(fake.reads) < 2:
                await anyio.sleep(0)
    assert fake.reads[1][1] == {"i": 100}


@pytest.mark.parametrize("pages", [1, 2])
async def test_a_thread_that_ends_is_not_read_past_its_end(pages: int) -> None:
    fake = FakeProvider(threads={"qoder:s1": sample_messages(100 * pages)})
    async with Client(_server(fake)) as client:
        args: dict[str, Any] = {"thread": "qoder:s1"}
        for _ in range(pages):
            result = await client.call_tool("get_thread_messages", args)
            args["cursor"] = page_cursor(result)
    assert args["cursor"] is None
    assert len(fake.reads) == pages


async def test_forgetting_a_thread_drops_only_its_pages() -> None:
    async with anyio.create_task_group() as tg:
        ahead = ReadAhead(tg)
        ahead.keep(key("qoder", "qoder:s1", {"i": 1}, 100), _batch("a"))
        ahead.keep(key("qoder", "qoder:s2", {"i": 1}, 100), _batch("b"))
        ahead.forget("qoder", "qoder:s1")
        assert await ahead.take(key("qoder", "qoder:s1", {"i": 1}, 100)) is None
        assert await ahead.take(key("qoder", "qoder:s2", {"i": 1}, 100)) is not None


async def test_a_turn_followed_on_a_thread_makes_its_next_page_be_read_again() -> None:
    fake = FakeProvider(threads={"qoder:s1": sample_messages(40, text="a fairly long line of text number {i} " * 8)})
    fake.stream_events = reply_events()
    async with Client(_server(fake)) as client:
        first = await client.call_tool("get_thread_messages", {"thread": "qoder:s1", "budget_tokens": 500})
        chat = await client.call_tool("stream_chat", {"thread": "qoder:s1", "message": "and now?"})
        assert not chat.is_error
        cursor = page_cursor(first)
        await client.call_tool("get_thread_messages", {"thread": "qoder:s1", "cursor": cursor, "budget_tokens": 500})
    assert len(fake.reads) == 2  # the page kept for the cut was dropped: the vendor is asked again


async def test_with_read_ahead_off_each_call_asks_the_vendor_itself() -> None:
    flag = {"AGENT_THREADS_NO_READ_AHEAD": "1"}
    assert load_settings(flag, home=Path("/nonexistent-home")).read_ahead is False
    fake = FakeProvider(threads={"qoder:s1": sample_messages(40, text="a fairly long line of text number {i} " * 8)})
    async with Client(_server(fake, read_ahead=False)) as client:
        first = await client.call_tool("get_thread_messages", {"thread": "qoder:s1", "budget_tokens": 500})
        cursor = page_cursor(first)
        await client.call_tool("get_thread_messages", {"thread": "qoder:s1", "cursor": cursor, "budget_tokens": 500})
    assert len(fake.reads) == 2
