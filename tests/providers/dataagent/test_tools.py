"""DataAgent through the MCP tools (in-memory client against the sandboxed server)."""

from __future__ import annotations

import json
from typing import Any

import anyio
from mcp import Client
from mcp.types import CallToolResult

from agent_threads.app import build_server
from agent_threads.http import RetryPolicy
from agent_threads.sandbox import Sandbox
from agent_threads.sandbox.dataagent.data import DATA_SOURCE_KEY, INSTANCE, SAMPLE_REFS, SESSION_SALES

from ...conftest import sandbox_settings
from ...fakes import result_text as _text

SALES = f"dataagent:{INSTANCE}/{SESSION_SALES}"


async def _call(server: Any, name: str, args: dict[str, Any]) -> CallToolResult:
    with anyio.fail_after(20):
        async with Client(server) as client:
            return await client.call_tool(name, args)


async def test_list_threads_shows_the_known_instances_and_says_there_is_no_list_api(sandbox_server: Any) -> None:
    top = await _call(sandbox_server, "list_threads", {"provider": "dataagent"})
    inner = await _call(sandbox_server, "list_threads", {"provider": "dataagent", "parent": f"dataagent:{INSTANCE}"})
    assert not top.is_error and "no API that lists sessions" in _text(top)
    assert f"dataagent:{INSTANCE} · instance" in _text(top) and "(+threads)" in _text(top)
    refs = [t["ref"] for t in (inner.structured_content or {})["threads"]]
    assert sorted(refs) == sorted(r for r in SAMPLE_REFS if f":{INSTANCE}/" in r)


async def test_a_session_reads_as_a_compact_transcript_with_plan_reasoning_and_feedback(sandbox_server: Any) -> None:
    result = await _call(sandbox_server, "get_thread_messages", {"thread": SALES})
    text = _text(result)
    assert not result.is_error and text.splitlines()[0] == "thread: idle"  # its title is its first question, read once
    assert "#3 user: Which 5 products had the highest revenue in Q3 2025?" in text
    assert "2. Query the orders table: SQL error: column orders.revenue does not exist [failed]" in text
    assert "\n » thinking: Revenue is not a column" in text and "\n » feedback [positive]" in text
    assert "\n » error reply QueryTimeout: the query ran longer than 60s" in text and text.endswith("end of thread")


async def test_context_secrets_are_masked_in_text_and_structured_output_even_in_full_detail(
    sandbox_server: Any,
) -> None:
    for detail in ("compact", "full"):
        for fmt in ("text", "json"):  # the transcript is in the text for one, in structuredContent for the other
            args = {"thread": SALES, "detail": detail, "format": fmt}
            result = await _call(sandbox_server, "get_thread_messages", args)
            dumped = result.model_dump_json()
            assert DATA_SOURCE_KEY not in dumped and "sbx-db-password-42" not in dumped
    context = (result.structured_content or {})["messages"][0]["vendor"]["Context"]
    assert json.dumps(context).count("key=***") == 1


async def test_stream_chat_on_an_instance_returns_the_new_sessions_ref_as_its_thread_to_continue_with(
    sandbox_server: Any,
) -> None:
    async with Client(sandbox_server) as client:
        with anyio.fail_after(20):
            first = await client.call_tool(
                "stream_chat", {"thread": f"dataagent:{INSTANCE}", "message": "Average order value?"}
            )
            new_ref = (first.structured_content or {})["thread"]
            second = await client.call_tool(
                "stream_chat",
                {"thread": new_ref, "message": "And last month?", "checkpoint": first.structured_content["checkpoint"]},
            )
            listed = await client.call_tool(
                "list_threads", {"provider": "dataagent", "parent": f"dataagent:{INSTANCE}"}
            )
            page = await client.call_tool("get_thread_messages", {"thread": new_ref, "format": "json"})
    assert not first.is_error and "turn ended (end_turn)" in _text(first) and "checkpoint: " in _text(first)
    assert new_ref.startswith(f"dataagent:{INSTANCE}/") and new_ref != f"dataagent:{INSTANCE}"
    assert _text(first).startswith(
        f"{new_ref} · live turn"
    ) and f"continue this conversation with thread {new_ref}" in _text(first)
    assert not second.is_error, _text(second)
    assert "#1 user: And last month?" in _text(second)
    assert new_ref in _text(listed) and "Average order value?" in _text(listed)
    assert [m["role"] for m in (page.structured_content or {})["messages"]] == ["user", "assistant"] * 2


async def test_an_unknown_session_is_a_tool_error_with_the_code_and_request_id(sandbox_server: Any) -> None:
    result = await _call(sandbox_server, "get_thread_messages", {"thread": f"dataagent:{INSTANCE}/nope"})
    assert result.is_error and "ResourceNotFound" in _text(result) and "request id" in _text(result)


async def test_a_wrong_key_is_a_tool_error_naming_the_masked_secret_id_only(
    sandbox: Sandbox, fast_retries: RetryPolicy
) -> None:
    server = build_server(sandbox_settings(sandbox, TENCENTCLOUD_SECRET_KEY="not-the-right-key"), fast_retries)
    result = await _call(server, "get_thread_messages", {"thread": SALES})
    sid = sandbox.ctx.creds.tencent_secret_id
    text = _text(result)
    assert result.is_error and "AuthFailure.SignatureFailure" in text and f"{sid[:4]}…{sid[-4:]}" in text
    assert "not-the-right-key" not in text
