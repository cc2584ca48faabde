"""The RDS AI provider against the sandbox: conversations, backward message pages, row mapping, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from agent_threads.config import load_settings
from agent_threads.errors import NotFoundError
from agent_threads.http import RetryPolicy, Timeouts
from agent_threads.providers.base import ProviderSettings, State
from agent_threads.providers.rdsai.provider import RdsAiProvider, create, default_endpoint
from agent_threads.refs import parse_ref
from agent_threads.sandbox import Sandbox, SandboxContext
from agent_threads.sandbox.rdsai.data import stable_id
from agent_threads.transcript import EventPart, Message, ReasoningPart, ToolCallPart

from ...conftest import NoSleep, list_all

DISK = f"rdsai:{stable_id('disk')}"
SLOW = f"rdsai:{stable_id('slow')}"


@asynccontextmanager
async def rdsai(policy: RetryPolicy, **options: Any) -> AsyncIterator[tuple[RdsAiProvider, Sandbox]]:
    async with Sandbox(SandboxContext(options=options), families=["rdsai"]).running() as sandbox:
        spec = next(p for p in load_settings(sandbox.env()).providers if p.family == "rdsai")
        provider = create(spec, Timeouts(), policy)
        async with provider.client:
            yield provider, sandbox


async def read_pages(provider: RdsAiProvider, ref: str, limit: int) -> list[list[Message]]:
    pages: list[list[Message]] = []
    state: State | None = None
    while True:
        batch = await provider.read(parse_ref(ref), state, limit)
        pages.append(batch.messages)
        state = batch.next_state
        if state is None:
            return pages


@pytest.mark.parametrize("as_bool", [False, True], ids=["HasMore-as-string", "HasMore-as-bool"])
async def test_listing_follows_last_id_while_has_more_is_true_in_either_form(
    fast_retries: RetryPolicy, as_bool: bool
) -> None:
    async with rdsai(fast_retries, **({"rdsai.has_more_bool": True} if as_bool else {})) as (provider, _):
        refs = await list_all(provider, None, 2)
    assert len(refs) == len(set(refs)) == 5
    assert refs[:2] == [SLOW, DISK]


async def test_pages_go_backwards_and_each_is_shown_oldest_first(fast_retries: RetryPolicy) -> None:
    async with rdsai(fast_retries) as (provider, _):
        pages = await read_pages(provider, SLOW, 2)
    assert [[m.text[:20] for m in page] for page in pages] == [
        ["Why is my MySQL inst", "CPU has been at 92% ", "Create the missing i"]
        + ["I prepared the state", "And check the replic", "Checking the read-on"]
    ]
    assert [m.seq for m in pages[0]] == [-6, -5, -4, -3, -2, -1]


async def test_each_page_is_the_vendors_largest_whatever_the_limit_asked(fast_retries: RetryPolicy) -> None:
    async with rdsai(fast_retries, **{"rdsai.big_conversation_rows": 250}) as (provider, _):
        pages = await read_pages(provider, f"rdsai:{stable_id('big')}", 2)
    assert [[m.seq for m in page] for page in pages] == [
        list(range(-200, 0)),
        list(range(-400, -200)),
        list(range(-500, -400)),
    ]
    assert pages[-1][0].text == "Check #1: is instance rm-big0 healthy?"


async def test_the_first_page_says_how_pages_are_ordered_and_later_ones_do_not(fast_retries: RetryPolicy) -> None:
    async with rdsai(fast_retries, **{"rdsai.big_conversation_rows": 150}) as (provider, _):
        first = await provider.read(parse_ref(f"rdsai:{stable_id('big')}"), None, 2)
        second = await provider.read(parse_ref(f"rdsai:{stable_id('big')}"), first.next_state, 2)
        whole = await provider.read(parse_ref(SLOW), None, 2)
    assert first.note is not None and "newest" in first.note and "chronological" in first.note
    assert second.note is None and whole.note is None


async def test_one_row_is_the_query_then_the_answer_with_tool_calls_paired_and_feedback(
    fast_retries: RetryPolicy,
) -> None:
    async with rdsai(fast_retries) as (provider, _):
        batch = await provider.read(parse_ref(DISK), None, 50)
    query, answer = batch.messages[0], batch.messages[1]
    assert (query.role, answer.role) == ("user", "assistant")
    assert query.text == "实例rm-bp14as9914vd3 磁盘使用率,是否需要扩容"
    assert answer.text.startswith("您询问的实例rm-bp14as9914vd3 磁盘使用率为23%")
    call = next(p for p in answer.parts if isinstance(p, ToolCallPart))
    assert (call.name, call.arguments["DBInstanceId"], call.id) == (
        "DescribeDBInstancePerformance",
        "rm-bp14as9914vd3",
        "call_disk_01",
    )
    assert call.result is not None and '"DiskUsage": "23%"' in call.result
    assert [p.text for p in answer.parts if isinstance(p, ReasoningPart)] == ["需要先查询该实例的磁盘空间使用情况。"]
    assert [(p.name, p.status) for p in answer.parts if isinstance(p, EventPart)] == [("feedback", "like")]


async def test_a_rejected_tool_call_and_a_failed_generation_are_visible(fast_retries: RetryPolicy) -> None:
    async with rdsai(fast_retries) as (provider, _):
        batch = await provider.read(parse_ref(SLOW), None, 50)
    rejected = next(
        p for m in batch.messages for p in m.parts if isinstance(p, ToolCallPart) and p.name == "ExecuteSQL"
    )
    assert rejected.status == "rejected"
    last = batch.messages[-1]
    events = [(p.name, p.code or p.status, p.is_error) for p in last.parts if isinstance(p, EventPart)]
    assert events == [("reply", "ToolTimeout", True), ("generation", "failed", True)]


async def test_drifted_snake_case_rows_read_the_same_and_keep_the_unknown_event_and_extra_field(
    fast_retries: RetryPolicy,
) -> None:
    async with rdsai(fast_retries) as (provider, sandbox):
        plain = await provider.read(parse_ref(SLOW), None, 50)
        sandbox.ctx.faults.add("rdsai", "drift", route="GetMessages")
        drifted = await provider.read(parse_ref(SLOW), None, 50)
    assert [f[1] for f in sandbox.ctx.faults.fired] == ["drift"]
    assert [(m.id, m.role, m.text) for m in drifted.messages] == [(m.id, m.role, m.text) for m in plain.messages]
    for before, after in zip(plain.messages, drifted.messages):
        unknown = [p for p in after.parts if isinstance(p, EventPart) and p.name == "node_finished"]
        assert [p for p in after.parts if p not in unknown] == before.parts
        assert len(unknown) == (after.role == "assistant")
        assert after.role == "user" or (after.vendor or {}).get("SchemaVersion") == "2026-05-01"


async def test_a_big_conversation_pages_back_to_its_first_row(fast_retries: RetryPolicy) -> None:
    async with rdsai(fast_retries, **{"rdsai.big_conversation_rows": 450}) as (provider, _):
        pages = await read_pages(provider, f"rdsai:{stable_id('big')}", 200)
    flat = [m for page in reversed(pages) for m in page]
    assert len(pages) == 5 and len(flat) == 900
    assert [m.seq for m in flat] == list(range(-900, 0))
    assert flat[0].text == "Check #1: is instance rm-big0 healthy?"


async def test_an_unknown_conversation_is_not_found(fast_retries: RetryPolicy) -> None:
    async with rdsai(fast_retries) as (provider, _):
        with pytest.raises(NotFoundError) as caught:
            await provider.read(parse_ref("rdsai:conv-missing"), None, 10)
    assert (caught.value.status, caught.value.code) == (404, "ConversationNotFound")


async def test_throttling_is_retried_after_the_vendors_retry_after(
    fast_retries: RetryPolicy, no_sleep: NoSleep
) -> None:
    async with rdsai(fast_retries) as (provider, sandbox):
        sandbox.ctx.faults.add("rdsai", "throttle", route="GetMessages", retry_after=1.5, times=2)
        batch = await provider.read(parse_ref(DISK), None, 50)
    assert len(batch.messages) == 4
    assert no_sleep.delays == [1.5, 1.5]


def test_mainland_regions_share_one_endpoint_and_others_are_regional() -> None:
    assert default_endpoint("cn-shanghai") == "rdsai.aliyuncs.com"
    assert default_endpoint("ap-southeast-1") == "rdsai.ap-southeast-1.aliyuncs.com"
    creds = {"access_key_id": "LTAIdefault", "access_key_secret": "s"}
    provider = create(
        ProviderSettings("rdsai", "rdsai", region="eu-central-1", credentials=creds), Timeouts(), RetryPolicy()
    )
    assert provider.describe()["endpoint"] == "https://rdsai.eu-central-1.aliyuncs.com"
