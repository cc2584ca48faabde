"""RDS AI through the MCP tools (in-memory client, sandboxed server): listing, backward pages, stream_chat."""

from __future__ import annotations

from typing import Any

import anyio
from mcp import Client

from agent_threads.app import build_server
from agent_threads.http import RetryPolicy
from agent_threads.sandbox import Sandbox, SandboxContext
from agent_threads.sandbox.rdsai.data import stable_id

from ...conftest import sandbox_settings
from ...fakes import page_cursor
from ...fakes import result_text as _text

SLOW = f"rdsai:{stable_id('slow')}"


async def test_list_threads_pages_rdsai_conversations(sandbox_server: Any) -> None:
    async with Client(sandbox_server) as client:
        first = await client.call_tool("list_threads", {"provider": "rdsai", "limit": 3})
        second = await client.call_tool(
            "list_threads", {"provider": "rdsai", "limit": 3, "cursor": first.structured_content["next_cursor"]}
        )
    refs = [t["ref"] for t in first.structured_content["threads"] + second.structured_content["threads"]]
    assert refs[0] == SLOW and len(set(refs)) == 5
    assert second.structured_content.get("next_cursor") is None
    assert f"{SLOW} · conversation · Slow queries on orders-db · idle" in _text(first)


async def test_get_thread_messages_reads_a_one_page_conversation_in_order(sandbox_server: Any) -> None:
    async with Client(sandbox_server) as client:
        first = await client.call_tool("get_thread_messages", {"thread": SLOW, "limit": 2})
        second = await client.call_tool(
            "get_thread_messages", {"thread": SLOW, "limit": 2, "cursor": page_cursor(first), "format": "json"}
        )
    text = _text(first)
    assert "#-6 2026-05-18 04:40 user: Why is my MySQL instance rm-uf6wjk5 slow since this morning?" in text
    assert "\n » feedback [like]" in text and "note:" not in text
    assert [m["seq"] for m in second.structured_content["messages"]] == [-4, -3]


async def test_get_thread_messages_pages_a_long_conversation_backwards_with_the_order_stated(
    fast_retries: RetryPolicy,
) -> None:
    big = f"rdsai:{stable_id('big')}"
    seqs: list[list[int]] = []
    notes: list[str | None] = []
    options = {"rdsai.big_conversation_rows": 150}
    async with (
        Sandbox(SandboxContext(options=options), families=["rdsai"]).running() as sandbox,
        Client(build_server(sandbox_settings(sandbox), fast_retries)) as client,
    ):
        cursor = None
        while len(seqs) < 10:
            page = await client.call_tool("get_thread_messages", {"thread": big, "cursor": cursor, "format": "json"})
            seqs.append([m["seq"] for m in page.structured_content["messages"]])
            notes.append(page.structured_content.get("note"))
            cursor = page.structured_content.get("next_cursor")
            if cursor is None:
                break
    assert [s for page in seqs for s in page] == [*range(-200, 0), *range(-300, -200)]  # vendor pages newest first
    assert notes[0] is not None and "newest page first" in notes[0] and set(notes[1:]) == {None}


async def test_stream_chat_sends_a_query_to_rdsai_and_returns_the_reply(sandbox_server: Any) -> None:
    async with Client(sandbox_server) as client:
        with anyio.fail_after(20):
            result = await client.call_tool(
                "stream_chat", {"thread": SLOW, "message": "Is the replica healthy now?", "timeout_s": 30}
            )
            follow_only = await client.call_tool("stream_chat", {"thread": SLOW})
    assert not result.is_error, _text(result)
    turn = result.structured_content
    assert (turn["ended"], turn["stop_reason"]) == (True, "message_end")
    assert [m["text"] for m in turn["messages"]][0] == "Is the replica healthy now?"
    assert turn["messages"][1]["text"].startswith("You asked: Is the replica healthy now?")
    assert "tool DescribeDBInstanceAttribute" in _text(result)
    assert follow_only.is_error and "pass message" in _text(follow_only).lower()
