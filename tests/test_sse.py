from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_threads import sse
from agent_threads.errors import ProtocolError

FRAMES = (
    ": heartbeat\r\n\r\n"
    'id: evt_1\nevent: agent.message\ndata: {"text": "你好, wörld"}\n\n'
    "event: ping\ndata: {}\n\n"
    "id: evt_2\r\nevent: event_delta\r\ndata: line one\r\ndata: line two\r\n\r\n"
    "id: evt_3\revent: done\rdata: [DONE]\r\r"
).encode()


def _response(chunks: list[bytes], content_type: str = "text/event-stream") -> httpx.Response:
    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    return httpx.Response(200, headers={"content-type": content_type}, content=body())


async def _collect(chunks: list[bytes]) -> list[tuple[str, str, str]]:
    return [(e.id, e.event, e.data) async for e in sse.events(_response(chunks), provider="t")]


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)]) if b > a]


async def test_events_are_parsed_and_pings_and_comments_skipped() -> None:
    assert await _collect([FRAMES]) == [
        ("evt_1", "agent.message", '{"text": "你好, wörld"}'),
        ("evt_2", "event_delta", "line one\nline two"),
        ("evt_3", "done", "[DONE]"),
    ]


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=len(FRAMES)), max_size=40))
async def test_any_chunking_even_inside_utf8_characters_and_crlf_yields_the_same_events(cuts: list[int]) -> None:
    assert await _collect(_split(FRAMES, cuts)) == await _collect([FRAMES])


async def test_a_reply_that_is_not_an_event_stream_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        async for _ in sse.events(_response([b'{"error": 1}'], "application/json"), provider="t"):
            pass


async def test_an_event_stream_reply_passes_the_content_type_check() -> None:
    def never(response: httpx.Response) -> None:
        raise AssertionError("an event stream needs no error check")

    await sse.expect_event_stream(_response([FRAMES]), provider="x", check=never, what="GET /stream")


async def test_a_json_reply_where_a_stream_was_asked_raises_the_error_its_body_holds() -> None:
    class Refused(Exception):
        pass

    def check(response: httpx.Response) -> None:
        if response.json().get("Success") is False:
            raise Refused

    with pytest.raises(Refused):
        await sse.expect_event_stream(
            _response([b'{"Success": false}'], "application/json"), provider="x", check=check, what="GetChatContent"
        )


async def test_a_reply_that_is_neither_a_stream_nor_an_error_is_a_protocol_error_naming_the_call() -> None:
    with pytest.raises(ProtocolError) as caught:
        await sse.expect_event_stream(
            _response([b"<html>hi</html>"], "text/html"), provider="x", check=lambda r: None, what="ChatAI"
        )
    assert caught.value.message == "ChatAI did not answer with an event stream"
