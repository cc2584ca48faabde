"""DataAgent live turns: ChatAI sends (new session or existing), following by reads, checkpoints, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_threads.errors import NotFoundError, RateLimitError, UsageError
from agent_threads.http import RetryPolicy
from agent_threads.providers.dataagent.catalog import FILE_NAME
from agent_threads.providers.dataagent.fold import Checkpoint
from agent_threads.providers.dataagent.provider import DataAgentProvider
from agent_threads.refs import ThreadRef
from agent_threads.sandbox import Sandbox
from agent_threads.sandbox.dataagent.data import INSTANCE, SESSION_RUNNING, SESSION_SALES
from agent_threads.transcript import EventPart, MessageDone, PlanPart, StreamEvent, TextDelta, Transcript, TurnEnd, fold

from ...conftest import follow_turn
from .test_provider import SALES, actions_sent, parts_of, provider_for

INSTANCE_REF = ThreadRef("dataagent", (INSTANCE,))


async def _turn(
    provider: DataAgentProvider, ref: ThreadRef, message: str | None, checkpoint: str | None = None
) -> tuple[Transcript, list[StreamEvent]]:
    events = await follow_turn(provider, ref, message, checkpoint)
    return fold(events), events


async def test_sending_to_an_instance_creates_a_session_reports_its_ref_and_records_it(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        sent = actions_sent(provider)
        turn, events = await _turn(provider, INSTANCE_REF, "What is the average order value?")
        listing = await provider.list_threads(INSTANCE_REF, None, 20)
    created = parts_of(turn.messages[0], EventPart)[0]
    new_ref = created.message.rsplit(" ", 1)[-1] if created.message else ""
    assert sent == ["CreateDataAgentSession", "ChatAI"]
    assert [e.ref for e in listing.threads] == [new_ref] and listing.threads[0].status == "idle"
    assert listing.threads[0].title == "What is the average order value?"
    user, reply = turn.messages[1], turn.messages[2]
    assert (user.role, user.text) == ("user", "What is the average order value?")
    assert (
        reply.text
        == "I looked at the last 30 days of orders. Average order value is 182.40, up 3% from the month before."
    )
    plan = parts_of(reply, PlanPart)[0]
    assert (plan.title, plan.status) == ("Average order value, last 30 days", "success")
    assert [p.name for p in parts_of(reply, EventPart)] == ["progress"]  # an unknown frame type, kept
    assert any(isinstance(e, TextDelta) and e.reasoning for e in events)
    assert turn.ended and turn.stop_reason == "end_turn" and (tmp_path / FILE_NAME).exists()


async def test_sending_to_a_session_continues_it_and_its_checkpoint_resumes_after_the_turn(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        turn, _ = await _turn(provider, SALES, "And the average order value?")
        after, _ = await _turn(provider, SALES, None, turn.checkpoint)
        batch = await provider.read(SALES, None, 50)
    assert len(batch.messages) == 8 and batch.messages[-2].text == "And the average order value?"
    assert after.messages == () and after.stop_reason == "idle"


async def test_following_without_a_checkpoint_starts_at_the_latest_turn_and_waits_for_it_to_finish(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    cloud.ctx.options["dataagent.run_polls"] = 3
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        turn, events = await _turn(provider, ThreadRef("dataagent", (INSTANCE, SESSION_RUNNING)), None)
    replies = [e.message.text for e in events if isinstance(e, MessageDone) and e.message.role == "assistant"]
    assert replies[0] == "Scanning 24 months of orders…" and replies[-1].startswith("Forecast for next month")
    assert [m.text for m in turn.messages][0] == "Forecast next month's revenue" and turn.stop_reason == "end_turn"


async def test_a_checkpoint_in_the_middle_continues_right_after_its_record(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    checkpoint = Checkpoint(SESSION_SALES, "63eb66d2-a80a-4d57-9a80-68befed2f388", done=True).dump()
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        turn, _ = await _turn(provider, INSTANCE_REF, None, checkpoint)
    assert [m.role for m in turn.messages] == ["user", "assistant"] * 2
    assert turn.messages[0].text.startswith("Which 5 products")


async def test_a_dropped_chat_stream_is_followed_by_reading_without_sending_again(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    cloud.ctx.faults.add("dataagent", "drop_stream", route="ChatAI", after_bytes=500)
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        sent = actions_sent(provider)
        turn, _ = await _turn(provider, SALES, "What is the average order value?")
        batch = await provider.read(SALES, None, 50)
    assert sent.count("ChatAI") == 1 and "GetSessionDetails" in sent
    assert turn.ended and turn.messages[-1].text.endswith("up 3% from the month before.")
    assert [m.text for m in batch.messages].count("What is the average order value?") == 1


async def test_a_stream_only_frame_seen_before_the_drop_stays_on_the_reply_read_back(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    cloud.ctx.faults.add("dataagent", "drop_stream", route="ChatAI", after_bytes=1100)  # after the progress frame
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        turn, _ = await _turn(provider, SALES, "What is the average order value?")
    assert [f[1] for f in cloud.ctx.faults.fired] == ["drop_stream"]
    reply = turn.messages[-1]
    assert turn.ended and reply.text.endswith("up 3% from the month before.")
    assert [p.name for p in parts_of(reply, EventPart)] == ["progress"]


async def test_an_error_envelope_in_the_first_sse_frame_is_raised(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    cloud.ctx.options["dataagent.chat_error_in_stream"] = "RequestLimitExceeded"
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        with pytest.raises(RateLimitError) as caught:
            await _turn(provider, SALES, "hello")
    assert caught.value.request_id and caught.value.code == "RequestLimitExceeded"


async def test_an_error_answered_as_json_instead_of_a_stream_is_raised(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        with pytest.raises(NotFoundError):
            await _turn(provider, ThreadRef("dataagent", (INSTANCE, "gone")), "hello")


async def test_a_failed_reply_ends_the_turn_with_its_error(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        turn, events = await _turn(provider, SALES, "Orders by hour, even if it hits a timeout")
    error = [p for p in parts_of(turn.messages[-1], EventPart) if p.is_error]
    assert error[0].code == "QueryTimeout" and turn.stop_reason == "error"
    assert isinstance(events[-1], TurnEnd) and events[-1].checkpoint == turn.checkpoint


async def test_following_an_instance_without_a_session_or_message_is_a_usage_error(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        with pytest.raises(UsageError):
            await _turn(provider, INSTANCE_REF, None)
