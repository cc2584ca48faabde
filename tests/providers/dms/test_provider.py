"""The DMS Data Agent provider against the sandbox: sessions, history pages, chat replay mapping, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest

from agent_threads.config import load_settings
from agent_threads.errors import NotFoundError, ProviderAPIError, UsageError
from agent_threads.http import RetryPolicy, Timeouts
from agent_threads.providers.base import ProviderSettings
from agent_threads.providers.dms.provider import DmsProvider, create
from agent_threads.refs import ThreadRef, parse_ref
from agent_threads.sandbox import Sandbox, SandboxContext
from agent_threads.transcript import ArtifactPart, DataPart, EventPart, PlanPart, ReasoningPart
from agent_threads.ttlcache import TTL, TtlCache

from ...conftest import NoSleep, list_all, read_all

Q3 = "dms:sess_q3_sales_7b1c"
CN = "dms:sess_inventory_cn_42d9"
FAILED = "dms:sess_failed_join_0e55"


@asynccontextmanager
async def dms(policy: RetryPolicy, **options: Any) -> AsyncIterator[tuple[DmsProvider, Sandbox]]:
    """A DMS provider wired to a fresh DMS-only sandbox (``options``: sandbox knobs, ``dms_unit``, ``timeouts``)."""
    timeouts: Timeouts = options.pop("timeouts", None) or Timeouts()
    knobs = {k: v for k, v in options.items() if k != "dms_unit"}
    async with Sandbox(SandboxContext(options=knobs), families=["dms"]).running() as sandbox:
        spec = next(p for p in load_settings(sandbox.env()).providers if p.family == "dms")
        if "dms_unit" in options:
            spec = replace(spec, options={"dms_unit": options["dms_unit"]})
        provider = create(spec, timeouts, policy)
        async with provider.client:
            yield provider, sandbox


async def test_listing_pages_through_every_session_once(fast_retries: RetryPolicy) -> None:
    async with dms(fast_retries) as (provider, _):
        refs = await list_all(provider, None, 4)
    assert len(refs) == len(set(refs)) == 7
    assert refs[:3] == [FAILED, CN, Q3]


async def test_a_listed_session_carries_title_status_and_creation_time(fast_retries: RetryPolicy) -> None:
    async with dms(fast_retries) as (provider, _):
        listing = await provider.list_threads(None, None, 10)
    entry = next(t for t in listing.threads if t.ref == Q3)
    assert (entry.title, entry.status, entry.kind) == ("Q3 sales growth by region", "finished", "session")
    assert entry.created is not None and entry.created.isoformat() == "2026-05-18T03:40:00+00:00"


async def test_delta_chunks_merge_into_one_assistant_message(fast_retries: RetryPolicy) -> None:
    async with dms(fast_retries) as (provider, _):
        batch = await provider.read(parse_ref(CN), None, 50)
    answer = next(m for m in batch.messages if m.role == "assistant" and m.text)
    assert answer.text.endswith("把成都仓的冬装调拨到西安仓，并暂停该品类补货两周。")
    assert answer.text.startswith("数据理解完成。\n\n上个月周转最慢的是成都仓")
    assert [p.text for p in answer.parts if isinstance(p, ReasoningPart)] == [
        "先确认库存表与出库表的关联字段，再按仓库汇总。"
    ]


async def test_a_plan_becomes_a_plan_part_and_sql_and_tables_become_data_parts(fast_retries: RetryPolicy) -> None:
    async with dms(fast_retries) as (provider, _):
        batch = await provider.read(parse_ref(Q3), None, 50)
    first = next(m for m in batch.messages if m.role == "assistant")
    plan = next(p for p in first.parts if isinstance(p, PlanPart))
    assert plan.title == "Q3 regional growth"
    assert [(s.title, s.status) for s in plan.steps][1] == ("Sum Q2 and Q3 revenue by region", "DONE")
    data = {p.category: p.data for p in first.parts if isinstance(p, DataPart)}
    assert str(data["SQL"]).startswith("SELECT r.name AS region")
    assert data["TABLE"]["rows"][0] == ["East China", 1204300, 1398200, "16.1%"]


async def test_user_messages_open_their_turns_and_artifacts_follow_the_turn_that_made_them(
    fast_retries: RetryPolicy,
) -> None:
    async with dms(fast_retries) as (provider, _):
        batch = await provider.read(parse_ref(Q3), None, 50)
    shape = [
        (m.role, "artifact" if any(isinstance(p, ArtifactPart) for p in m.parts) else m.text[:12])
        for m in batch.messages
    ]
    assert shape == [
        ("user", "Which region"),
        ("assistant", "Data underst"),
        ("user", "Turn that in"),
        ("assistant", "Here is the "),
        ("assistant", "artifact"),
    ]
    assert (batch.title, batch.status, batch.next_state) == ("Q3 sales growth by region", "finished", None)


async def test_a_failed_task_shows_its_sql_error_and_its_failed_finish(fast_retries: RetryPolicy) -> None:
    async with dms(fast_retries) as (provider, _):
        batch = await provider.read(parse_ref(FAILED), None, 50)
    errors = [p for m in batch.messages for p in m.parts if isinstance(p, EventPart) and p.is_error]
    assert [(e.name, e.code) for e in errors] == [
        ("ERROR", "SQL_EXECUTION_FAILED"),
        ("finish", "TASK_FAILED"),
        ("artifact", None),
    ]
    assert batch.status == "failed"


async def test_small_pages_hold_the_same_messages_as_one_big_page(fast_retries: RetryPolicy) -> None:
    async with dms(fast_retries) as (provider, _):
        whole, _ = await read_all(provider, Q3, 50)
        paged, pages = await read_all(provider, Q3, 1)
    assert pages == 2
    assert [m.model_dump() for m in paged] == [m.model_dump() for m in whole]


async def test_a_big_session_reads_page_by_page_without_loss(fast_retries: RetryPolicy) -> None:
    async with dms(fast_retries, **{"dms.big_thread_events": 3000}) as (provider, _):
        messages, pages = await read_all(provider, "dms:sess_big_thread_0001", 100)
    assert pages == 6
    assert len(messages) == 600
    assert messages[-1].text.startswith("Refresh 300 done")
    assert [m.role for m in messages[:4]] == ["user", "assistant", "user", "assistant"]


async def test_an_unknown_session_is_not_found_although_dms_answers_http_200(fast_retries: RetryPolicy) -> None:
    async with dms(fast_retries) as (provider, _):
        with pytest.raises(NotFoundError) as caught:
            await provider.read(parse_ref("dms:sess_nope"), None, 10)
    assert (caught.value.status, caught.value.code) == (None, "Session.NotFound")


async def test_throttling_is_retried_after_the_vendors_retry_after(
    fast_retries: RetryPolicy, no_sleep: NoSleep
) -> None:
    async with dms(fast_retries) as (provider, sandbox):
        sandbox.ctx.faults.add("dms", "throttle", route="ListDataAgentSession", retry_after=2.0)
        listing = await provider.list_threads(None, None, 10)
    assert len(listing.threads) == 7
    assert no_sleep.delays == [2.0]


async def test_a_replay_dropped_mid_read_is_reopened_and_the_page_comes_out_whole(fast_retries: RetryPolicy) -> None:
    async with dms(fast_retries) as (provider, sandbox):
        baseline = await provider.read(parse_ref(Q3), None, 50)
        sandbox.ctx.faults.add("dms", "drop_stream", route="GetChatContent", after_bytes=900)
        again = await provider.read(parse_ref(Q3), None, 50)
        assert sandbox.ctx.faults.fired[-1][1] == "drop_stream"
    assert [m.model_dump() for m in again.messages] == [m.model_dump() for m in baseline.messages]


async def test_the_dms_unit_option_goes_with_every_call(fast_retries: RetryPolicy) -> None:
    async with dms(fast_retries, dms_unit="ap-southeast-1") as (provider, _):
        assert len((await provider.list_threads(None, None, 10)).threads) == 7
        assert provider.describe()["note"].startswith("DMSUnit ap-southeast-1")
    async with dms(fast_retries, dms_unit="mars-north-1") as (provider, _):
        with pytest.raises(ProviderAPIError) as caught:
            await provider.list_threads(None, None, 10)
    assert caught.value.code == "InvalidParameter.DMSUnit"


async def test_an_unknown_chat_event_type_is_kept_as_an_event_part(fast_retries: RetryPolicy) -> None:
    async with dms(fast_retries) as (provider, sandbox):
        sandbox.ctx.faults.add("dms", "drift", route="GetChatContent")
        batch = await provider.read(parse_ref(CN), None, 50)
    kept = [p for m in batch.messages for p in m.parts if isinstance(p, EventPart) and p.name == "SUGGESTION"]
    assert [p.message for p in kept] == ["Ask about Q4 next."]


def test_the_default_endpoint_is_the_regional_dms_host_and_describe_shows_no_secret() -> None:
    creds = {"access_key_id": "LTAIdefault", "access_key_secret": "never-shown-secret"}
    provider = create(ProviderSettings("dms", "dms", region="cn-beijing", credentials=creds), Timeouts(), RetryPolicy())
    info = provider.describe()
    assert info["endpoint"] == "https://dms.cn-beijing.aliyuncs.com"
    assert info["can"] == ["list", "read", "stream", "send"]
    assert "never-shown-secret" not in repr(info)


async def test_a_session_ref_has_no_threads_under_it(fast_retries: RetryPolicy) -> None:
    async with dms(fast_retries) as (provider, _):
        with pytest.raises(UsageError):
            await provider.list_threads(ThreadRef("dms", ("sess_q3_sales_7b1c",)), None, 10)


def _actions(provider: DmsProvider) -> list[str]:
    """The x-acs-action of every request the provider sends from now on."""
    sent: list[str] = []

    async def hook(request: httpx.Request) -> None:
        sent.append(request.headers["x-acs-action"])

    provider.client.event_hooks["request"].append(hook)
    return sent


def _details_asked(sent: list[str]) -> int:
    return sent.count("DescribeDataAgentSession")


async def test_the_pages_between_the_first_and_the_last_do_not_describe_the_session_again(
    fast_retries: RetryPolicy,
) -> None:
    async with dms(fast_retries, **{"dms.big_thread_events": 30}) as (provider, _):
        sent = _actions(provider)
        ref = parse_ref("dms:sess_big_thread_0001")
        first = await provider.read(ref, None, 1)
        second = await provider.read(ref, first.next_state, 1)
        assert _details_asked(sent) == 1 and second.next_state is not None
        last = await provider.read(ref, second.next_state, 1)
    assert last.next_state is None and _details_asked(sent) == 2  # the last page asks again
    assert (first.title, second.title, last.title) == ("Big session (30 events)", None, None)


async def test_a_message_sent_between_pages_still_shows_with_its_reply(fast_retries: RetryPolicy) -> None:
    async with dms(fast_retries) as (provider, _):
        ref = parse_ref(Q3)
        page = await provider.read(ref, None, 1)
        messages = list(page.messages)
        await provider.send_message(await provider.session(ref.parts[0]), "And Q4?")
        while page.next_state is not None:
            page = await provider.read(ref, page.next_state, 1)
            messages.extend(page.messages)
    users = [m.text for m in messages if m.role == "user"]
    assert len(users) == 3 and (messages[-2].role, messages[-2].text) == ("user", "And Q4?")
    assert messages[-1].role == "assistant" and "You asked: And Q4?" in messages[-1].text


async def test_a_kept_session_older_than_its_ttl_is_described_again(fast_retries: RetryPolicy) -> None:
    now = [0.0]
    async with dms(fast_retries, **{"dms.big_thread_events": 30}) as (provider, _):
        provider.details = TtlCache(clock=lambda: now[0])
        sent = _actions(provider)
        ref = parse_ref("dms:sess_big_thread_0001")
        first = await provider.read(ref, None, 1)
        now[0] += TTL + 1
        await provider.read(ref, first.next_state, 1)
    assert _details_asked(sent) == 2


async def test_a_failing_second_description_keeps_the_turns_and_names_what_is_missing(
    fast_retries: RetryPolicy,
) -> None:
    async with dms(fast_retries, **{"dms.big_thread_events": 30}) as (provider, sandbox):
        ref = parse_ref("dms:sess_big_thread_0001")
        baseline, _ = await read_all(provider, ref, 2)
        page = await provider.read(ref, None, 2)
        messages = list(page.messages)
        sandbox.ctx.faults.add("dms", "server_error", route="DescribeDataAgentSession", times=None)
        while page.next_state is not None:
            page = await provider.read(ref, page.next_state, 2)
            messages += page.messages
    assert [m.model_dump() for m in messages] == [m.model_dump() for m in baseline]
    assert page.note is not None and page.note.startswith("messages sent since the read began unavailable: ")
    assert page.incomplete is None
