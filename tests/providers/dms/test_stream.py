"""Following DMS sessions live: the latest turn, sending, resuming from checkpoints and after drops."""

from __future__ import annotations

import pytest

from agent_threads.errors import UsageError
from agent_threads.http import RetryPolicy
from agent_threads.transcript import Mark, PlanPart, StreamEvent, TextDelta, Transcript, TurnEnd, fold

from ...conftest import follow_turn
from .test_provider import Q3, dms


def text_of(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta) and not e.reasoning)


async def test_following_without_a_checkpoint_shows_only_the_latest_turn(fast_retries: RetryPolicy) -> None:
    async with dms(fast_retries) as (provider, _):
        events = await follow_turn(provider, Q3)
    turn = fold(events)
    assert len(turn.messages) == 1
    assert turn.messages[0].text.startswith("Here is the bar chart of Q3 growth by region.")
    assert (turn.ended, turn.stop_reason) == (True, "finished")
    assert (
        isinstance(events[-1], TurnEnd)
        and isinstance(events[-2], Mark)
        and events[-2].checkpoint == events[-1].checkpoint
    )


async def test_sending_a_message_streams_the_sent_message_and_the_new_reply_to_its_end(
    fast_retries: RetryPolicy,
) -> None:
    async with dms(fast_retries) as (provider, _):
        events = await follow_turn(provider, Q3, "What about Q4?")
        history = await provider.session("sess_q3_sales_7b1c")
    sent, reply = fold(events).messages
    assert (sent.role, sent.text, sent.id) == ("user", "What about Q4?", history.messages[-1].id)
    assert reply.text.startswith("Question received.\n\nYou asked: What about Q4?")
    assert any(isinstance(p, PlanPart) for p in reply.parts)
    assert [m.content for m in history.messages][-1] == "What about Q4?"


@pytest.mark.parametrize(
    "after_bytes", [2600, 3800], ids=["while-reading-past-older-turns", "inside-the-followed-turn"]
)
async def test_a_dropped_stream_resumes_from_the_last_checkpoint_without_gap_or_duplicate(
    fast_retries: RetryPolicy, after_bytes: int
) -> None:
    async with dms(fast_retries) as (provider, sandbox):
        baseline = await follow_turn(provider, Q3)
        sandbox.ctx.faults.add("dms", "drop_stream", route="GetChatContent", after_bytes=after_bytes)
        dropped = await follow_turn(provider, Q3)
        drops = [f for f in sandbox.ctx.faults.fired if f[1] == "drop_stream"]
    marks = [e.checkpoint for e in dropped if isinstance(e, Mark)]
    assert drops and len(marks) == len(set(marks))
    assert dropped == baseline


async def test_a_send_is_never_repeated_when_its_reply_stream_drops(fast_retries: RetryPolicy) -> None:
    async with dms(fast_retries) as (provider, sandbox):
        sandbox.ctx.faults.add("dms", "drop_stream", route="GetChatContent", after_bytes=5000)
        events = await follow_turn(provider, Q3, "Once only, please.")
        history = await provider.session("sess_q3_sales_7b1c")
        assert [f[1] for f in sandbox.ctx.faults.fired] == ["drop_stream"]
    assert [m.content for m in history.messages].count("Once only, please.") == 1
    assert text_of(events).startswith("Question received.\n\nYou asked: Once only, please.")
    assert fold(events).stop_reason == "finished"


async def test_a_checkpoint_continues_right_after_it(fast_retries: RetryPolicy) -> None:
    async with dms(fast_retries) as (provider, _):
        whole = await follow_turn(provider, Q3)
        marks = [i for i, e in enumerate(whole) if isinstance(e, Mark)]
        cut = marks[len(marks) // 2]
        rest = await follow_turn(provider, Q3, checkpoint=whole[cut].checkpoint)  # type: ignore[union-attr]
    assert text_of(whole[: cut + 1]) + text_of(rest) == text_of(whole)
    assert [e for e in rest if isinstance(e, Mark)] == [e for e in whole[cut + 1 :] if isinstance(e, Mark)]


async def test_following_from_the_end_of_a_finished_turn_ends_idle(fast_retries: RetryPolicy) -> None:
    async with dms(fast_retries) as (provider, _):
        whole = await follow_turn(provider, Q3)
        last = whole[-1]
        assert isinstance(last, TurnEnd)
        after = await follow_turn(provider, Q3, checkpoint=last.checkpoint)
    assert after == [TurnEnd("idle", last.checkpoint)]
    assert fold(after, Transcript()).messages == ()


async def test_a_checkpoint_that_is_not_a_dms_checkpoint_is_a_usage_error(fast_retries: RetryPolicy) -> None:
    async with dms(fast_retries) as (provider, _):
        with pytest.raises(UsageError):
            await follow_turn(provider, Q3, checkpoint="msg-1:2:3")
