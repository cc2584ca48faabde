"""The MCP tools over the CMS / STAROps providers, end to end: in-memory client → server → sandbox on loopback."""

from __future__ import annotations

from typing import Any

import anyio
from mcp import Client

from agent_threads.sandbox import Sandbox

from ...fakes import result_text as _text


async def _call(client: Client, tool: str, **args: Any) -> Any:
    with anyio.fail_after(15):
        return await client.call_tool(tool, args)


async def test_list_providers_offers_both_products_with_their_endpoints(sandbox_server: Any, sandbox: Sandbox) -> None:
    async with Client(sandbox_server) as client:
        result = await _call(client, "list_providers")
    found = {p["id"]: p for p in result.structured_content["providers"]}
    assert found["cms"]["endpoint"] == sandbox.url("cms") and found["starops"]["endpoint"] == sandbox.url("starops")
    assert "can list, read, stream, send" in _text(result)


async def test_list_threads_goes_from_employees_to_their_threads(sandbox_server: Any, family: str) -> None:
    async with Client(sandbox_server) as client:
        employees = await _call(client, "list_threads", provider=family)
        threads = await _call(
            client, "list_threads", provider=family, parent=f"{family}:%E8%BF%90%E7%BB%B4%20%E5%8A%A9%E6%89%8B"
        )
    assert (
        f"{family}:sre-copilot · employee · SRE Copilot — Investigates alerts, traces and slow queries. "
        "· 2026-01-18 02:28 (+threads)" in _text(employees)
    )
    refs = [t["ref"] for t in threads.structured_content["threads"]]
    assert refs == [f"{family}:%E8%BF%90%E7%BB%B4%20%E5%8A%A9%E6%89%8B/%E4%BC%9A%E8%AF%9D%2F001"]
    assert "RDS 慢查询诊断 · failed" in _text(threads)


async def test_get_thread_messages_reads_a_compact_transcript(sandbox_server: Any, family: str) -> None:
    async with Client(sandbox_server) as client:
        result = await _call(client, "get_thread_messages", thread=f"{family}:sre-copilot/thread_id01")
    text = _text(result)
    assert not result.is_error, text
    assert text.startswith("thread: Root cause of checkout latency alert · idle\n")  # the ref is the caller's own
    assert "#1 2026-01-18 02:23 user: Why did checkout latency spike at 08:00 UTC?" in text
    intent = "confidence=high, intent=analyser, is_new_turn=true, language=en, title=Root Cause of Alert"
    assert f"\n#2 tool IntentRecognition({intent}) → intent=analyser (confidence high)\n" in text
    assert "\n#4 agent[analyser]: The slowest span is" in text
    assert "\n#6 task_finished (14.6s)\n"  # "succeeded" only says it worked in text
    assert text.endswith("end of thread")


async def test_a_failed_task_shows_as_an_error_line(sandbox_server: Any, family: str) -> None:
    async with Client(sandbox_server) as client:
        result = await _call(
            client,
            "get_thread_messages",
            thread=f"{family}:%E8%BF%90%E7%BB%B4%20%E5%8A%A9%E6%89%8B/%E4%BC%9A%E8%AF%9D%2F001",
        )
    assert "\n#3 03:28 error task_finished TASK_FAILED: Invalid task parameter — 请确认实例 ID 和地域" in _text(result)


async def test_small_pages_follow_next_cursor_to_the_end_without_repeats(sandbox_server: Any, family: str) -> None:
    seen: list[int] = []
    cursor = None
    async with Client(sandbox_server) as client:
        for _ in range(20):
            result = await _call(
                client,
                "get_thread_messages",
                thread=f"{family}:sre-copilot/thread_id01",
                limit=4,
                cursor=cursor,
                format="json",
            )
            seen += [m["seq"] for m in result.structured_content["messages"]]
            cursor = result.structured_content.get("next_cursor")
            if cursor is None:
                break
    assert seen == list(range(1, 11))


async def test_stream_chat_sends_and_returns_the_finished_turn(sandbox_server: Any, family: str) -> None:
    async with Client(sandbox_server) as client:
        result = await _call(
            client, "stream_chat", thread=f"{family}:report-bot/weekly-2026-03", message="How is the SLO?", timeout_s=10
        )
    text = _text(result)
    assert result.structured_content["ended"] is True and result.structured_content["checkpoint"]
    assert "matches 3 runbooks" in text and "turn ended (completed)" in text


async def test_an_unknown_thread_is_a_tool_error_that_says_what_to_do(sandbox_server: Any, family: str) -> None:
    async with Client(sandbox_server) as client:
        result = await _call(client, "get_thread_messages", thread=f"{family}:sre-copilot/nope")
    assert result.is_error and "Thread.NotFound" in _text(result) and "list_threads" in _text(result)


async def test_a_ram_denial_is_a_tool_error_naming_the_permission(
    sandbox_server: Any, sandbox: Sandbox, family: str
) -> None:
    sandbox.ctx.options["cms.deny_actions"] = {"ListThreads"}
    async with Client(sandbox_server) as client:
        result = await _call(client, "list_threads", provider=family, parent=f"{family}:report-bot")
    assert result.is_error and f"{family}:ListThreads" in _text(result) and "Forbidden.RAM" in _text(result)
