"""DMS through the MCP tools (in-memory client, sandboxed server): listing, compact transcripts, stream_chat."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client

from agent_threads.sandbox import Sandbox

from ...fakes import result_text as _text

Q3 = "dms:sess_q3_sales_7b1c"


async def test_list_threads_pages_dms_sessions_with_an_opaque_cursor(sandbox_server: Any) -> None:
    async with Client(sandbox_server) as client:
        first = await client.call_tool("list_threads", {"provider": "dms", "limit": 4})
        cursor = first.structured_content["next_cursor"]
        second = await client.call_tool("list_threads", {"provider": "dms", "limit": 4, "cursor": cursor})
    refs = [t["ref"] for t in first.structured_content["threads"] + second.structured_content["threads"]]
    assert len(set(refs)) == 7 and all(r.startswith("dms:sess_") for r in refs)
    assert "page" not in cursor and second.structured_content.get("next_cursor") is None
    assert "dms:sess_q3_sales_7b1c · session · Q3 sales growth by region · finished" in _text(first)


async def test_get_thread_messages_gives_a_compact_dms_transcript(sandbox_server: Any) -> None:
    async with Client(sandbox_server) as client:
        result = await client.call_tool("get_thread_messages", {"thread": Q3})
        as_json = await client.call_tool("get_thread_messages", {"thread": Q3, "format": "json"})
    assert not result.is_error, _text(result)
    lines = _text(result).splitlines()
    assert lines[0] == "thread: Q3 sales growth by region · finished"
    assert lines[1] == "#1 2026-05-18 03:40 user: Which region had the highest sales growth in Q3 2025?"
    plan = " » plan Q3 regional growth: 1. Locate the orders and regions tables; 2. Sum Q2 and Q3 revenue by region;"
    assert any(line.startswith(plan) for line in lines)
    assert any(line.startswith("  East China grew fastest in Q3 2025") for line in lines)
    assert lines[-1] == "end of thread"
    messages = as_json.structured_content["messages"]
    assert [(m["seq"], m["role"]) for m in messages] == [
        (1, "user"),
        (2, "assistant"),
        (3, "user"),
        (4, "assistant"),
        (5, "assistant"),
    ]


async def test_get_thread_messages_filters_dms_errors_by_kind(sandbox_server: Any) -> None:
    async with Client(sandbox_server) as client:
        result = await client.call_tool(
            "get_thread_messages", {"thread": "dms:sess_failed_join_0e55", "kinds": ["event"]}
        )
    text = _text(result)
    assert "error SQL_EXECUTION_FAILED: Table 'sales.legacy_users' doesn't exist" in text
    assert "error finish TASK_FAILED: The analysis stopped after a SQL error." in text


async def test_an_unknown_dms_session_is_a_tool_error_naming_the_next_step(sandbox_server: Any) -> None:
    async with Client(sandbox_server) as client:
        result = await client.call_tool("get_thread_messages", {"thread": "dms:sess_nope"})
    assert result.is_error
    assert "Session.NotFound" in _text(result) and "list_threads" in _text(result)


async def test_stream_chat_sends_to_dms_and_returns_the_whole_turn_with_a_checkpoint(sandbox_server: Any) -> None:
    async with Client(sandbox_server) as client:
        with anyio.fail_after(20):
            sent = await client.call_tool("stream_chat", {"thread": Q3, "message": "And Q4?", "timeout_s": 30})
            again = await client.call_tool(
                "stream_chat", {"thread": Q3, "checkpoint": sent.structured_content["checkpoint"], "timeout_s": 30}
            )
    assert not sent.is_error, _text(sent)
    turn = sent.structured_content
    assert (turn["ended"], turn["stop_reason"]) == (True, "finished")
    assert [m["role"] for m in turn["messages"]] == ["user", "assistant"] and turn["messages"][0]["text"] == "And Q4?"
    assert turn["messages"][1]["text"].startswith("Question received.\n\nYou asked: And Q4?")
    assert again.structured_content["messages"] == [] and again.structured_content["stop_reason"] == "idle"


@pytest.mark.parametrize("form", ["text", "json"])
async def test_a_transcript_the_replay_cut_short_says_it_is_incomplete_and_never_end_of_thread(
    sandbox: Sandbox, sandbox_server: Any, form: str
) -> None:
    sandbox.ctx.faults.add("dms", "close_early", route="GetChatContent", after_bytes=1200)
    sandbox.ctx.faults.add("dms", "close_early", route="GetChatContent", after_bytes=0, times=None)
    async with Client(sandbox_server) as client:
        result = await client.call_tool("get_thread_messages", {"thread": Q3, "format": form})
    assert not result.is_error, _text(result)
    if form == "json":
        assert "closed before it was complete" in result.structured_content["incomplete"]
        return
    text = _text(result)
    assert "\nincomplete: the GetChatContent replay closed before it was complete" in text
    assert "end of thread" not in text and text.endswith(
        "end of what could be read: not the whole thread (read it again later)"
    )
