"""The Qoder provider against the sandbox on loopback: listing, reading, both cursor styles, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from agent_threads.errors import AuthError, NotFoundError, ProtocolError, RateLimitError, ServerError
from agent_threads.http import TRANSPORT, RetryPolicy, Timeouts
from agent_threads.providers.base import ProviderSettings
from agent_threads.providers.qoder.provider import QoderProvider, create, next_state
from agent_threads.providers.qoder.wire import WirePage
from agent_threads.refs import ThreadRef, parse_ref
from agent_threads.sandbox import Sandbox
from agent_threads.sandbox.qoder.data import CHILD_A, COORD_A, SID_A, SID_B, SID_C
from agent_threads.transcript import ArtifactPart, EventPart, Message, SubAgentPart, ToolCallPart, ToolResultPart

from ...conftest import NoSleep, read_all


def provider_for(
    sandbox: Sandbox, policy: RetryPolicy, *, prefix: str = "/api/v1/cloud", token: str | None = None
) -> QoderProvider:
    creds = {"token": token or sandbox.ctx.creds.qoder_pat}
    return create(
        ProviderSettings("qoder", "qoder", endpoint=sandbox.url("qoder") + prefix, credentials=creds),
        Timeouts(),
        policy,
    )


@pytest.fixture
async def qoder(sandbox: Sandbox, fast_retries: RetryPolicy) -> AsyncIterator[QoderProvider]:
    provider = provider_for(sandbox, fast_retries)
    async with provider.client:
        yield provider


def parts_of(messages: list[Message], kind: type[Any]) -> list[Any]:
    return [p for m in messages for p in m.parts if isinstance(p, kind)]


async def test_list_threads_lists_sessions_then_their_threads_as_refs(qoder: QoderProvider) -> None:
    sessions = await qoder.list_threads(None, None, 20)
    assert sessions.threads[0].ref == f"qoder:{SID_A}" and all(e.children for e in sessions.threads)
    threads = await qoder.list_threads(parse_ref(f"qoder:{SID_A}"), None, 20)
    assert [t.ref for t in threads.threads] == [f"qoder:{SID_A}/{COORD_A}", f"qoder:{SID_A}/{CHILD_A}"]
    assert [t.title for t in threads.threads] == ["Qoder Coordinator", "Research Agent"]


async def test_list_threads_pages_with_the_vendor_cursor(qoder: QoderProvider) -> None:
    first = await qoder.list_threads(None, None, 3)
    rest = await qoder.list_threads(None, first.next_state, 3)
    assert first.next_state is not None and set(first.next_state) == {"page"} and len(first.threads) == 3
    assert len(rest.threads) == 1 and rest.next_state is None


async def test_small_pages_follow_next_page_to_the_same_transcript_as_one_page(qoder: QoderProvider) -> None:
    whole, one = await read_all(qoder, f"qoder:{SID_A}/{CHILD_A}")
    paged, many = await read_all(qoder, f"qoder:{SID_A}/{CHILD_A}", limit=2)
    assert one == 1 and many > 3
    said = ("user", "assistant", "agent")
    assert [m.id for m in paged if m.role in said] == [m.id for m in whole if m.role in said]
    apart = parts_of([m for m in paged if m.role == "tool"], ToolResultPart)  # results on a page after their call
    results_apart = [p.result for p in apart]
    assert sorted(results_apart) == sorted(c.result for c in parts_of(whole, ToolCallPart) if c.result)


async def test_a_page_without_next_page_but_has_more_continues_with_after_id(qoder: QoderProvider) -> None:
    first = await qoder.read(parse_ref(f"qoder:{SID_B}"), None, 5)
    assert first.next_state is not None and set(first.next_state) == {"after_id"}
    paged, pages = await read_all(qoder, f"qoder:{SID_B}", limit=5)
    whole, _ = await read_all(qoder, f"qoder:{SID_B}")
    assert pages > 2 and [m.text for m in paged if m.role == "assistant"] == [
        m.text for m in whole if m.role == "assistant"
    ]


async def test_the_forward_api_is_read_by_after_id(sandbox: Sandbox, fast_retries: RetryPolicy) -> None:
    forward = provider_for(sandbox, fast_retries, prefix="/api/v1/forward")
    async with forward.client:
        messages, pages = await read_all(forward, f"qoder:{SID_A}/{COORD_A}", limit=4)
        listing = await forward.list_threads(None, None, 2)
    assert pages > 3 and messages[0].role == "user" and set(listing.next_state or {}) == {"after_id"}
    assert forward.describe()["note"].startswith("Forward")


def test_a_cursor_that_does_not_advance_is_a_protocol_error_not_a_loop() -> None:
    stuck = WirePage(data=[{"id": "evt_1"}], has_more=True, next_page="pg_same")
    with pytest.raises(ProtocolError):
        next_state(stuck, {"page": "pg_same"}, provider="qoder")
    stuck_after = WirePage(data=[{"id": "evt_1"}], has_more=True, last_id="evt_1")
    with pytest.raises(ProtocolError):
        next_state(stuck_after, {"after_id": "evt_1"}, provider="qoder")


def test_has_more_with_no_cursor_at_all_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        next_state(WirePage(data=[], has_more=True), None, provider="qoder")


async def test_a_repeating_vendor_is_stopped_by_a_protocol_error(fast_retries: RetryPolicy) -> None:
    def vendor(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "data": [{"id": "evt_1", "type": "agent.message", "content": "again"}],
                "has_more": True,
                "next_page": "pg_1",
            },
        )

    settings = ProviderSettings("qoder", "qoder", endpoint="http://qoder.test/api/v1/cloud", credentials={"token": "t"})
    token = TRANSPORT.set(httpx.MockTransport(vendor))
    try:
        provider = create(settings, Timeouts(), fast_retries)
    finally:
        TRANSPORT.reset(token)
    async with provider.client:
        first = await provider.read(parse_ref("qoder:sess_1"), {"page": "pg_0"}, 10)
        with pytest.raises(ProtocolError):
            await provider.read(parse_ref("qoder:sess_1"), first.next_state, 10)


async def test_unknown_event_types_are_kept_as_event_parts(qoder: QoderProvider) -> None:
    messages, _ = await read_all(qoder, f"qoder:{SID_A}")
    unknown = [m for m in messages if any(p.name == "session.checkpoint_created" for p in parts_of([m], EventPart))]
    assert len(unknown) == 1 and unknown[0].vendor == {"checkpoint_id": "ckpt_019f01", "label": "after brief"}
    assert "checkpoint_id=ckpt_019f01" in (parts_of(unknown, EventPart)[0].message or "")


async def test_string_and_block_content_both_become_text(qoder: QoderProvider) -> None:
    messages, _ = await read_all(qoder, f"qoder:{SID_A}/{COORD_A}")
    users = [m.text for m in messages if m.role == "user"]
    assert users == [
        "Research the latest competitor moves around Cloud Agents APIs and give me a short brief. 重点关注国内厂商。",
        "Thanks. 请把结论翻译成中文。",
    ]
    two_blocks = next(m for m in messages if m.role == "assistant" and m.text.startswith("Brief:"))
    assert "\n" not in two_blocks.text and "Vendor C added per-turn budgets." in two_blocks.text


async def test_tool_results_fill_in_their_calls_including_mcp_custom_and_errors(qoder: QoderProvider) -> None:
    child, _ = await read_all(qoder, f"qoder:{SID_A}/{CHILD_A}")
    bugfix, _ = await read_all(qoder, f"qoder:{SID_B}")
    coord, _ = await read_all(qoder, f"qoder:{SID_A}/{COORD_A}")
    calls = {c.name: c for c in parts_of(child + bugfix + coord, ToolCallPart)}
    assert calls["WebFetch"].is_error and calls["WebFetch"].result.startswith("HTTP 403")
    assert calls["Bash"].is_error and "NullPointerException" in calls["Bash"].result
    assert calls["notion.create_page"].result.startswith("Created page") and not calls["notion.create_page"].is_error
    assert calls["run_ci"].result == "CI passed: 128 tests, 0 failures."
    assert calls["Edit"].status == "done, user allow"
    assert not [m for m in child + bugfix + coord if m.role == "tool"]


async def test_chinese_text_survives_unchanged(qoder: QoderProvider) -> None:
    messages, _ = await read_all(qoder, f"qoder:{SID_B}")
    assert messages[0].text == "登录页面点击“忘记密码”后报 NullPointerException,请修复并跑一下单测。"
    assert any(m.text.startswith("已修复:forgotPassword") for m in messages)


async def test_session_errors_in_both_shapes_become_error_event_parts(qoder: QoderProvider) -> None:
    messages, _ = await read_all(qoder, f"qoder:{SID_B}")
    errors = [p for p in parts_of(messages, EventPart) if p.is_error]
    assert [(e.code, e.status) for e in errors] == [("model_overloaded", "retrying"), ("mcp_connection_failed", None)]
    assert errors[1].message == "MCP server 'jira' connection failed"


async def test_status_events_are_merged_but_none_is_dropped(qoder: QoderProvider) -> None:
    messages, _ = await read_all(qoder, f"qoder:{SID_C}")
    statuses = [(p.name, p.status) for p in parts_of(messages, EventPart)]
    assert statuses.count(("session", "terminated")) == 2 and ("user.interrupt", None) in statuses
    assert ("outcome_evaluation", "not_met") in statuses and len([m for m in messages if m.role == "event"]) == 2


async def test_idle_keeps_its_stop_reason(qoder: QoderProvider) -> None:
    messages, _ = await read_all(qoder, f"qoder:{SID_B}")
    idle = [p.code for p in parts_of(messages, EventPart) if p.status == "idle"]
    assert idle == ["requires_action", "end_turn"]


async def test_thread_messages_and_creation_point_at_the_child_thread(qoder: QoderProvider) -> None:
    messages, _ = await read_all(qoder, f"qoder:{SID_A}")
    subs = parts_of(messages, SubAgentPart)
    assert [(s.status, s.thread) for s in subs] == [
        (status, f"qoder:{SID_A}/{CHILD_A}") for status in ("created", "sent", "replied")
    ]
    reply = next(m for m in messages if any(isinstance(p, SubAgentPart) and p.status == "replied" for p in m.parts))
    assert reply.author == "Research Agent" and reply.text.startswith("调研完成")


async def test_sub_agent_authors_carry_across_pages(qoder: QoderProvider) -> None:
    messages, _ = await read_all(qoder, f"qoder:{SID_A}", limit=3)
    search = next(m for m in messages if any(isinstance(p, ToolCallPart) and p.name == "WebSearch" for p in m.parts))
    assert search.author == "Research Agent"


async def test_spans_and_usage_are_condensed_and_artifacts_kept(qoder: QoderProvider) -> None:
    messages, _ = await read_all(qoder, f"qoder:{SID_A}/{COORD_A}")
    span = next(p for p in parts_of(messages, EventPart) if p.name == "model_request")
    assert span.duration_s == 119.0 and span.message == "18234 in / 912 out / 12000 cached"
    artifact = parts_of(messages, ArtifactPart)[0]
    assert (artifact.name, artifact.mime, artifact.size) == ("competitor-brief.md", "text/markdown", 4812)


async def test_the_first_page_carries_title_and_status(qoder: QoderProvider) -> None:
    batch = await qoder.read(parse_ref(f"qoder:{SID_A}/{CHILD_A}"), None, 5)
    assert (batch.title, batch.status) == ("Research Agent", "idle")


async def test_a_wrong_token_is_an_auth_error_that_names_qoder_pat(sandbox: Sandbox, fast_retries: RetryPolicy) -> None:
    provider = provider_for(sandbox, fast_retries, token="wrong-token")
    async with provider.client:
        with pytest.raises(AuthError) as caught:
            await provider.list_threads(None, None, 5)
    assert (
        caught.value.status == 401
        and caught.value.code == "authentication_error"
        and "QODER_PAT" in caught.value.for_model()
    )
    assert caught.value.request_id and caught.value.request_id.startswith("req_")


async def test_a_missing_thread_is_not_found_naming_the_ref(qoder: QoderProvider) -> None:
    with pytest.raises(NotFoundError) as caught:
        await qoder.read(ThreadRef("qoder", (SID_A, "sthr_gone")), None, 5)
    assert f"qoder:{SID_A}/sthr_gone" in caught.value.message and "sthr_gone' was not found" in caught.value.message


async def test_throttling_is_retried_after_the_retry_after_seconds(
    sandbox: Sandbox, qoder: QoderProvider, no_sleep: NoSleep
) -> None:
    sandbox.ctx.faults.add("qoder", "throttle", route="/sessions", times=2, retry_after=4)
    listing = await qoder.list_threads(None, None, 5)
    assert len(listing.threads) == 4 and no_sleep.delays == [4.0, 4.0]


async def test_throttling_past_the_retries_raises_rate_limit_with_retry_after(
    sandbox: Sandbox, qoder: QoderProvider
) -> None:
    sandbox.ctx.faults.add("qoder", "throttle", route="/sessions", times=None, retry_after=2)
    with pytest.raises(RateLimitError) as caught:
        await qoder.list_threads(None, None, 5)
    assert caught.value.retry_after == 2.0 and "Retry after 2s" in caught.value.for_model()


@pytest.mark.parametrize("status", [500, 529])
async def test_server_errors_are_retried_then_raise_server_error(
    sandbox: Sandbox, qoder: QoderProvider, no_sleep: NoSleep, status: int
) -> None:
    sandbox.ctx.options["qoder.server_error_status"] = status
    sandbox.ctx.faults.add("qoder", "server_error", route="/events", times=1)
    assert (await qoder.read(parse_ref(f"qoder:{SID_C}"), None, 5)).messages and len(no_sleep.delays) == 1
    sandbox.ctx.faults.add("qoder", "server_error", route="/events", times=None)
    with pytest.raises(ServerError) as caught:
        await qoder.read(parse_ref(f"qoder:{SID_C}"), None, 5)
    assert caught.value.status == status


async def test_a_malformed_page_is_a_protocol_error(sandbox: Sandbox, qoder: QoderProvider) -> None:
    sandbox.ctx.faults.add("qoder", "malformed", route="/events")
    with pytest.raises(ProtocolError):
        await qoder.read(parse_ref(f"qoder:{SID_C}"), None, 5)


async def test_older_field_names_read_the_same(sandbox: Sandbox, qoder: QoderProvider) -> None:
    sandbox.ctx.faults.add("qoder", "drift", route="/events")
    drifted = await qoder.read(parse_ref(f"qoder:{SID_B}"), None, 100)
    plain = await qoder.read(parse_ref(f"qoder:{SID_B}"), None, 100)
    assert drifted.messages == plain.messages


def test_describe_names_the_endpoint_and_never_the_token() -> None:
    settings = ProviderSettings(
        "qoder.cn", "qoder", endpoint="https://api.qoder.com.cn/api/v1/cloud", credentials={"token": "pt-SECRET-1"}
    )
    info = create(settings, Timeouts(), RetryPolicy()).describe()
    assert (
        info["region"] == "cn"
        and info["endpoint"] == "https://api.qoder.com.cn/api/v1/cloud"
        and "pt-SECRET-1" not in repr(info)
    )
    assert (
        create(ProviderSettings("qoder", "qoder", credentials={"token": "t"}), Timeouts(), RetryPolicy()).base_url
        == "https://api.qoder.com/api/v1/cloud"
    )
