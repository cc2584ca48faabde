"""search_threads, find_failures and the drill-down they lead to, through MCP over the sandbox cloud, on SQLite
and on PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from mcp import Client
from mcp.types import ResourceLink, ResourceTemplateReference

from agent_threads import providers
from agent_threads.app import build_server
from agent_threads.config import Settings
from agent_threads.http import RetryPolicy, Timeouts
from agent_threads.providers.base import Provider, ProviderSettings
from agent_threads.sandbox import Sandbox

from ..conftest import sandbox_settings
from ..fakes import result_text
from ..index.conftest import Store
from ..index.fakes import Counting

REFS = {
    "join": "dms:sess_failed_join_0e55",
    "refunds": "dms:sess_failed_refunds_5a21",
    "short": "dms:sess_short_01",
    "disk": "rdsai:de5e9a90-a424-5742-93fe-e1984acc4b34",
}
SAME_CAUSE = "SQL_EXECUTION_FAILED: Table '…' doesn't exist"


def counting(built: list[Counting]):  # type: ignore[no-untyped-def]
    def factory(spec: ProviderSettings, timeouts: Timeouts, policy: RetryPolicy) -> Provider:
        built.append(Counting(providers.create(spec, timeouts, policy)))
        return built[-1]  # type: ignore[return-value]

    return factory


@pytest.fixture
def vendors() -> list[Counting]:
    return []


@pytest.fixture
async def client(
    sandbox: Sandbox, store: Store, fast_retries: RetryPolicy, vendors: list[Counting]
) -> AsyncIterator[Client]:
    settings = replace(sandbox_settings(sandbox), index=store.config)
    async with Client(build_server(settings, fast_retries, counting(vendors))) as connected:
        yield connected


async def call(client: Client, tool: str, **args: Any) -> tuple[str, dict[str, Any]]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result_text(result)
    return result_text(result), result.structured_content or {}


async def opens_at(client: Client, ref: str, seq: int) -> None:
    """get_thread_messages(from_seq=seq) starts its page at that message."""
    text, _ = await call(client, "get_thread_messages", thread=ref, from_seq=seq, limit=3)
    first = next(line for line in text.splitlines() if line.startswith("#"))
    assert first.startswith(f"#{seq} "), text


@pytest.mark.parametrize(
    ("query", "args", "expected"),
    [
        ('"full table scan"', {}, "rdsai:f5bbe019-f198-52fa-b313-25b3f819b0b6"),  # an English phrase
        ("盘扩", {}, REFS["disk"]),  # a Chinese substring inside a longer word (磁盘扩容)
        ("扩容", {}, REFS["disk"]),  # two Chinese characters
        ("QuerySlowLog", {}, "cms:%E8%BF%90%E7%BB%B4%20%E5%8A%A9%E6%89%8B/%E4%BC%9A%E8%AF%9D%2F001"),  # a tool name
        ("SQL_EXECUTION_FAILED", {"errors_only": True}, REFS["refunds"]),  # an error code, failures only
    ],
)
async def test_search_finds_and_each_hit_opens_the_page_holding_it(
    client: Client, query: str, args: dict[str, Any], expected: str
) -> None:
    text, found = await call(client, "search_threads", query=query, **args)
    refs = [t["ref"] for t in found["threads"]]
    assert expected in refs, text
    assert "«" in text and "threads indexed" in text and text.splitlines()[1].startswith("refreshed: ")
    for thread in found["threads"]:
        for seq in thread["seqs"]:
            await opens_at(client, thread["ref"], seq)


async def test_error_codes_with_errors_only_find_only_the_failing_messages(client: Client) -> None:
    _, found = await call(client, "search_threads", query="SQL_EXECUTION_FAILED", errors_only=True)
    assert sorted(t["ref"] for t in found["threads"]) == [REFS["join"], REFS["refunds"]]


async def test_a_query_with_no_match_says_so_with_the_coverage(client: Client) -> None:
    text, found = await call(client, "search_threads", query="no-such-words-anywhere-9f3")
    assert found["total"] == 0 and found["threads"] == []
    assert re.search(r"^no match in 28 threads \(cms 4, dataagent 3, dms 7, qoder 5, rdsai 5, starops 4\)", text, re.M)


async def test_results_name_their_threads_as_resource_links_and_page_with_a_cursor(client: Client) -> None:
    result = await client.call_tool("search_threads", {"query": "orders", "limit": 2})
    links = [c for c in result.content if isinstance(c, ResourceLink)]
    found = result.structured_content or {}
    assert [link.name for link in links] == [t["ref"] for t in found["threads"]] and len(links) == 2
    assert str(links[0].uri).startswith("thread://")
    more, rest = await call(client, "search_threads", query="orders", limit=2, cursor=found["next_cursor"])
    assert not {t["ref"] for t in rest["threads"]} & {t["ref"] for t in found["threads"]}
    other = await client.call_tool("search_threads", {"query": "refund", "cursor": found["next_cursor"]})
    assert other.is_error  # a cursor continues only the search it came from


async def test_a_second_refresh_with_nothing_changed_reads_no_transcript(
    sandbox: Sandbox, store: Store, fast_retries: RetryPolicy, vendors: list[Counting]
) -> None:
    settings = replace(sandbox_settings(sandbox), index=replace(store.config, fresh_for=0))
    async with Client(build_server(settings, fast_retries, counting(vendors))) as client:
        await call(client, "search_threads", query="orders")
        for vendor in vendors:
            vendor.reads.clear()
        text, _ = await call(client, "search_threads", query="orders")
    # DataAgent's listing is this server's own catalog, which learned titles and times from the first reads
    assert [ref for v in vendors if v.id != "dataagent" for ref in v.reads] == []
    assert re.search(r"^refreshed: 0 new, \d changed, 2\d unchanged$", text, re.M), text


async def test_searches_within_the_refresh_window_make_no_vendor_call_and_say_how_fresh_the_index_is(
    client: Client, vendors: list[Counting]
) -> None:
    await call(client, "search_threads", query="orders")
    calls = [(v.lists, len(v.reads)) for v in vendors]
    text, _ = await call(client, "search_threads", query="磁盘")
    failures, _ = await call(client, "find_failures")
    assert [(v.lists, len(v.reads)) for v in vendors] == calls
    said = re.search(r"^not refreshed; synced within the last 30 s, not listed again: (.*)$", text, re.M)
    assert said is not None, text
    assert sorted(p.split()[0] for p in said.group(1).split(", ")) == sorted(v.id for v in vendors)
    assert "not listed again" in failures.splitlines()[1]


async def test_every_vendors_failure_is_found_with_its_ref_and_seq(client: Client) -> None:
    text, found = await call(client, "find_failures", limit=50)
    examples = [(e["ref"], e["seq"]) for g in found["groups"] for e in g["examples"]]
    assert {ref.split(":")[0] for ref, _ in examples} == {"qoder", "cms", "starops", "dms", "rdsai", "dataagent"}
    for ref, seq in {ref.split(":")[0]: (ref, seq) for ref, seq in examples}.values():
        assert f"{ref} #{seq}" in text
        await opens_at(client, ref, seq)


async def test_the_same_cause_on_two_tables_is_one_group_and_a_successful_thread_is_in_none(client: Client) -> None:
    _, found = await call(client, "find_failures", provider="dms", limit=50)
    group = next(g for g in found["groups"] if g["signature"] == SAME_CAUSE)
    assert (group["count"], group["threads"]) == (2, 2)
    assert {e["ref"] for e in group["examples"]} == {REFS["join"], REFS["refunds"]}
    failing = {e["ref"] for g in found["groups"] for e in g["examples"]}
    assert REFS["short"] not in failing and REFS["join"] in failing


async def test_list_threads_shows_the_digest_of_an_indexed_thread(client: Client) -> None:
    await call(client, "find_failures", provider="dms")
    text, _ = await call(client, "list_threads", provider="dms")
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(REFS["short"]))
    assert lines[at + 1] == "  ≡ 2 msgs, 1s · last: 12,408 users were active yesterday, 3% more than the day before."


async def test_a_page_a_tool_read_is_indexed_without_a_sync(client: Client) -> None:
    await call(client, "get_thread_messages", thread=REFS["short"])
    _, found = await call(client, "search_threads", query="12,408 users", refresh=False)
    assert [t["ref"] for t in found["threads"]] == [REFS["short"]]


async def test_a_hit_in_a_thread_indexed_whole_is_served_from_the_index(
    client: Client, vendors: list[Counting]
) -> None:
    _, found = await call(client, "search_threads", query="SQL_EXECUTION_FAILED", errors_only=True)
    for vendor in vendors:
        vendor.reads.clear()
    text, _ = await call(client, "get_thread_messages", thread=REFS["join"], from_seq=2, limit=1)
    assert "from the thread index" in text and text.splitlines()[2].startswith("#2 ")
    assert [r for v in vendors for r in v.reads] == []
    rest, _ = await call(client, "get_thread_messages", thread=REFS["join"], cursor=text.split("next_cursor: ")[1])
    assert rest.splitlines()[2].startswith("#3 ") and rest.endswith("end of thread")
    full, _ = await call(client, "get_thread_messages", thread=REFS["join"], from_seq=2, detail="full")
    assert "from the thread index" not in full and [r for v in vendors for r in v.reads] == [REFS["join"]]


async def test_a_seq_the_thread_does_not_have_is_an_error_naming_the_range(client: Client) -> None:
    result = await client.call_tool("get_thread_messages", {"thread": REFS["short"], "from_seq": 99})
    assert result.is_error and "has no message #99" in result_text(result)


async def test_recent_threads_are_resources_and_refs_complete(client: Client) -> None:
    await call(client, "search_threads", query="orders", provider="dms")
    listed = [str(r.uri) for r in (await client.list_resources()).resources]
    assert f"thread://{REFS['join']}" in listed
    template = ResourceTemplateReference(type="ref/resource", uri="thread://{+ref}")
    offered = (await client.complete(template, {"name": "ref", "value": "dms:sess_failed"})).completion.values
    assert sorted(offered) == [REFS["join"], REFS["refunds"]]


async def test_the_triage_prompt_carries_the_failure_groups(client: Client) -> None:
    prompt = await client.get_prompt("triage", {"provider": "dms"})
    ask, groups = (getattr(m.content, "text", "") for m in prompt.messages)
    assert "likely cause" in ask and "what to check next" in ask
    assert SAME_CAUSE in groups and f"{REFS['join']} #2" in groups


async def test_the_find_failure_prompt_names_the_threads_failures_from_the_index(client: Client) -> None:
    await call(client, "find_failures", provider="dms")
    prompt = await client.get_prompt("find_failure", {"thread": REFS["refunds"]})
    texts = [getattr(m.content, "text", "") for m in prompt.messages]
    assert any(f"#2 {SAME_CAUSE} — also in 1 other threads" in t for t in texts), texts


async def test_with_the_index_off_the_tools_say_how_to_turn_it_on(sandbox: Sandbox) -> None:
    settings: Settings = sandbox_settings(sandbox, AGENT_THREADS_INDEX="off")
    async with Client(build_server(settings)) as off:
        for tool in ("search_threads", "find_failures"):
            result = await off.call_tool(tool, {"query": "orders"} if tool == "search_threads" else {})
            assert result.is_error and "AGENT_THREADS_INDEX" in result_text(result)
        listing = await off.call_tool("list_threads", {"provider": "dms"})
        assert not listing.is_error and "≡" not in result_text(listing)
    assert settings.index.kind == "off" and not list(settings.state_dir.glob("index.sqlite3*"))
