"""Qoder through the MCP tools, as a model sees it: refs, compact pages, cursors, live turns, actionable errors."""

from __future__ import annotations

from typing import Any

import anyio
from mcp import Client

from agent_threads.app import build_server
from agent_threads.http import RetryPolicy
from agent_threads.sandbox import Sandbox
from agent_threads.sandbox.qoder.data import CHILD_A, COORD_A, SID_A, SID_B

from ...conftest import sandbox_settings


def text(result: Any) -> str:
    return "\n".join(c.text for c in result.content)


async def test_list_threads_shows_session_and_thread_refs(sandbox_server: Any) -> None:
    async with Client(sandbox_server) as client:
        sessions = await client.call_tool("list_threads", {"provider": "qoder"})
        threads = await client.call_tool("list_threads", {"provider": "qoder", "parent": f"qoder:{SID_A}"})
    assert not sessions.is_error and f"qoder:{SID_A} · session · Cloud Agents API competitor brief · idle" in text(
        sessions
    )
    refs = [t["ref"] for t in threads.structured_content["threads"]]
    assert refs == [f"qoder:{SID_A}/{COORD_A}", f"qoder:{SID_A}/{CHILD_A}"] and "(+threads)" in text(sessions)


async def test_get_thread_messages_reads_a_thread_page_by_page(sandbox_server: Any) -> None:
    seen: list[dict[str, Any]] = []
    cursor = None
    async with Client(sandbox_server) as client:
        for _ in range(20):
            page = await client.call_tool(
                "get_thread_messages", {"thread": f"qoder:{SID_B}", "limit": 4, "cursor": cursor, "format": "json"}
            )
            assert not page.is_error, text(page)
            seen += page.structured_content["messages"]
            cursor = page.structured_content.get("next_cursor")
            if cursor is None:
                break
    assert [m["seq"] for m in seen] == list(range(1, len(seen) + 1))
    assert seen[0]["text"].startswith("登录页面") and any(m["text"].startswith("已修复") for m in seen)


async def test_a_compact_page_reads_as_a_terse_transcript(sandbox_server: Any) -> None:
    async with Client(sandbox_server) as client:
        page = await client.call_tool("get_thread_messages", {"thread": f"qoder:{SID_A}/{CHILD_A}"})
    body = text(page)
    assert body.startswith("thread: Research Agent · idle\n")
    assert "tool WebFetch(" in body and ") → ERROR HTTP 403 Forbidden" in body and body.endswith("end of thread")


async def test_a_missing_session_is_an_actionable_tool_error(sandbox_server: Any) -> None:
    async with Client(sandbox_server) as client:
        result = await client.call_tool("get_thread_messages", {"thread": "qoder:sess_missing"})
    assert (
        result.is_error
        and "qoder:sess_missing was not found" in text(result)
        and "list_threads(provider='qoder')" in text(result)
    )


async def test_a_wrong_pat_is_an_actionable_tool_error(sandbox: Sandbox, fast_retries: RetryPolicy) -> None:
    server = build_server(sandbox_settings(sandbox, QODER_PAT="not-the-pat"), fast_retries)
    async with Client(server) as client:
        result = await client.call_tool("list_threads", {"provider": "qoder"})
    assert (
        result.is_error
        and "401" in text(result)
        and "authentication_error" in text(result)
        and "QODER_PAT" in text(result)
    )


async def test_stream_chat_sends_and_returns_the_assembled_turn(sandbox_server: Any) -> None:
    with anyio.fail_after(10):
        async with Client(sandbox_server) as client:
            result = await client.call_tool(
                "stream_chat", {"thread": f"qoder:{SID_A}", "message": "next steps?", "timeout_s": 10}
            )
    body = text(result)
    assert not result.is_error and "user: next steps?" in body and "turn ended (end_turn)" in body
    assert result.structured_content["ended"] and result.structured_content["checkpoint"]


async def test_stream_chat_during_a_running_turn_is_a_conflict_tool_error(
    sandbox: Sandbox, sandbox_server: Any
) -> None:
    gate = sandbox.ctx.options["qoder.turn_gate"] = anyio.Event()
    with anyio.fail_after(10):
        async with Client(sandbox_server) as client:
            first = await client.call_tool(
                "stream_chat", {"thread": f"qoder:{SID_A}", "message": "one", "timeout_s": 1}
            )
            busy = await client.call_tool("stream_chat", {"thread": f"qoder:{SID_A}", "message": "two", "timeout_s": 5})
            gate.set()
            rest = await client.call_tool(
                "stream_chat", {"thread": f"qoder:{SID_A}", "checkpoint": first.structured_content["checkpoint"]}
            )
    assert not first.is_error and not first.structured_content["ended"]
    assert busy.is_error and "409" in text(busy) and "currently processing a turn" in text(busy)
    assert rest.structured_content["ended"] and "user: one" not in text(rest)
