"""Event streams are bounded: idle ones are closed, at most so many are open, draining closes them all, and a
flood of idle streams leaves tool calls answering."""

from __future__ import annotations

import sys
from contextlib import AsyncExitStack
from pathlib import Path

import anyio
import httpx
import pytest

from agent_threads.sandbox import Sandbox
from agent_threads.serve import ServiceOptions

from .conftest import MCP_HEADERS, TOOLS_LIST, clean_env, mcp_client, sandbox_service, server_process

EVENT_STREAM = {"accept": "text/event-stream"}
UNLIMITED = httpx.Limits(max_connections=None, max_keepalive_connections=None)


async def _open_streams(stack: AsyncExitStack, http: httpx.AsyncClient, url: str, n: int) -> list[httpx.Response]:
    responses: list[httpx.Response] = []

    async def open_one() -> None:
        responses.append(await stack.enter_async_context(http.stream("GET", url, headers=EVENT_STREAM)))

    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(open_one)
    return responses


async def test_an_idle_event_stream_is_closed_after_the_idle_bound(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    options = ServiceOptions(port=0, idle_stream_timeout=0.3)
    async with sandbox_service(sandbox, options) as (_, base), httpx.AsyncClient(timeout=30) as http:
        with anyio.fail_after(10):
            async with http.stream("GET", f"{base}/mcp", headers=EVENT_STREAM) as stream:
                body = b"".join([chunk async for chunk in stream.aiter_bytes()])
    assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
    assert b"data:" not in body
    lines = [r.getMessage() for r in caplog.records if r.name == "agent_threads.access"]
    assert any(line.startswith("GET /mcp rpc=- tool=- status=200") and line.endswith("closed=idle") for line in lines)


async def test_streams_beyond_the_cap_are_refused_and_tool_calls_still_answer(sandbox: Sandbox) -> None:
    options = ServiceOptions(port=0, max_streams=3)
    async with sandbox_service(sandbox, options) as (service, base), AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=30, limits=UNLIMITED))
        with anyio.fail_after(10):
            held = await _open_streams(stack, http, f"{base}/mcp", 3)
            refused = await http.get(f"{base}/mcp", headers=EVENT_STREAM)
            async with mcp_client(base, token=None) as client:
                result = await client.call_tool("list_providers", {})
        assert service.app.streams.open == 3
    assert [r.status_code for r in held] == [200, 200, 200]
    assert refused.status_code == 503 and refused.headers["retry-after"] and refused.headers["connection"] == "close"
    assert not result.is_error


async def test_a_subscriptions_listen_request_counts_as_an_event_stream(sandbox: Sandbox) -> None:
    listen = b'{"jsonrpc":"2.0","id":1,"method":"subscriptions/listen","params":{}}'
    async with (
        sandbox_service(sandbox, ServiceOptions(port=0, max_streams=0)) as (_, base),
        httpx.AsyncClient() as http,
    ):
        refused = await http.post(f"{base}/mcp", content=listen, headers=MCP_HEADERS)
        answered = await http.post(f"{base}/mcp", content=TOOLS_LIST, headers=MCP_HEADERS)
    assert refused.status_code == 503
    assert answered.status_code == 200


async def test_draining_closes_open_event_streams_at_once_and_refuses_new_ones(sandbox: Sandbox) -> None:
    options = ServiceOptions(port=0, drain_timeout=30)
    async with sandbox_service(sandbox, options) as (service, base), httpx.AsyncClient(timeout=30) as http:
        async with http.stream("GET", f"{base}/mcp", headers=EVENT_STREAM) as stream:
            service.stop()
            with anyio.fail_after(5):  # far below the drain timeout: nothing waits for an idle stream
                async for _ in stream.aiter_bytes():
                    pass
        assert service.app.streams.open == 0 and service.app.streams.closing


FEW_FILE_DESCRIPTORS = (
    sys.executable,
    "-c",
    "import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_NOFILE, (160, 160)); "
    "sys.argv[0] = 'agent-threads-mcp'; runpy.run_module('agent_threads', run_name='__main__')",
)
"""The server under a limit of 160 open files."""


async def test_a_flood_of_idle_streams_cannot_starve_a_tool_call(tmp_path: Path) -> None:
    """With 160 file descriptors, 300 idle streams held open would leave none for a tool call's connection."""
    env = clean_env(tmp_path)
    async with (
        server_process("--sandbox", env=env, launcher=FEW_FILE_DESCRIPTORS) as server,
        AsyncExitStack() as stack,
    ):
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=30, limits=UNLIMITED))
        with anyio.fail_after(60):
            streams = await _open_streams(stack, http, f"{server.url}/mcp", 300)
        with anyio.fail_after(20):
            async with mcp_client(server.url, token=None) as client:
                result = await client.call_tool("list_providers", {})
    assert not result.is_error
    assert sum(r.status_code == 200 for r in streams) == 32
    assert sum(r.status_code == 503 for r in streams) == 268
