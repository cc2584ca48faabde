"""Streaming RDS AI replies: sending a query, the end of the turn, drops, checkpoints, in-band errors."""

from __future__ import annotations

import pytest

from agent_threads.errors import RateLimitError, UsageError
from agent_threads.http import RetryPolicy
from agent_threads.refs import parse_ref
from agent_threads.transcript import Mark, MessageDone, TextDelta, ToolCallPart, TurnEnd, fold

from ...conftest import NoSleep, follow_turn
from .test_provider import DISK, rdsai


async def test_sending_a_query_streams_the_query_and_the_reply_to_message_end(fast_retries: RetryPolicy) -> None:
    async with rdsai(fast_retries) as (provider, _):
        events = await follow_turn(provider, DISK, "How full is the disk now?")
        newest = await provider.read(parse_ref(DISK), None, 2)  # the newest vendor page, oldest first
    turn = fold(events)
    assert (turn.ended, turn.stop_reason) == (True, "message_end")
    query, reply = turn.messages
    assert (query.role, query.text, query.id) == ("user", "How full is the disk now?", newest.messages[-2].id)
    assert (
        reply.text
        == "You asked: How full is the disk now? The sandbox instance rm-sandbox01 is running; disk usage 31%, CPU 12%."
    )
    call = next(p for p in reply.parts if isinstance(p, ToolCallPart))
    assert call.name == "DescribeDBInstanceAttribute" and call.result is not None and "Running" in call.result
    assert len([e for e in events if isinstance(e, TextDelta)]) > 5
    assert [(m.seq, m.text) for m in newest.messages][-2] == (-2, "How full is the disk now?")
    assert newest.messages[-1].id == reply.id


async def test_streaming_needs_a_message_or_a_checkpoint(fast_retries: RetryPolicy) -> None:
    async with rdsai(fast_retries) as (provider, _):
        with pytest.raises(UsageError):
            await follow_turn(provider, DISK, None)


async def test_a_dropped_reply_is_completed_from_the_stored_row_and_the_query_goes_once(
    fast_retries: RetryPolicy,
) -> None:
    async with rdsai(fast_retries) as (provider, sandbox):
        sandbox.ctx.faults.add("rdsai", "drop_stream", route="ChatMessages", after_bytes=1500)
        events = await follow_turn(provider, DISK, "磁盘还剩多少?")
        rows, _ = await provider.rows(DISK.split(":", 1)[1], None, 100)
        assert [f[1] for f in sandbox.ctx.faults.fired] == ["drop_stream"]
    turn = fold(events)
    assert (
        turn.messages[-1].text
        == "已收到您的问题:「磁盘还剩多少?」。沙箱实例 rm-sandbox01 运行正常,磁盘使用率 31%,CPU 12%。"
    )
    assert [m.role for m in turn.messages] == ["user", "assistant"] and turn.stop_reason == "message_end"
    assert [r.query for r in rows].count("磁盘还剩多少?") == 1


async def test_a_checkpoint_gets_the_rest_of_the_reply(fast_retries: RetryPolicy) -> None:
    async with rdsai(fast_retries) as (provider, _):
        whole = await follow_turn(provider, DISK, "Any risk in upgrading?")
        marks = [e for e in whole if isinstance(e, Mark)]
        middle = marks[len(marks) // 2]
        rest = await follow_turn(provider, DISK, None, middle.checkpoint)
    full = fold(whole).messages[-1].text
    seen = int(middle.checkpoint.rsplit(":", 2)[1])
    done = next(e for e in rest if isinstance(e, MessageDone))
    assert 0 < seen < len(full)
    assert full[:seen] + done.message.text == full
    assert isinstance(rest[-1], TurnEnd)


async def test_an_error_before_the_reply_starts_is_raised_and_not_retried(
    fast_retries: RetryPolicy, no_sleep: NoSleep
) -> None:
    async with rdsai(
        fast_retries, **{"rdsai.chat_error": ("Throttling.User", "Request was denied due to user flow control.")}
    ) as (provider, _):
        with pytest.raises(RateLimitError) as caught:
            await follow_turn(provider, DISK, "hello?")
    assert caught.value.code == "Throttling.User"
    assert no_sleep.delays == []
