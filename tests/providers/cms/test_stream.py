"""CreateChat SSE: sending, following, checkpoints, and re-attaching after a dropped connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from agent_threads.config import load_settings
from agent_threads.errors import PermissionError_, ProtocolError, RateLimitError
from agent_threads.http import RetryPolicy
from agent_threads.providers import create
from agent_threads.providers.cms.provider import CmsProvider
from agent_threads.providers.cms.stream import Chat, ChatFold
from agent_threads.providers.cms.wire import ChatEvent
from agent_threads.refs import ThreadRef
from agent_threads.sandbox import Sandbox
from agent_threads.transcript import (
    Mark,
    MessageDone,
    MessageStart,
    StreamEvent,
    TextDelta,
    ToolCallPart,
    TurnEnd,
    fold,
)


@pytest.fixture
async def provider(cloud: Sandbox, family: str, fast_retries: RetryPolicy) -> AsyncIterator[CmsProvider]:
    settings = load_settings(cloud.env())
    built = create(next(p for p in settings.providers if p.family == family), settings.timeouts, fast_retries)
    assert isinstance(built, CmsProvider)
    async with built.client:
        yield built


async def _collect(
    provider: CmsProvider, ref: ThreadRef, message: str | None = None, checkpoint: str | None = None
) -> list[StreamEvent]:
    with anyio.fail_after(10):
        async with provider.stream(ref, message, checkpoint) as events:
            return [event async for event in events]


async def _turn_count(provider: CmsProvider, ref: ThreadRef) -> int:
    batch = await provider.read(ref, None, 400)
    return sum(1 for m in batch.messages if m.role == "user")


def _ref(provider: CmsProvider, *parts: str) -> ThreadRef:
    return ThreadRef(provider.id, parts)


async def test_sending_streams_the_reply_as_deltas_and_ends_the_turn(provider: CmsProvider) -> None:
    ref = _ref(provider, "report-bot", "weekly-2026-03")
    events = await _collect(provider, ref, "Is the error budget OK?")
    result = fold(events)
    assert isinstance(events[-1], TurnEnd) and result.ended and result.stop_reason == "completed"
    assert [m.role for m in result.messages] == ["user", "assistant", "tool", "assistant", "event"]
    assert result.messages[0].text == "Is the error budget OK?"
    assert (
        result.messages[3].text == "Looked into it: \u201cIs the error budget OK?\u201d matches 3 runbooks; "
        "the first says to check the slow-query log."
    )
    assert sum(isinstance(e, TextDelta) for e in events) == 5  # the question, then four answer chunks
    marks = [e.checkpoint for e in events if isinstance(e, Mark)]
    assert [int(m.split("@")[0]) for m in marks] == list(range(1, len(marks) + 1))
    assert result.checkpoint == marks[-1]


async def test_the_sent_turn_is_stored_once(provider: CmsProvider) -> None:
    ref = _ref(provider, "report-bot", "weekly-2026-03")
    await _collect(provider, ref, "第一个问题")
    assert await _turn_count(provider, ref) == 2


async def test_following_without_a_message_replays_the_latest_turn(provider: CmsProvider) -> None:
    result = fold(await _collect(provider, _ref(provider, "运维 助手", "会话/001")))
    assert result.stop_reason == "failed: TASK_FAILED"
    assert result.messages[1].text == "好的，我先拉取慢查询日志，然后按耗时排序。"
    tool = result.messages[1].parts[0]
    assert isinstance(tool, ToolCallPart) and tool.status == "start"


async def test_a_checkpoint_resumes_right_after_it(provider: CmsProvider) -> None:
    ref = _ref(provider, "sre-copilot", "thread_id01")
    everything = await _collect(provider, ref)
    marks = [e.checkpoint for e in everything if isinstance(e, Mark)]
    resumed = await _collect(provider, ref, checkpoint=marks[2])
    assert [e.checkpoint for e in resumed if isinstance(e, Mark)] == marks[3:]
    done_before = {e.message.id for e in everything[: everything.index(Mark(marks[2]))] if isinstance(e, MessageDone)}
    assert not done_before & {e.message.id for e in resumed if isinstance(e, MessageDone)}
    assert fold(resumed).stop_reason == "completed"


async def test_a_checkpoint_at_the_end_of_the_turn_yields_nothing_new(provider: CmsProvider) -> None:
    ref = _ref(provider, "sre-copilot", "thread_id01")
    last = fold(await _collect(provider, ref)).checkpoint
    again = await _collect(provider, ref, checkpoint=last)
    assert [type(e) for e in again] == [TurnEnd] and fold(again).messages == ()


async def test_a_dropped_stream_reattaches_without_gap_or_duplicate_and_never_resends(
    cloud: Sandbox, provider: CmsProvider, family: str, caplog: pytest.LogCaptureFixture
) -> None:
    ref = _ref(provider, "sre-copilot", "incident/2026-01 #7")
    clean = fold(await _collect(provider, ref, "How full is /data now?"))
    cloud.ctx.faults.add(family, "drop_stream", route="POST /chat", after_bytes=1200)
    events = await _collect(provider, ref, "And /var?")
    dropped = fold(events)
    assert [kind for _, kind, _ in cloud.ctx.faults.fired] == ["drop_stream"]
    assert "dropped" in caplog.text and "reconnecting" in caplog.text
    assert [m.role for m in dropped.messages] == [m.role for m in clean.messages]
    assert dropped.messages[3].text.replace("And /var?", "X") == clean.messages[3].text.replace(
        "How full is /data now?", "X"
    )
    marks = [e.checkpoint for e in events if isinstance(e, Mark)]
    assert [int(m.split("@")[0]) for m in marks] == list(range(1, len(marks) + 1))
    assert await _turn_count(provider, ref) == 3


async def test_a_stream_closed_cleanly_before_the_turn_finished_reattaches_instead_of_ending_the_turn(
    cloud: Sandbox, provider: CmsProvider, family: str
) -> None:
    ref = _ref(provider, "report-bot", "weekly-2026-03")
    cloud.ctx.faults.add(family, "truncated", route="POST /chat", after_bytes=800)
    result = fold(await _collect(provider, ref, "Cut short?"))
    assert [kind for _, kind, _ in cloud.ctx.faults.fired] == ["truncated"]
    assert result.stop_reason == "completed" and [m.role for m in result.messages][-2:] == ["assistant", "event"]
    assert result.messages[3].text.endswith("the first says to check the slow-query log.")
    assert await _turn_count(provider, ref) == 2


async def test_a_throttled_send_is_retried_before_it_is_accepted(
    cloud: Sandbox, provider: CmsProvider, family: str
) -> None:
    cloud.ctx.faults.add(family, "throttle", route="POST /chat", retry_after=0.5)
    ref = _ref(provider, "report-bot", "weekly-2026-03")
    result = fold(await _collect(provider, ref, "retry me"))
    assert result.ended and await _turn_count(provider, ref) == 2


def _event(trace: str, n: int, **message: Any) -> ChatEvent:
    body = {"seq": 1, "role": "assistant", "timestamp": "1768702985000000000", **message}
    return ChatEvent.model_validate({"traceId": trace, "requestId": f"r{n}", "messages": [body]})


def test_chunks_of_one_message_become_text_deltas() -> None:
    chat = ChatFold(None)
    first = chat.feed(_event("t", 1, contents=[{"append": False, "type": "text", "value": "Hel"}]))
    second = chat.feed(_event("t", 2, contents=[{"append": True, "lastChunk": True, "type": "text", "value": "lo"}]))
    assert first == [MessageStart("t/1", "assistant", None, first[0].time), TextDelta("t/1", "Hel"), Mark("1@t")]  # type: ignore[union-attr]
    assert second == [TextDelta("t/1", "lo"), Mark("2@t")]


def test_a_replay_after_reattaching_is_folded_once() -> None:
    chat = ChatFold(None)
    one = _event("t", 1, contents=[{"append": False, "type": "text", "value": "a"}])
    two = _event("t", 2, contents=[{"append": True, "type": "text", "value": "b"}])
    chat.feed(one)
    chat.attach()
    assert chat.feed(one) == []
    assert chat.feed(two) == [TextDelta("t/1", "b"), Mark("2@t")]


def test_a_checkpoint_of_another_turn_does_not_hide_the_new_one() -> None:
    chat = ChatFold("5@old-trace")
    events = chat.feed(_event("new", 1, contents=[{"type": "text", "value": "hi"}]))
    assert events[-1] == Mark("1@new")


def test_a_tool_update_replaces_the_message() -> None:
    chat = ChatFold(None)
    chat.feed(_event("t", 1, tools=[{"toolCallId": "c1", "name": "Search", "status": "start"}]))
    events = chat.feed(_event("t", 2, tools=[{"toolCallId": "c1", "status": "success", "result": "ok"}]))
    done = events[0]
    assert isinstance(done, MessageDone)
    tool = done.message.parts[0]
    assert isinstance(tool, ToolCallPart) and (tool.name, tool.status, tool.result) == ("Search", "success", "ok")


def _offline(family: str = "starops") -> Chat:
    env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIoffline000000000", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "offline"}
    settings = load_settings(env)
    built = create(next(p for p in settings.providers if p.family == family), settings.timeouts, RetryPolicy())
    assert isinstance(built, CmsProvider)
    return Chat(built.channel, built.product.version, "sre-copilot", "t1")


def test_an_error_event_inside_the_stream_raises_the_mapped_error() -> None:
    with pytest.raises(RateLimitError):
        _offline().parse_event("error", '{"code": "Throttling.User", "message": "busy", "requestId": "R1"}')
    with pytest.raises(PermissionError_):
        _offline().parse_event("message", '{"Code": "Forbidden.RAM", "Message": "denied"}')


def test_a_non_json_event_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        _offline().parse_event("message", "not json")
