"""The output budget bounds everything a call returns (text and structuredContent alike): vendor error text,
``detail="full"`` parts and vendor extras, long titles in a listing, a live turn's result, a resource. What does
not fit is a cursor or checkpoint away, never silently dropped."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, TextResourceContents

from agent_threads.app import build_server
from agent_threads.http import RetryPolicy
from agent_threads.render import untrusted
from agent_threads.sandbox import Sandbox
from agent_threads.sandbox.qoder.hostile import BIG_RESULT, SID_E
from agent_threads.shaping import estimate_tokens
from agent_threads.tools.context import AppContext
from agent_threads.transcript import Mark, Message, MessageDone, ThreadEntry, TurnEnd

from .conftest import sandbox_settings
from .fakes import T0, FakeProvider, fake_server, page_cursor, result_text

E = f"qoder:{SID_E}"


@pytest.fixture
def cloud_options() -> dict[str, Any]:
    return {"qoder.hostile": True, "qoder.big_thread_events": 3000}


@pytest.fixture
def server(cloud: Sandbox, fast_retries: RetryPolicy) -> MCPServer[AppContext]:
    return build_server(sandbox_settings(cloud), fast_retries)


def _joined(pages: str, head: str) -> str:
    """The pieces of one message's line, shown over several pages, put back together."""
    pieces: list[str] = []
    for block in pages.split(head)[1:]:
        body = block.removeprefix("(continued) ").split("\n#")[0].split("\nnext_cursor: ")[0]
        pieces.append(body.split("…[continued on the next page]")[0])
    return "".join(pieces)


def _size(result: CallToolResult) -> int:
    """Estimated tokens of all a tool call returns: its text and its structured content."""
    return estimate_tokens(result_text(result)) + estimate_tokens(json.dumps(result.structured_content or {}))


async def test_a_vendor_error_of_any_length_reaches_the_model_bounded_and_marked(server: MCPServer[AppContext]) -> None:
    async with Client(server) as client:
        result = await client.call_tool("get_thread_messages", {"thread": f"{E}/sthr_missing", "budget_tokens": 500})
    text = result_text(result)
    assert result.is_error and "not found" in text and text.rstrip(")").endswith("chars")
    assert estimate_tokens(text) <= 550


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_detail_full_pages_stay_within_the_budget_even_for_a_200_kb_tool_result(
    server: MCPServer[AppContext], fmt: str
) -> None:
    args = {"thread": E, "detail": "full", "budget_tokens": 2000, "format": fmt}
    cursor, shown = None, ""
    async with Client(server) as client:
        for _ in range(200):
            result = await client.call_tool("get_thread_messages", {**args, "cursor": cursor})
            assert not result.is_error and _size(result) <= 2000
            shown += result_text(result) + json.dumps(result.structured_content)
            cursor = page_cursor(result) if fmt == "text" else (result.structured_content or {}).get("next_cursor")
            if cursor is None:
                break
    assert cursor is None
    if fmt == "text":  # the result comes whole, in pieces, each continued by the next page
        assert untrusted(BIG_RESULT).strip() in _joined(shown, "#4 ")
    else:  # JSON cannot be cut inside a value: it is shortened to fit, and says by how much
        assert "row 3999" not in shown and "chars)" in shown


async def test_a_listing_with_long_titles_and_extras_is_cut_at_the_budget_and_its_cursor_goes_on() -> None:
    fake = FakeProvider(threads={f"qoder:s{i:03d}": [] for i in range(100)})

    async def listing(parent: Any, state: Any, limit: int) -> Any:
        page = await FakeProvider.list_threads(fake, parent, state, limit)
        page.threads = [ThreadEntry(ref=t.ref, title="T" * 20_000, vendor={"blob": "v" * 20_000}) for t in page.threads]
        return page

    fake.list_threads = listing  # type: ignore[method-assign]
    refs: list[str] = []
    cursor = None
    async with Client(fake_server(fake)) as client:
        for _ in range(100):
            result = await client.call_tool("list_threads", {"provider": "qoder", "limit": 100, "cursor": cursor})
            assert _size(result) <= 8000
            refs += [t["ref"] for t in (result.structured_content or {})["threads"]]
            cursor = (result.structured_content or {}).get("next_cursor")
            if cursor is None:
                assert "…(+19700 chars)" in result_text(result)
                break
    assert refs == [f"qoder:s{i:03d}" for i in range(100)]


async def test_a_long_live_turn_returns_its_latest_messages_within_the_budget_and_names_the_rest() -> None:
    done = [
        MessageDone(Message(id=f"m{i}", role="assistant", text=f"step {i} " + "z" * 1500, time=T0)) for i in range(300)
    ]
    fake = FakeProvider(stream_events=[*done, Mark("c1"), TurnEnd("end_turn", "c1")])
    async with Client(fake_server(fake)) as client:
        result = await client.call_tool("stream_chat", {"thread": "qoder:s/t", "timeout_s": 5})
    text = result_text(result)
    shown = [m["text"][:8] for m in (result.structured_content or {})["messages"]]
    assert _size(result) <= 8000 and shown[-1] == "step 299" and len(shown) < 300
    assert f"[{300 - len(shown)} earlier messages of this turn left out at the output budget: " in text
    assert "get_thread_messages(thread='qoder:s/t', since='2026-05-18T03:40:00Z') reads them]" in text


async def test_a_resource_is_bounded_heading_and_all(server: MCPServer[AppContext]) -> None:
    async with Client(server) as client:
        for ref in (E, "qoder:sess_019e0000000000000000000000000d01"):
            contents = (await client.read_resource(f"thread://{ref}")).contents[0]
            assert isinstance(contents, TextResourceContents)
            assert estimate_tokens(contents.text) <= 16_000
    assert "cursor=" in contents.text  # the long thread says where get_thread_messages goes on


async def test_vendor_extras_in_json_are_bounded_too() -> None:
    message = Message(id="x", role="assistant", text="hi", vendor={"blob": "v" * 200_000}, time=T0)
    async with Client(fake_server(FakeProvider(threads={"qoder:s/t": [message]}))) as client:
        args = {"thread": "qoder:s/t", "format": "json", "detail": "full", "budget_tokens": 1000}
        result = await client.call_tool("get_thread_messages", args)
    vendor = (result.structured_content or {})["messages"][0]["vendor"]
    assert _size(result) <= 1000 and vendor["cut"].endswith("chars)")
