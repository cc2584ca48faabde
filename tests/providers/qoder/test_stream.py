"""Following Qoder live: latest-turn replay, sending, 409, checkpoints, and resuming after a dropped stream."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import httpx
import pytest

from agent_threads import http
from agent_threads.errors import ConflictError, ProviderConnectionError, ServerError
from agent_threads.http import RetryPolicy, Timeouts
from agent_threads.providers.base import ProviderSettings
from agent_threads.providers.qoder.provider import QoderProvider, create
from agent_threads.providers.qoder.wire import WirePage
from agent_threads.refs import parse_ref
from agent_threads.sandbox import Sandbox
from agent_threads.sandbox.qoder.data import CHILD_A, SID_A, SID_B
from agent_threads.transcript import (
    Mark,
    MessageDone,
    MessageStart,
    ReasoningPart,
    TextDelta,
    ToolCallPart,
    TurnEnd,
    fold,
)

from ...conftest import NoSleep, follow_turn

SESSION = parse_ref(f"qoder:{SID_A}")


@pytest.fixture
async def qoder(sandbox: Sandbox, fast_retries: RetryPolicy) -> AsyncIterator[QoderProvider]:
    settings = ProviderSettings(
        "qoder",
        "qoder",
        endpoint=sandbox.url("qoder") + "/api/v1/cloud",
        credentials={"token": sandbox.ctx.creds.qoder_pat},
    )
    provider = create(settings, Timeouts(), fast_retries)
    async with provider.client:
        yield provider


async def session_event_ids(provider: QoderProvider) -> list[str]:
    page = await provider.fetch(WirePage, f"sessions/{SID_A}/events", {"limit": 100})
    return [e["id"] for e in page.data]


async def test_following_without_a_checkpoint_replays_only_the_latest_turn(qoder: QoderProvider) -> None:
    seen = await follow_turn(qoder, str(SESSION))
    turn = fold(seen)
    assert turn.messages[0].text == "Thanks. 请把结论翻译成中文。" and turn.ended and turn.stop_reason == "end_turn"
    assert turn.checkpoint == (await session_event_ids(qoder))[-1]
    assert all(isinstance(e, (MessageDone, Mark, TurnEnd)) for e in seen)


async def test_attaching_after_a_turn_that_paused_and_went_on_shows_its_final_answer_at_once(
    qoder: QoderProvider,
) -> None:
    seen = await follow_turn(qoder, f"qoder:{SID_B}")
    turn = fold(seen)
    assert turn.ended and turn.stop_reason == "end_turn", "the requires_action pause is not the end of the turn"
    answers = [m.text for m in turn.messages if m.role == "assistant" and m.text]
    assert answers[-1].startswith("已修复:forgotPassword 在找不到用户时返回 404")
    ci = next(p for m in turn.messages for p in m.parts if isinstance(p, ToolCallPart) and p.name == "run_ci")
    assert ci.result == "CI passed: 128 tests, 0 failures.", "the tool call before the pause shows its result"
    assert sum(isinstance(e, TurnEnd) for e in seen) == 1


async def test_an_idle_followed_only_by_the_next_turn_ends_the_turn(qoder: QoderProvider) -> None:
    ids = await session_event_ids(qoder)
    first_idle = ids.index(
        next(
            e["id"]
            for e in (await qoder.fetch(WirePage, f"sessions/{SID_A}/events", {"limit": 100})).data
            if e["type"] == "session.status_idle"
        )
    )
    turn = fold(await follow_turn(qoder, str(SESSION), checkpoint=ids[first_idle - 1]))
    assert turn.ended and turn.checkpoint == ids[first_idle]


async def test_sending_posts_once_and_follows_thinking_and_text_deltas_to_idle(
    sandbox: Sandbox, qoder: QoderProvider
) -> None:
    sandbox.ctx.options["qoder.turn_waits_for_listener"] = True
    before = len(await session_event_ids(qoder))
    seen = await follow_turn(qoder, str(SESSION), "hello 世界")
    turn = fold(seen)
    assert turn.messages[0].role == "user" and turn.messages[0].text == "hello 世界" and turn.stop_reason == "end_turn"
    answer = next(m for m in turn.messages if m.role == "assistant" and m.text)
    assert (
        "".join(e.text for e in seen if isinstance(e, TextDelta) and e.id == answer.id and not e.reasoning)
        == answer.text
    )
    thinking = [e for e in seen if isinstance(e, TextDelta) and e.reasoning]
    assert thinking and isinstance(next(m for m in turn.messages if m.id == thinking[0].id).parts[0], ReasoningPart)
    assert sum(isinstance(e, MessageStart) for e in seen) == 2
    ids = await session_event_ids(qoder)
    assert len(ids) == before + 9 and turn.checkpoint == ids[-1]


async def test_a_send_during_a_running_turn_raises_conflict_error(sandbox: Sandbox, qoder: QoderProvider) -> None:
    gate = sandbox.ctx.options["qoder.turn_gate"] = anyio.Event()
    with anyio.fail_after(10):
        async with qoder.stream(SESSION, "first", None) as events:
            assert isinstance(await events.__anext__(), MessageDone)
            with pytest.raises(ConflictError) as caught:
                await follow_turn(qoder, str(SESSION), "second")
            gate.set()
            async for event in events:
                if isinstance(event, TurnEnd):
                    break
    assert caught.value.status == 409 and caught.value.message.startswith(
        f"qoder:{SID_A} is busy: Session is currently processing a turn"
    )


async def test_a_retried_send_repeats_its_idempotency_key_and_starts_one_turn(
    sandbox: Sandbox, qoder: QoderProvider, no_sleep: NoSleep
) -> None:
    keys: list[str] = []

    async def record(request: httpx.Request) -> None:
        if request.method == "POST":
            keys.append(request.headers["Idempotency-Key"])

    qoder.client.event_hooks["request"].append(record)
    sandbox.ctx.faults.add("qoder", "throttle", route=f"POST /api/v1/cloud/sessions/{SID_A}/events", retry_after=2)
    turn = fold(await follow_turn(qoder, str(SESSION), "only once"))
    users = (await qoder.fetch(WirePage, f"sessions/{SID_A}/events", {"types[]": ["user.message"], "limit": 100})).data
    assert len(keys) == 2 and keys[0] == keys[1] and no_sleep.delays == [2.0]
    assert (
        turn.stop_reason == "end_turn"
        and [str(u["content"]) for u in users].count(str([{"type": "text", "text": "only once"}])) == 1
    )


async def test_a_checkpoint_continues_right_after_its_mark(qoder: QoderProvider) -> None:
    ids = await session_event_ids(qoder)
    seen = await follow_turn(qoder, str(SESSION), checkpoint=ids[-3])
    assert [e.checkpoint for e in seen if isinstance(e, Mark)] == ids[-2:]


async def test_following_a_sub_agent_thread_starts_at_its_latest_task(qoder: QoderProvider) -> None:
    turn = fold(await follow_turn(qoder, f"qoder:{SID_A}/{CHILD_A}"))
    assert turn.messages[0].role == "agent" and turn.messages[0].text.startswith("请调研")
    assert turn.messages[-1].parts[0].status == "idle" and turn.stop_reason == "end_turn"  # type: ignore[union-attr]


@pytest.mark.parametrize("after_bytes", [700, 1500, 2600, 3800])
async def test_a_dropped_stream_resumes_from_the_last_mark_without_gap_or_duplicate(
    sandbox: Sandbox, qoder: QoderProvider, no_sleep: NoSleep, after_bytes: int
) -> None:
    sandbox.ctx.options["qoder.turn_waits_for_listener"] = True
    sandbox.ctx.faults.add("qoder", "drop_stream", route="/events/stream", after_bytes=after_bytes)
    seen = await follow_turn(qoder, str(SESSION), "resume me")
    marks = [e.checkpoint for e in seen if isinstance(e, Mark)]
    ids = await session_event_ids(qoder)
    assert marks == ids[-9:]
    turn = fold(seen)
    assert [m.id for m in turn.messages][-1] == ids[-1] and turn.stop_reason == "end_turn"
    for message in turn.messages:  # deltas never repeat: at most a prefix of the final text, which wins
        deltas = "".join(e.text for e in seen if isinstance(e, TextDelta) and e.id == message.id)
        final = message.text or "".join(p.text for p in message.parts if isinstance(p, ReasoningPart))
        assert final.startswith(deltas)
    assert [kind for _, kind, _ in sandbox.ctx.faults.fired] == ["drop_stream"] and len(no_sleep.delays) == 1


async def test_a_stream_that_keeps_dropping_gives_up_after_the_retry_policy(
    sandbox: Sandbox, qoder: QoderProvider, no_sleep: NoSleep
) -> None:
    sandbox.ctx.faults.add("qoder", "drop_stream", route="/events/stream", after_bytes=20, times=None)
    with pytest.raises(ProviderConnectionError):
        await follow_turn(qoder, str(SESSION))
    assert no_sleep.delays == [0.25, 0.5, 1.0]


async def test_an_in_band_error_frame_raises_the_mapped_error(fast_retries: RetryPolicy) -> None:
    frames = b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'

    def vendor(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events"):
            return httpx.Response(200, json={"data": [], "has_more": False})
        return httpx.Response(200, content=frames, headers={"content-type": "text/event-stream"})

    token = http.TRANSPORT.set(httpx.MockTransport(vendor))
    try:
        provider = create(ProviderSettings("qoder", "qoder", credentials={"token": "t"}), Timeouts(), fast_retries)
    finally:
        http.TRANSPORT.reset(token)
    async with provider.client:
        with pytest.raises(ServerError) as caught:
            await follow_turn(provider, "qoder:sess_1")
    assert caught.value.code == "overloaded_error"
