"""The DataAgent provider against the sandbox: both read actions, the fallback, paging, errors in HTTP 200."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
import pytest

from agent_threads.errors import AuthError, NotFoundError, ProtocolError, ProviderAPIError, RateLimitError, UsageError
from agent_threads.http import RetryPolicy, Timeouts
from agent_threads.providers.base import ProviderSettings
from agent_threads.providers.dataagent.provider import DataAgentProvider
from agent_threads.ratelimit import RateLimiter
from agent_threads.refs import ThreadRef
from agent_threads.sandbox import Sandbox
from agent_threads.sandbox.dataagent.data import DATA_SOURCE_KEY, INSTANCE, SESSION_BIG, SESSION_RUNNING, SESSION_SALES
from agent_threads.transcript import DataPart, EventPart, Message, PlanPart, ReasoningPart

from ...conftest import FakeClock, NoSleep

SALES = ThreadRef("dataagent", (INSTANCE, SESSION_SALES))


@asynccontextmanager
async def provider_for(
    cloud: Sandbox,
    state_dir: Path | None,
    policy: RetryPolicy,
    *,
    secret_key: str | None = None,
    clock: Callable[[], float] = time.time,
    limiter: RateLimiter | None = None,
    **options: str,
) -> AsyncIterator[DataAgentProvider]:
    """A provider for the sandbox's DataAgent, its client open (as the server's lifespan does)."""
    creds = cloud.ctx.creds
    settings = ProviderSettings(
        "dataagent",
        "dataagent",
        endpoint=cloud.url("dataagent"),
        region="ap-guangzhou",
        credentials={"secret_id": creds.tencent_secret_id, "secret_key": secret_key or creds.tencent_secret_key},
        options={**({"state_dir": str(state_dir)} if state_dir else {}), "poll_interval": "0", **options},
    )
    provider = DataAgentProvider(settings, Timeouts(), policy, limiter=limiter, clock=clock)
    async with provider.client:
        yield provider


def actions_sent(provider: DataAgentProvider) -> list[str]:
    """Records the X-TC-Action of every request the provider's client sends (retries included)."""
    sent: list[str] = []

    async def hook(request: httpx.Request) -> None:
        sent.append(request.headers["x-tc-action"])

    provider.client.event_hooks["request"].append(hook)
    return sent


def parts_of(message: Message, kind: type) -> list:  # type: ignore[type-arg]
    return [p for p in message.parts if isinstance(p, kind)]


async def test_get_session_details_maps_question_reasoning_plan_answer_summary_error_and_feedback(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        batch = await provider.read(SALES, None, 50)
    assert [m.role for m in batch.messages] == ["user", "assistant"] * 3
    ranked = batch.messages[3]
    assert parts_of(ranked, ReasoningPart)[0].text.startswith("Revenue is not a column")
    plan = parts_of(ranked, PlanPart)[0]
    assert [s.status for s in plan.steps] == ["success", "failed", "success", "success"]
    assert "column orders.revenue does not exist" in plan.steps[1].title
    assert parts_of(ranked, DataPart)[0].data.startswith("Widget Pro led Q3")
    failed = batch.messages[5]
    error = next(p for p in parts_of(failed, EventPart) if p.is_error)
    assert (error.code, failed.text) == ("QueryTimeout", "")
    feedback = [[p.status for p in parts_of(m, EventPart) if p.name == "feedback"] for m in batch.messages[1::2]]
    assert feedback == [[], ["positive"], ["negative"]]
    assert batch.status == "idle" and batch.next_state is None and batch.title == "who are you"


async def test_an_unsupported_get_session_details_falls_back_to_query_user_session_detail_and_is_remembered(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    cloud.ctx.options["dataagent.get_session_details"] = False
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        sent = actions_sent(provider)
        first = await provider.read(SALES, None, 50)
        await provider.read(SALES, None, 50)
    assert sent == ["GetSessionDetails", "QueryUserSessionDetail", "QueryUserSessionDetail"]
    assert first.note and "QueryUserSessionDetail" in first.note
    assert not any(parts_of(m, PlanPart) or parts_of(m, ReasoningPart) for m in first.messages)
    feedback = [[p.status for p in parts_of(m, EventPart) if p.name == "feedback"] for m in first.messages[1::2]]
    assert feedback == [[], ["positive"], ["negative"]]  # 1 positive, 0 negative in this action's encoding
    assert first.messages[1].author == "deepseek-v3"


async def test_the_fallback_also_goes_back_from_query_user_session_detail_to_get_session_details(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        sent = actions_sent(provider)
        cloud.ctx.options["dataagent.get_session_details"] = "UnsupportedOperation"
        await provider.read(SALES, None, 50)
        cloud.ctx.options["dataagent.get_session_details"] = True
        cloud.ctx.options["dataagent.query_user_session_detail"] = "ActionOffline"
        batch = await provider.read(SALES, None, 50)
        assert provider.api.reader == "GetSessionDetails"
    assert sent == ["GetSessionDetails", "QueryUserSessionDetail", "QueryUserSessionDetail", "GetSessionDetails"]
    assert parts_of(batch.messages[3], PlanPart)


@pytest.mark.parametrize("query_only", [True, False])
async def test_pages_follow_offset_and_limit_until_total_count(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy, query_only: bool
) -> None:
    cloud.ctx.options["dataagent.big_session_records"] = 120
    cloud.ctx.options["dataagent.get_session_details"] = not query_only
    ref = ThreadRef("dataagent", (INSTANCE, SESSION_BIG))
    sizes, ids, state = [], [], None
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        while True:
            batch = await provider.read(ref, state, 50)
            sizes.append(len(batch.messages))
            ids.extend(m.id for m in batch.messages)
            state = batch.next_state
            if state is None:
                break
    assert sizes == [100, 100, 40]
    assert len(set(ids)) == 240 and ids[0] == "big-000000:q" and ids[-1] == "big-000119:a"


async def test_a_running_session_reports_running_status_and_marks_the_live_reply(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        batch = await provider.read(ThreadRef("dataagent", (INSTANCE, SESSION_RUNNING)), None, 50)
    live = [p for m in batch.messages for p in parts_of(m, EventPart) if p.status == "running"]
    assert batch.status == "running" and len(live) == 1 and batch.note and "stream_chat" in batch.note


async def test_context_credentials_never_reach_the_messages(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        batch = await provider.read(SALES, None, 50)
    dumped = json.dumps([m.model_dump(mode="json") for m in batch.messages], ensure_ascii=False)
    assert DATA_SOURCE_KEY not in dumped and "sbx-db-password-42" not in dumped
    context = batch.messages[0].vendor["Context"]  # type: ignore[index]
    mcp = context["KnowledgeBases"][0]["Databases"][0]["MCP"]
    assert mcp["Url"].endswith("key=***") and mcp["Password"] == "***" and mcp["Type"] == "TCHouseD"


async def test_schema_drift_with_the_plan_only_as_a_string_is_still_read(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    cloud.ctx.faults.add("dataagent", "drift", route="GetSessionDetails")
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        batch = await provider.read(SALES, None, 50)
    assert [s.status for s in parts_of(batch.messages[3], PlanPart)[0].steps][1] == "failed"
    assert [p.status for p in parts_of(batch.messages[3], EventPart)] == ["positive"]
    assert batch.messages[3].vendor and batch.messages[3].vendor["Attachments"] == ["chart-1.png"]


async def test_an_unknown_session_is_not_found_with_the_request_id(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        with pytest.raises(NotFoundError) as caught:
            await provider.read(ThreadRef("dataagent", (INSTANCE, "no-such-session")), None, 50)
    assert caught.value.code == "ResourceNotFound" and caught.value.request_id and caught.value.status is None


async def test_a_wrong_secret_key_is_an_auth_error_naming_the_masked_secret_id(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries, secret_key="wrong-key-123") as provider:
        with pytest.raises(AuthError) as caught:
            await provider.read(SALES, None, 50)
    text = caught.value.for_model()
    sid = cloud.ctx.creds.tencent_secret_id
    assert caught.value.code == "AuthFailure.SignatureFailure" and f"{sid[:4]}…{sid[-4:]}" in text
    assert sid not in text and "wrong-key-123" not in text


async def test_clock_skew_over_five_minutes_is_an_auth_error_that_says_to_fix_the_clock(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries, clock=lambda: time.time() + 600) as provider:
        with pytest.raises(AuthError) as caught:
            await provider.read(SALES, None, 50)
    assert caught.value.code == "AuthFailure.SignatureExpire" and "clock" in caught.value.for_model()


async def test_an_invalid_parameter_keeps_the_vendors_message(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        with pytest.raises(ProviderAPIError) as caught:
            await provider.api.call(
                "QueryUserSessionDetail", {"InstanceId": INSTANCE, "SessionId": SESSION_SALES, "Limit": 0}
            )
    assert caught.value.code == "InvalidParameterValue" and "`Limit` must be an integer" in caught.value.message
    assert not caught.value.retryable


async def test_request_limit_exceeded_in_a_200_body_is_retried_after_a_second(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy, no_sleep: NoSleep
) -> None:
    cloud.ctx.faults.add("dataagent", "throttle", route="GetSessionDetails", times=1)
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        batch = await provider.read(SALES, None, 50)
    assert len(batch.messages) == 6 and no_sleep.delays == [1.0]


async def test_persistent_throttling_surfaces_as_a_retryable_rate_limit_error(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    cloud.ctx.faults.add("dataagent", "throttle", times=None)
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        with pytest.raises(RateLimitError) as caught:
            await provider.read(SALES, None, 50)
    assert caught.value.retryable and caught.value.retry_after == 1.0 and caught.value.request_id


async def test_a_malformed_reply_is_a_protocol_error(cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy) -> None:
    cloud.ctx.faults.add("dataagent", "malformed", times=None)
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        with pytest.raises(ProtocolError):
            await provider.read(SALES, None, 50)


async def test_an_instance_ref_cannot_be_read_and_says_how_to_list_its_sessions(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        with pytest.raises(UsageError) as caught:
            await provider.read(ThreadRef("dataagent", (INSTANCE,)), None, 50)
    assert "list_threads" in caught.value.for_model()


async def test_describe_names_the_endpoint_and_abilities_but_no_secret(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        info = provider.describe()
    assert info["endpoint"] == cloud.url("dataagent") and info["can"] == ["list", "read", "stream", "send"]
    assert cloud.ctx.creds.tencent_secret_key not in json.dumps(info)


async def test_a_catalog_that_cannot_be_written_never_fails_a_read(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "state"
    blocked.write_text("a file where the state dir should be")
    caplog.set_level(logging.DEBUG, logger="agent_threads.providers.dataagent")
    async with provider_for(cloud, blocked, fast_retries) as provider:
        with anyio.fail_after(10):
            batch = await provider.read(SALES, None, 50)
    assert len(batch.messages) == 6
    assert any("not written" in r.getMessage() for r in caplog.records)


async def test_the_provider_passes_every_request_through_its_limiter(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=2, per=1.0, clock=clock, sleep=clock.sleep)
    async with provider_for(cloud, tmp_path, fast_retries, limiter=limiter) as provider:
        sent = actions_sent(provider)
        for _ in range(5):
            await provider.read(SALES, None, 50)
    assert sent == ["GetSessionDetails"] * 5
    assert clock.now == 1002.0 and len(clock.slept) == 2
