"""DMS transcript pages under a hostile GetChatContent replay: early closes, late first bytes, silences, replays
that never end, and what is (and is not) called "still running"."""

from __future__ import annotations

from typing import Any

import anyio

from agent_threads.http import RetryPolicy, Timeouts
from agent_threads.providers.base import Batch
from agent_threads.refs import parse_ref
from agent_threads.sandbox.dms.app import frame
from agent_threads.sandbox.dms.data import sample_sessions

from ...conftest import NoSleep
from .test_provider import Q3, _actions, dms

RUNNING = "dms:sess_running_kpi_5e0a"
SHORT = Timeouts(read=5.0, stream_idle=0.2)
"""A stream idle timeout far below the read timeout, so a test tells the two apart in well under a second."""


def offset_after(session: str, event_type: str, nth: int = 1) -> int:
    """The byte offset of a session's replay right after its ``nth`` event of ``event_type``."""
    events = sample_sessions({})[session.split(":", 1)[1]].events
    sent, seen = 0, 0
    for event in events:
        sent += len(frame(str(event["checkpoint"]), event))
        seen += event["event_type"] == event_type
        if seen == nth:
            return sent
    raise AssertionError(f"{session} has fewer than {nth} {event_type} events")


def replays(sent: list[str]) -> int:
    return sent.count("GetChatContent")


def dumped(batch: Batch) -> list[dict[str, Any]]:
    return [m.model_dump() for m in batch.messages]


async def test_a_replay_that_closes_before_chat_finish_resumes_from_the_last_checkpoint(
    fast_retries: RetryPolicy,
) -> None:
    async with dms(fast_retries) as (provider, sandbox):
        baseline = await provider.read(parse_ref(Q3), None, 50)
        sent = _actions(provider)
        sandbox.ctx.faults.add("dms", "close_early", route="GetChatContent", after_bytes=1200)
        again = await provider.read(parse_ref(Q3), None, 50)
    assert [f[1] for f in sandbox.ctx.faults.fired] == ["close_early"] and replays(sent) == 2
    assert dumped(again) == dumped(baseline) and (again.note, again.incomplete) == (None, None)


async def test_a_replay_that_closes_between_two_turns_resumes_and_loses_neither(fast_retries: RetryPolicy) -> None:
    async with dms(fast_retries) as (provider, sandbox):
        baseline = await provider.read(parse_ref(Q3), None, 50)
        after_first = offset_after(Q3, "CHAT_FINISH")
        sandbox.ctx.faults.add("dms", "close_early", route="GetChatContent", after_bytes=after_first + 10)
        again = await provider.read(parse_ref(Q3), None, 50)
    assert sandbox.ctx.faults.fired and dumped(again) == dumped(baseline)
    assert [m.role for m in again.messages].count("assistant") == 3  # two turns and the report


async def test_a_slow_first_byte_is_waited_for_under_the_read_timeout_not_the_idle_one(
    fast_retries: RetryPolicy,
) -> None:
    async with dms(fast_retries, timeouts=SHORT) as (provider, sandbox):
        baseline = await provider.read(parse_ref(Q3), None, 50)
        sent = _actions(provider)
        sandbox.ctx.faults.add("dms", "slow_first_byte", route="GetChatContent", delay=0.6)
        with anyio.fail_after(4):
            again = await provider.read(parse_ref(Q3), None, 50)
    assert sandbox.ctx.faults.fired and replays(sent) == 1, "a slow first byte is no reason to reconnect"
    assert dumped(again) == dumped(baseline)


async def test_a_finished_session_whose_replay_falls_silent_is_resumed_not_called_still_running(
    fast_retries: RetryPolicy,
) -> None:
    quiet_soon = Timeouts(read=5.0, stream_idle=30.0, replay_quiet=0.2)  # the connection itself would wait on
    async with dms(fast_retries, timeouts=quiet_soon) as (provider, sandbox):
        baseline = await provider.read(parse_ref(Q3), None, 50)
        sandbox.ctx.faults.add("dms", "stall", route="GetChatContent", after_bytes=1200, delay=8.0)
        with anyio.fail_after(4):
            again = await provider.read(parse_ref(Q3), None, 50)
    assert sandbox.ctx.faults.fired and dumped(again) == dumped(baseline)
    assert again.note is None and again.status == "finished"


async def test_only_a_session_dms_says_is_running_ends_in_a_still_running_turn(fast_retries: RetryPolicy) -> None:
    async with dms(fast_retries, timeouts=SHORT, **{"dms.running_session": True}) as (provider, _):
        with anyio.fail_after(4):
            batch = await provider.read(parse_ref(RUNNING), None, 50)
    assert [m.role for m in batch.messages] == ["user", "assistant", "user", "assistant"]
    assert batch.messages[-1].text == "Revenue rose 4%, churn fell"
    assert batch.status == "running" and batch.note == "the last turn is still running; stream_chat follows it"
    assert batch.next_state is None and batch.incomplete is None


async def test_a_replay_that_keeps_closing_early_gives_a_page_marked_incomplete_not_one_that_looks_whole(
    fast_retries: RetryPolicy, no_sleep: NoSleep
) -> None:
    async with dms(fast_retries) as (provider, sandbox):
        sandbox.ctx.faults.add("dms", "close_early", route="GetChatContent", after_bytes=1200)
        sandbox.ctx.faults.add("dms", "close_early", route="GetChatContent", after_bytes=0, times=None)  # then nothing
        batch = await provider.read(parse_ref(Q3), None, 50)
    assert len(no_sleep.delays) == fast_retries.max_retries, "reopened under the retry policy, then given up"
    assert batch.incomplete is not None and "closed before it was complete" in batch.incomplete
    assert batch.note is None or "still running" not in batch.note
    users = [m.text for m in batch.messages if m.role == "user"]
    assert len(users) == 2, "the user messages and the partial turn are kept, not dropped"


async def test_a_replay_that_never_goes_quiet_ends_the_page_at_its_limit_and_the_cursor_goes_on(
    fast_retries: RetryPolicy,
) -> None:
    async with dms(fast_retries) as (provider, sandbox):
        baseline = await provider.read(parse_ref(Q3), None, 10)
        sandbox.ctx.faults.add("dms", "endless", route="GetChatContent")
        with anyio.fail_after(10):
            first = await provider.read(parse_ref(Q3), None, 10)
            rest = await provider.read(parse_ref(Q3), first.next_state, 10)
    assert sandbox.ctx.faults.fired
    endless = first.messages[-1]
    assert endless.role == "assistant" and endless.text.startswith("more more")
    assert first.note == "the last turn goes on past this page; next_cursor continues it"
    assert dumped(first)[:-1] + dumped(rest) == dumped(baseline)
