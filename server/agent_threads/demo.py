"""``agent-threads-mcp demo``: start the sandboxed server as a subprocess, talk to it over stdio as a real MCP
client would, and print what the tools, a resource and a prompt return.

The tour is data: ``TOUR`` lists what is shown on one sample thread after the per-provider listing, so showing
one more tool, resource or prompt is one more entry."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult, EmbeddedResource, GetPromptResult, ReadResourceResult, TextContent

from .resources import thread_uri

OPENING = (
    "agent-threads-mcp demo: the server on its built-in sandbox cloud (sample agents of all five vendors, "
    "no account, nothing leaves this machine), driven over stdio by a real MCP client; below, what each provider's "
    "threads look like, then a search across all of them (search_threads), failures grouped by cause "
    "(find_failures), a live turn (stream_chat), a thread as a resource and a prompt."
)
MAX_LINES = 30


@dataclass(frozen=True)
class Show:
    """One call of the tour on the sample thread: a tool, a resource (its URI template) or a prompt."""

    kind: Literal["tool", "resource", "prompt"]
    name: str
    arguments: Callable[[str], dict[str, Any]] = lambda ref: {"thread": ref}


TOUR: tuple[Show, ...] = (
    Show("tool", "search_threads", lambda ref: {"query": "扩容", "budget_tokens": 1500}),
    Show("tool", "find_failures", lambda ref: {"limit": 4, "budget_tokens": 1500}),
    Show("tool", "stream_chat", lambda ref: {"thread": ref, "timeout_s": 10}),
    Show("resource", "thread://{+ref}"),
    Show("prompt", "find_failure"),
)


def _show(title: str, text: str, *, error: bool = False) -> None:
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        lines = [*lines[:MAX_LINES], f"… (+{len(lines) - MAX_LINES} lines)"]
    sys.stdout.write(f"\n=== {title}{'  [error]' if error else ''}\n" + "\n".join(lines) + "\n")


def _tool_text(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


def _resource_text(result: ReadResourceResult) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.contents)


def _prompt_text(result: GetPromptResult) -> str:
    blocks = [m.content for m in result.messages]
    return "\n".join(
        b.text if isinstance(b, TextContent) else _resource_text(ReadResourceResult(contents=[b.resource]))
        for b in blocks
        if isinstance(b, (TextContent, EmbeddedResource))
    )


async def _tool(client: Client, title: str, name: str, arguments: dict[str, Any]) -> CallToolResult:
    result = await client.call_tool(name, arguments)
    _show(title, _tool_text(result), error=result.is_error)
    return result


async def _first_thread(client: Client, provider: str) -> str | None:
    listing = await _tool(client, f"list_threads(provider={provider!r})", "list_threads", {"provider": provider})
    threads: list[dict[str, Any]] = (listing.structured_content or {}).get("threads", [])
    if not threads:
        return None
    ref = str(threads[0]["ref"])
    if threads[0].get("children"):
        arguments = {"provider": provider, "parent": ref, "limit": 5}
        inner = await _tool(client, f"list_threads(provider={provider!r}, parent={ref!r})", "list_threads", arguments)
        children: list[dict[str, Any]] = (inner.structured_content or {}).get("threads", [])
        ref = str(children[0]["ref"]) if children else ref
    return ref


async def _tour(client: Client, ref: str) -> None:
    for show in TOUR:
        arguments = show.arguments(ref)
        if show.kind == "tool":
            await _tool(
                client, f"{show.name}({', '.join(f'{k}={v!r}' for k, v in arguments.items())})", show.name, arguments
            )
        elif show.kind == "resource":
            uri = thread_uri(ref)
            _show(f"resources/read {uri}", _resource_text(await client.read_resource(uri)))
        else:
            prompt = await client.get_prompt(show.name, {k: str(v) for k, v in arguments.items()})
            _show(f"prompts/get {show.name}(thread={ref!r})", _prompt_text(prompt))


async def run_demo() -> None:
    sys.stdout.write(OPENING + "\n")
    params = StdioServerParameters(command=sys.executable, args=["-m", "agent_threads", "--sandbox"])
    async with Client(params) as client:
        providers = await _tool(client, "list_providers()", "list_providers", {})
        sample: str | None = None
        for info in (providers.structured_content or {}).get("providers", []):
            ref = await _first_thread(client, info["id"])
            if ref:
                arguments = {"thread": ref, "limit": 12, "budget_tokens": 1500}
                await _tool(client, f"get_thread_messages(thread={ref!r})", "get_thread_messages", arguments)
                sample = sample or ref
        if sample:
            await _tour(client, sample)
    sys.stdout.write(
        "\nEvery call above went over stdio to `agent-threads-mcp --sandbox`. "
        "Plug it into Claude Desktop: see README.\n"
    )
