"""Streamable HTTP: the real command in a subprocess, talked to with the SDK's HTTP client over loopback."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import Process
from mcp import Client

from agent_threads.tools import TITLES

CURSOR_KEY = "test-replicas-share-this-cursor-key"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _wait_for_port(port: int, process: Process, log: Path) -> None:
    with anyio.fail_after(60):
        while True:
            if process.returncode is not None:
                pytest.fail(f"the server exited ({process.returncode}):\n{log.read_text()[-3000:]}")
            try:
                stream = await anyio.connect_tcp("127.0.0.1", port)
            except OSError:
                await anyio.sleep(0.05)
                continue
            await stream.aclose()
            return


@asynccontextmanager
async def http_server(tmp_path: Path, *flags: str, **env: str) -> AsyncIterator[str]:
    """``agent-threads-mcp --sandbox --transport http`` on a free port; yields its URL, kills it afterwards."""
    port = _free_port()
    log = tmp_path / f"server-{port}.log"
    command = [sys.executable, "-m", "agent_threads", "--sandbox", "--transport", "http", "--port", str(port), *flags]
    with log.open("wb") as stderr:
        process = await anyio.open_process(command, stdin=None, stdout=stderr, stderr=stderr, env={**os.environ, **env})
        try:
            await _wait_for_port(port, process, log)
            yield f"http://127.0.0.1:{port}/mcp"
        finally:
            process.terminate()
            with anyio.move_on_after(10):
                await process.wait()
            if process.returncode is None:
                process.kill()
                await process.wait()


async def _a_thread(client: Client) -> tuple[str, str]:
    """A provider and a thread ref, found through the tools."""
    providers = (await client.call_tool("list_providers", {})).structured_content["providers"]
    if not providers:
        pytest.skip("the sandbox serves no provider yet")
    for provider in (p["id"] for p in providers):
        for entry in (await client.call_tool("list_threads", {"provider": provider})).structured_content["threads"]:
            if not entry.get("children"):
                return provider, entry["ref"]
            inner = await client.call_tool("list_threads", {"provider": provider, "parent": entry["ref"]})
            if inner.structured_content["threads"]:
                return provider, inner.structured_content["threads"][0]["ref"]
    pytest.skip("no sandbox thread found")


async def _page(client: Client, ref: str, cursor: str | None = None) -> dict[str, Any]:
    args = {"thread": ref, "limit": 2, "cursor": cursor, "format": "json"}
    result = await client.call_tool("get_thread_messages", args)
    assert not result.is_error, result.content
    return result.structured_content


async def test_the_http_transport_serves_every_read_tool(tmp_path: Path) -> None:
    async with http_server(tmp_path, AGENT_THREADS_CURSOR_KEY=CURSOR_KEY) as url, Client(url) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        _, ref = await _a_thread(client)
        page = await _page(client, ref)
    assert names == set(TITLES)
    assert page["thread"] == ref and page["messages"]


async def test_replicas_sharing_a_cursor_key_continue_each_others_cursors(tmp_path: Path) -> None:
    async with (
        http_server(tmp_path, AGENT_THREADS_CURSOR_KEY=CURSOR_KEY) as first,
        http_server(tmp_path, AGENT_THREADS_CURSOR_KEY=CURSOR_KEY) as second,
    ):
        async with Client(first) as client:
            _, ref = await _a_thread(client)
            page = await _page(client, ref)
        if page.get("next_cursor") is None:
            pytest.skip(f"{ref} fits on one page")
        async with Client(second) as other:
            following = await _page(other, ref, page["next_cursor"])
    assert following["messages"][0]["seq"] == page["messages"][-1]["seq"] + 1


async def test_each_request_stands_alone_so_a_new_connection_needs_no_session(tmp_path: Path) -> None:
    async with http_server(tmp_path, AGENT_THREADS_CURSOR_KEY=CURSOR_KEY) as url:
        async with Client(url) as client:
            _, ref = await _a_thread(client)
            page = await _page(client, ref)
        async with Client(url) as fresh:
            again = await _page(fresh, ref)
    assert again["messages"] == page["messages"]


async def test_read_only_over_http_refuses_to_send(tmp_path: Path) -> None:
    async with http_server(tmp_path, "--read-only", AGENT_THREADS_CURSOR_KEY=CURSOR_KEY) as url, Client(url) as client:
        _, ref = await _a_thread(client)
        tools = {t.name: t for t in (await client.list_tools()).tools}
        refused = await client.call_tool("stream_chat", {"thread": ref, "message": "hello", "timeout_s": 5})
    annotations = tools["stream_chat"].annotations
    assert annotations is not None and annotations.read_only_hint is True
    assert refused.is_error and "read-only" in refused.content[0].text  # type: ignore[union-attr]
