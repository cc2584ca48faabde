"""The server as a subprocess, through a real stdio client."""

from __future__ import annotations

import sys

import anyio
from mcp import Client, StdioServerParameters

from agent_threads.tools import TITLES


async def test_the_sandboxed_server_answers_every_read_tool_over_stdio() -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "agent_threads", "--sandbox"])
    with anyio.fail_after(60):
        async with Client(params) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            providers = await client.call_tool("list_providers", {})
            for info in providers.structured_content["providers"]:
                listing = await client.call_tool("list_threads", {"provider": info["id"], "limit": 2})
                assert not listing.is_error, listing.content
    assert names == set(TITLES)
    assert not providers.is_error
