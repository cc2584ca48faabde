"""``agent-threads-mcp demo``: start the sandboxed server as a subprocess, talk to it over stdio as a real MCP
client would, and print what each read tool returns for every provider the sandbox serves."""

from __future__ import annotations

import sys
from typing import Any

from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult, TextContent


def _text(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


def _show(title: str, result: CallToolResult) -> None:
    sys.stdout.write(f"\n=== {title}{'  [error]' if result.is_error else ''}\n{_text(result)}\n")


async def _first_thread(client: Client, provider: str) -> str | None:
    listing = await client.call_tool("list_threads", {"provider": provider, "limit": 5})
    _show(f"list_threads(provider={provider!r})", listing)
    threads: list[dict[str, Any]] = (listing.structured_content or {}).get("threads", [])
    if not threads:
        return None
    ref = str(threads[0]["ref"])
    if threads[0].get("children"):
        inner = await client.call_tool("list_threads", {"provider": provider, "parent": ref, "limit": 5})
        _show(f"list_threads(provider={provider!r}, parent={ref!r})", inner)
        children: list[dict[str, Any]] = (inner.structured_content or {}).get("threads", [])
        ref = str(children[0]["ref"]) if children else ref
    return ref


async def run_demo() -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "agent_threads", "--sandbox"])
    async with Client(params) as client:
        providers = await client.call_tool("list_providers", {})
        _show("list_providers()", providers)
        for info in (providers.structured_content or {}).get("providers", []):
            ref = await _first_thread(client, info["id"])
            if ref:
                page = await client.call_tool(
                    "get_thread_messages", {"thread": ref, "limit": 12, "budget_tokens": 1500}
                )
                _show(f"get_thread_messages(thread={ref!r})", page)
    sys.stdout.write(
        "\nEvery call above went over stdio to `agent-threads-mcp --sandbox`. "
        "Plug it into Claude Desktop: see README.\n"
    )
