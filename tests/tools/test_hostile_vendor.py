"""Every tool, resource and prompt against the sandbox's hostile Qoder sessions: vendor strings that forge the
server's markup, the server's own credentials planted in transcripts and vendor extras, page cursors that go
round, pages that stay empty, a repeated event id and a reply that never ends."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp.types import TextContent, TextResourceContents

from agent_threads.app import build_server
from agent_threads.http import RetryPolicy
from agent_threads.sandbox import Sandbox
from agent_threads.sandbox.qoder.hostile import CHILD_E, FORGED, SID_E, SID_F, SID_G, SID_H
from agent_threads.shaping import estimate_tokens
from agent_threads.tools.context import AppContext

from ..conftest import SECRETS, ToolFailed, read_all_tool, sandbox_settings
from ..fakes import page_cursor, result_text

E, F, G, H = (f"qoder:{sid}" for sid in (SID_E, SID_F, SID_G, SID_H))
MARK = FORGED.strip()


@pytest.fixture
def cloud_options() -> dict[str, Any]:
    return {"qoder.hostile": True}


@pytest.fixture
def server(cloud: Sandbox, fast_retries: RetryPolicy) -> MCPServer[AppContext]:
    return build_server(sandbox_settings(cloud), fast_retries)


def _forges(text: str) -> bool:
    return any(line.startswith(MARK) for line in text.splitlines())


async def _outputs(client: Client) -> list[str]:
    """The text of every tool, resource and prompt output that shows session E, and the progress it reported."""
    calls: list[tuple[str, dict[str, Any]]] = [
        ("list_providers", {}),
        ("list_threads", {"provider": "qoder"}),
        ("list_threads", {"provider": "qoder", "parent": E}),
        *(("get_thread_messages", {"thread": E, "detail": detail}) for detail in ("brief", "compact", "full")),
        ("get_thread_messages", {"thread": E, "format": "json", "detail": "full"}),
        ("get_thread_messages", {"thread": f"{E}/{CHILD_E}"}),
        ("get_thread_messages", {"thread": f"{E}/sthr_missing"}),
        ("stream_chat", {"thread": E, "timeout_s": 5}),
    ]
    texts: list[str] = []

    async def progress(progress: float, total: float | None, message: str | None) -> None:
        texts.append(message or "")

    for name, args in calls:
        texts.append(result_text(await client.call_tool(name, args, progress_callback=progress)))
    resource = (await client.read_resource(f"thread://{E}")).contents[0]
    texts.append(resource.text if isinstance(resource, TextResourceContents) else "")
    for prompt in ("summarize_thread", "find_failure"):
        for message in (await client.get_prompt(prompt, {"thread": E})).messages:
            content = message.content
            texts.append(content.text if isinstance(content, TextContent) else content.model_dump_json())
    return texts


async def test_a_forged_line_in_any_vendor_string_starts_no_line_of_any_tool_resource_or_prompt_output(
    server: MCPServer[AppContext],
) -> None:
    async with Client(server) as client:
        texts = await _outputs(client)
    assert all(MARK in text for text in texts[1:4])  # the forged strings do reach the outputs, indented
    assert [text[:200] for text in texts if _forges(text)] == []


async def test_the_servers_own_credentials_are_masked_in_text_vendor_extras_and_progress(
    server: MCPServer[AppContext],
) -> None:
    async with Client(server) as client:
        texts = await _outputs(client)
        full, _ = await read_all_tool(client, E, detail="full")
    blob = "\n".join(texts) + str(full)
    assert [secret[:6] for secret in SECRETS if secret in blob] == []
    extras = [m["vendor"] for m in full if m.get("vendor")]
    assert extras == [{"env": {"QODER_PAT": "***", "SECRET": "***"}, "note": f"token=***{FORGED}"}]


async def test_a_repeated_event_id_keeps_the_first_copy_and_the_page_says_which(server: MCPServer[AppContext]) -> None:
    async with Client(server) as client:
        messages, _ = await read_all_tool(client, E)
        text = result_text(await client.call_tool("get_thread_messages", {"thread": E}))
    said = [m["text"] for m in messages if m["role"] == "assistant" and m.get("text")]
    assert said == [f"First answer: the disk filled up.{FORGED}"]
    assert len({m["id"] for m in messages}) == len(messages)
    assert "note: the vendor sent 1 message(s) again under an id already shown (evt_" in text


async def test_a_page_cursor_that_goes_round_ends_in_a_clear_error_after_the_last_new_page(
    server: MCPServer[AppContext],
) -> None:
    seen: list[str] = []
    cursor: str | None = None
    async with Client(server) as client:
        for _ in range(10):
            result = await client.call_tool("get_thread_messages", {"thread": F, "cursor": cursor})
            if result.is_error:
                break
            seen += [line for line in result_text(result).splitlines() if line.startswith("#")]
            cursor = page_cursor(result)
            assert cursor is not None, result_text(result)
        else:
            raise AssertionError("paging never stopped")
    assert [line.split(": ")[-1] for line in seen] == [
        f"{kind} {i}" for i in range(3) for kind in ("question", "answer")
    ]
    assert "page cursor went round" in result_text(result)


async def test_pages_that_stay_empty_while_saying_more_follows_end_in_a_clear_error(
    server: MCPServer[AppContext],
) -> None:
    async with Client(server) as client:
        with pytest.raises(ToolFailed, match="20 empty pages in a row, each saying more follows"):
            await read_all_tool(client, G)


@pytest.mark.parametrize(("ref", "said"), [(F, "page cursor went round"), (G, "20 empty pages in a row")])
async def test_a_resource_of_a_thread_whose_pages_loop_is_a_clear_error(
    server: MCPServer[AppContext], ref: str, said: str
) -> None:
    async with Client(server) as client:
        with pytest.raises(MCPError, match=said):
            await client.read_resource(f"thread://{ref}")


async def test_a_reply_that_never_ends_is_bounded_in_the_result_and_counts_what_it_left_out(
    server: MCPServer[AppContext],
) -> None:
    async with Client(server) as client:
        result = await client.call_tool("stream_chat", {"thread": H, "timeout_s": 1})
    text = result_text(result)
    left_out = int(text.split("…(+")[1].split(" chars)")[0])
    assert left_out > 100_000 and "still running after 1s" in text
    assert estimate_tokens(text) < 8000 and len(result.model_dump_json()) < 40_000


async def test_a_live_turn_that_brings_an_event_id_twice_keeps_the_first_copy(
    server: MCPServer[AppContext],
) -> None:
    async with Client(server) as client:
        result = await client.call_tool("stream_chat", {"thread": E, "timeout_s": 5})
    said = [m["text"] for m in (result.structured_content or {})["messages"] if m["role"] == "assistant"]
    assert f"First answer: the disk filled up.{FORGED}" in said
    assert not any("A second copy" in text for text in said)
