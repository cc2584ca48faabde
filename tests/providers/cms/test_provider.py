"""The CMS / STAROps provider against the sandbox: listing, reading, mapping, retries and error mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from itertools import count
from typing import Any

import httpx
import pytest

from agent_threads.auth.acs3 import Acs3Auth
from agent_threads.config import load_settings
from agent_threads.errors import AuthError, NotFoundError, PermissionError_, UsageError
from agent_threads.http import RetryPolicy
from agent_threads.providers import create
from agent_threads.providers.cms.provider import CmsProvider
from agent_threads.refs import ThreadRef, parse_ref
from agent_threads.sandbox import Sandbox
from agent_threads.transcript import (
    ArtifactPart,
    DataPart,
    EventPart,
    ReasoningPart,
    SubAgentPart,
    ToolCallPart,
)

from ...conftest import NoSleep, read_all

BIG = 1000


@pytest.fixture
def cloud_options() -> dict[str, Any]:
    return {"cms.big_thread_messages": BIG}


@pytest.fixture
async def provider(cloud: Sandbox, family: str, fast_retries: RetryPolicy) -> AsyncIterator[CmsProvider]:
    async with _provider(cloud, family, fast_retries) as built:
        yield built


class _Opened:
    def __init__(self, built: CmsProvider) -> None:
        self.built = built

    async def __aenter__(self) -> CmsProvider:
        await self.built.client.__aenter__()
        return self.built

    async def __aexit__(self, *exc: Any) -> None:
        await self.built.client.__aexit__(*exc)


def _provider(cloud: Sandbox, family: str, policy: RetryPolicy, **env: str) -> _Opened:
    settings = load_settings(cloud.env() | env)
    spec = next(p for p in settings.providers if p.family == family)
    built = create(spec, settings.timeouts, policy)
    assert isinstance(built, CmsProvider)
    return _Opened(built)


def _ref(provider: CmsProvider, *parts: str) -> ThreadRef:
    return ThreadRef(provider.id, parts)


async def test_employees_list_as_containers_whose_refs_encode_spaces(provider: CmsProvider) -> None:
    listing = await provider.list_threads(None, None, 20)
    refs = [e.ref for e in listing.threads]
    assert refs == [
        f"{provider.id}:sre-copilot",
        f"{provider.id}:%E8%BF%90%E7%BB%B4%20%E5%8A%A9%E6%89%8B",
        f"{provider.id}:report-bot",
    ]
    assert all(e.children and e.kind == "employee" for e in listing.threads)
    assert listing.threads[1].title == "运维小助手 — 负责数据库巡检和故障诊断。"
    assert parse_ref(refs[1]).parts == ("运维 助手",)


async def test_employee_listing_pages_follow_next_token(provider: CmsProvider) -> None:
    first = await provider.list_threads(None, None, 2)
    second = await provider.list_threads(None, first.next_state, 2)
    assert [e.ref.split(":")[1] for e in second.threads] == ["report-bot"]
    assert first.next_state is not None and second.next_state is None


async def test_thread_refs_round_trip_ids_with_a_slash_space_and_hash(provider: CmsProvider) -> None:
    listing = await provider.list_threads(_ref(provider, "sre-copilot"), None, 20)
    incident = next(e for e in listing.threads if "incident" in e.ref)
    assert incident.ref == f"{provider.id}:sre-copilot/incident%2F2026-01%20%237"
    batch = await provider.read(parse_ref(incident.ref), None, 50)
    assert batch.title == "Disk usage alert on node a/b"
    assert batch.messages[1].text == "Yes: /data is at 93% (465 GB of 500 GB); the largest directory is /data/logs."


async def test_a_thread_reads_as_typed_parts_with_tool_results_paired_into_their_calls(provider: CmsProvider) -> None:
    batch = await provider.read(_ref(provider, "sre-copilot", "thread_id01"), None, 50)
    roles = [m.role for m in batch.messages]
    assert roles == [
        "user",
        "assistant",
        "assistant",
        "agent",
        "assistant",
        "event",
        "user",
        "assistant",
        "assistant",
        "event",
    ]
    intent = batch.messages[1].parts[0]
    assert isinstance(intent, ToolCallPart)
    assert (intent.name, intent.status, intent.result) == (
        "IntentRecognition",
        "success",
        "intent=analyser (confidence high)",
    )
    assert intent.arguments["title"] == "Root Cause of Alert"
    assert batch.messages[0].time == datetime(2026, 1, 18, 2, 23, 5, tzinfo=timezone.utc)
    assert (batch.title, batch.status, batch.next_state) == ("Root cause of checkout latency alert", "idle", None)


async def test_a_sub_agent_call_and_its_own_message_are_attributed(provider: CmsProvider) -> None:
    batch = await provider.read(_ref(provider, "sre-copilot", "thread_id01"), None, 50)
    call, own = batch.messages[2].parts[0], batch.messages[3]
    assert isinstance(call, SubAgentPart) and (call.name, call.text) == (
        "analyser",
        "Analyze this trace: TraceID=7f3a9c2e",
    )
    assert (own.role, own.author) == ("agent", "analyser")
    assert (
        own.text
        == "The slowest span is `payment-db.query` (2.8 s of 3.1 s); it waits on a row lock held by a batch job."
    )


async def test_chunks_merge_into_one_text_beside_reasoning_and_an_artifact(provider: CmsProvider) -> None:
    batch = await provider.read(_ref(provider, "sre-copilot", "thread_id01"), None, 50)
    answer = batch.messages[4]
    assert answer.text.startswith(
        "Root cause: the nightly settlement batch locks `orders` rows from 08:00 to 08:04, so checkout"
    )
    reasoning, artifact = answer.parts
    assert isinstance(reasoning, ReasoningPart) and "settlement batch" in reasoning.text
    assert (
        isinstance(artifact, ArtifactPart) and artifact.name == "sql output" and "FOR UPDATE" in (artifact.text or "")
    )
    done = batch.messages[5].parts[0]
    assert isinstance(done, EventPart) and (done.name, done.status, done.duration_s) == (
        "task_finished",
        "succeeded",
        14.6,
    )


async def test_a_failed_task_keeps_its_code_message_suggestion_and_duration(provider: CmsProvider) -> None:
    batch = await provider.read(_ref(provider, "运维 助手", "会话/001"), None, 50)
    tool = batch.messages[1].parts[0]
    event = batch.messages[2].parts[0]
    assert isinstance(tool, ToolCallPart) and tool.is_error and "实例 rm-bp1xyz 不存在" in (tool.result or "")
    assert isinstance(event, EventPart) and event.is_error
    assert (event.code, event.duration_s) == ("TASK_FAILED", 300.0)
    assert event.message == "Invalid task parameter — 请确认实例 ID 和地域; context of model exceed"


async def test_a_big_thread_pages_through_every_message_once(provider: CmsProvider) -> None:
    messages, _ = await read_all(provider, _ref(provider, "sre-copilot", "big-thread"), 100)
    ids = [m.id for m in messages]
    assert len(messages) == BIG // 4 * 3  # each turn's tool result is folded into its call
    assert len(set(ids)) == len(ids)
    assert messages[-1].text == "Shard 9 is healthy; replication lag is 4 s."


async def test_unknown_content_and_event_types_from_a_newer_api_are_kept(
    cloud: Sandbox, provider: CmsProvider, family: str
) -> None:
    cloud.ctx.faults.add(family, "drift", route="GetThreadData")
    batch = await provider.read(_ref(provider, "report-bot", "weekly-2026-03"), None, 50)
    drifted = batch.messages[-1]
    kinds = {type(p) for p in drifted.parts}
    assert kinds == {DataPart, EventPart}
    assert any(isinstance(p, EventPart) and p.name == "plan_updated" for p in drifted.parts)


async def test_a_throttled_read_is_retried_freshly_signed_after_the_retry_after(
    cloud: Sandbox, provider: CmsProvider, family: str, no_sleep: NoSleep
) -> None:
    cloud.ctx.faults.add(family, "throttle", route="GetThreadData", retry_after=1.5)
    seconds = count()
    creds = cloud.ctx.creds
    start = datetime.now(timezone.utc).replace(microsecond=0)
    provider.client.auth = Acs3Auth(
        creds.alibaba_key_id, creds.alibaba_key_secret, clock=lambda: start + timedelta(seconds=next(seconds))
    )
    sent: list[dict[str, str]] = []

    async def record(request: httpx.Request) -> None:
        sent.append(dict(request.headers))  # a copy: the same request object is re-signed on retry

    provider.client.event_hooks["request"].append(record)
    batch = await provider.read(_ref(provider, "report-bot", "weekly-2026-03"), None, 50)
    attempts = [h for h in sent if h["x-acs-action"] == "GetThreadData"]
    assert batch.messages and no_sleep.delays == [1.5]
    assert len({h["x-acs-signature-nonce"] for h in attempts}) == len(attempts) == 2
    assert attempts[0]["x-acs-date"] != attempts[1]["x-acs-date"]


async def test_a_503_is_retried_and_then_succeeds(cloud: Sandbox, provider: CmsProvider, family: str) -> None:
    cloud.ctx.faults.add(family, "server_error", route="ListDigitalEmployees", times=2)
    listing = await provider.list_threads(None, None, 20)
    assert len(listing.threads) == 3 and len(cloud.ctx.faults.fired) == 2


async def test_a_wrong_secret_is_an_auth_error_naming_the_key_and_the_clock(
    cloud: Sandbox, family: str, fast_retries: RetryPolicy
) -> None:
    async with _provider(cloud, family, fast_retries, ALIBABA_CLOUD_ACCESS_KEY_SECRET="not-the-secret") as wrong:
        with pytest.raises(AuthError) as info:
            await wrong.list_threads(None, None, 20)
    text = info.value.for_model()
    assert info.value.code == "SignatureDoesNotMatch" and "LTAI…0000" in text and "clock" in text


async def test_a_ram_denial_names_the_permission_to_grant(cloud: Sandbox, provider: CmsProvider, family: str) -> None:
    cloud.ctx.options["cms.deny_actions"] = {"GetThreadData"}
    with pytest.raises(PermissionError_) as info:
        await provider.read(_ref(provider, "report-bot", "weekly-2026-03"), None, 50)
    assert f"{family}:GetThreadData" in info.value.for_model() and info.value.request_id


async def test_an_unknown_thread_is_not_found(provider: CmsProvider) -> None:
    with pytest.raises(NotFoundError) as info:
        await provider.read(_ref(provider, "sre-copilot", "no-such-thread"), None, 50)
    assert info.value.code == "Thread.NotFound"


async def test_reading_an_employee_ref_says_how_to_list_its_threads(provider: CmsProvider) -> None:
    with pytest.raises(UsageError) as info:
        await provider.read(_ref(provider, "sre-copilot"), None, 50)
    assert "parent=" in info.value.for_model()


async def test_describe_names_the_product_endpoint_and_never_a_secret(cloud: Sandbox, family: str) -> None:
    settings = load_settings(cloud.env())
    spec = next(p for p in settings.providers if p.family == family)
    info = create(spec, settings.timeouts, RetryPolicy()).describe()
    assert info["endpoint"] == cloud.url(family) and info["can"] == ["list", "read", "stream", "send"]
    assert cloud.ctx.creds.alibaba_key_secret not in str(info)


def test_the_default_hosts_are_global_for_cms_and_regional_for_starops() -> None:
    env = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIexample000000000",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "x",
        "ALIBABA_CLOUD_REGION_ID": "cn-beijing",
    }
    specs = {p.family: p for p in load_settings(env).providers}
    endpoints = {
        f: create(specs[f], load_settings(env).timeouts, RetryPolicy()).describe()["endpoint"]
        for f in ("cms", "starops")
    }
    assert endpoints == {"cms": "https://cms.aliyuncs.com", "starops": "https://starops.cn-beijing.aliyuncs.com"}


async def test_an_sts_token_from_the_environment_is_sent_and_verified(
    cloud: Sandbox, family: str, fast_retries: RetryPolicy
) -> None:
    cloud.ctx.options["alibaba.security_token"] = "sts-issued-token"
    async with _provider(cloud, family, fast_retries, ALIBABA_CLOUD_SECURITY_TOKEN="sts-issued-token") as good:
        assert len((await good.list_threads(None, None, 20)).threads) == 3
    async with _provider(cloud, family, fast_retries, ALIBABA_CLOUD_SECURITY_TOKEN="sts-stale-token") as stale:
        with pytest.raises(AuthError) as info:
            await stale.list_threads(None, None, 20)
    assert (
        info.value.code == "InvalidSecurityToken.Malformed" and "ALIBABA_CLOUD_SECURITY_TOKEN" in info.value.for_model()
    )
