from __future__ import annotations

import anyio
from mcp import Client

from ..fakes import FakeProvider, fake_server, reply_events
from ..fakes import result_text as _text


async def test_stream_chat_sends_reports_progress_and_returns_the_assembled_turn() -> None:
    fake = FakeProvider(stream_events=reply_events("Hello world"))
    reports: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        reports.append(message or "")

    async with Client(fake_server(fake)) as client:
        with anyio.fail_after(5):
            result = await client.call_tool(
                "stream_chat", {"thread": "qoder:s/t", "message": "hi"}, progress_callback=on_progress
            )
    assert not result.is_error, _text(result)
    assert fake.sent == ["hi"]
    assert reports and reports[0].startswith("assistant: Hello")
    assert result.structured_content["ended"] is True and result.structured_content["stop_reason"] == "end_turn"
    assert result.structured_content["messages"][0]["text"] == "Hello world"
    assert "turn ended (end_turn)" in _text(result)


async def test_a_read_only_server_offers_no_message_and_refuses_one_sent_anyway() -> None:
    fake = FakeProvider(stream_events=reply_events())
    async with Client(fake_server(fake, read_only=True)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        result = await client.call_tool("stream_chat", {"thread": "qoder:s/t", "message": "hi"})
        followed = await client.call_tool("stream_chat", {"thread": "qoder:s/t"})
    assert "message" not in tools["stream_chat"].input_schema["properties"]
    annotations = tools["stream_chat"].annotations
    assert annotations is not None and annotations.read_only_hint is True
    assert result.is_error and "read-only" in _text(result) and fake.sent == []
    assert not followed.is_error
