"""RDS AI through the MCP tools (in-memory client, sandboxed server): listing, backward pages, stream_chat."""

from __future__ import annotations

from typing import Any

import anyio
from mcp import Client

from agent_threads.sandbox.rdsai.data import stable_id

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


async def test_get_thread_messages_pages_rdsai_backwards_with_the_order_stated(sandbox_server: Any) -> None:
    async with Client(sandbox_server) as client:
        first = await client.call_tool("get_thread_messages", {"thread": SLOW, "limit": 2})
        cursor = first.structured_content["next_cursor"]
        second = await client.call_tool("get_thread_messages", {"thread": SLOW, "limit": 2, "cursor": cursor})
        second_json = await client.call_tool(
            "get_thread_messages", {"thread": SLOW, "limit": 2, "cursor": cursor, "format": "json"}
        )
    text = _text(first)
    assert "note: newest page first, each chronological; seq counts back from the newest (-1)" in text
    assert "#-2 2026-05-18 04:50 user: And check the replication lag." in text
    assert "  ↳ error reply ToolTimeout: DescribeDBInstanceReplication timed out after 30s" in text
    assert [m["seq"] for m in second_json.structured_content["messages"]] == [-4, -3]
    assert "  ↳ event feedback [dislike]" in _text(second) and "note:" not in _text(second)


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
