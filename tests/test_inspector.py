"""An independent client: the MCP Inspector CLI (TypeScript SDK) against ``agent-threads-mcp --sandbox`` over stdio.

Each call starts the server afresh (~8 s with the sandbox), so calls that do not depend on each other run
side by side. Refs come from list_threads output, whatever providers the sandbox serves.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable
from typing import Any, TypeVar

import anyio
import pytest

from agent_threads.resources import thread_uri
from agent_threads.tools import TITLES

from .node import INSPECTOR, npx_or_skip, run_npx

SERVER = [sys.executable, "-m", "agent_threads", "--sandbox"]
LIMIT = anyio.CapacityLimiter(4)
T = TypeVar("T")


async def inspect(method: str, *args: str) -> dict[str, Any]:
    """One Inspector CLI call; a tool result must not be an error."""
    async with LIMIT:
        out = await run_npx(INSPECTOR, ["--cli", *SERVER, "--method", method, *args])
    result: dict[str, Any] = json.loads(out)
    assert not result.get("isError"), json.dumps(result, ensure_ascii=False)[:2000]
    return result


async def call(tool: str, **arguments: str) -> dict[str, Any]:
    pairs = [x for key, value in arguments.items() for x in ("--tool-arg", f"{key}={value}")]
    return await inspect("tools/call", "--tool-name", tool, *pairs)


async def gather(*calls: Awaitable[T]) -> list[T]:
    """Await independent calls side by side (an anyio task group); results in call order."""
    results: dict[int, T] = {}

    async def one(i: int, coro: Awaitable[T]) -> None:
        results[i] = await coro

    async with anyio.create_task_group() as tg:
        for i, coro in enumerate(calls):
            tg.start_soon(one, i, coro)
    return [results[i] for i in range(len(calls))]


async def _thread_ref(provider: str) -> str | None:
    """A readable thread of the provider: the first entry, or the first one inside it."""
    threads = (await call("list_threads", provider=provider))["structuredContent"]["threads"]
    if not threads:
        return None
    if not threads[0].get("children"):
        return str(threads[0]["ref"])
    inner = (await call("list_threads", provider=provider, parent=threads[0]["ref"]))["structuredContent"]["threads"]
    return str(inner[0]["ref"]) if inner else None


@pytest.mark.slow
async def test_the_inspector_lists_the_tools_calls_every_read_tool_and_reads_a_resource_and_a_prompt() -> None:
    npx_or_skip()
    with anyio.fail_after(600):
        listed = await inspect("tools/list")  # alone first: concurrent cold `npx --yes` installs can collide
        providers, templates = await gather(call("list_providers"), inspect("resources/templates/list"))
        ids = [p["id"] for p in providers["structuredContent"]["providers"]]
        if not ids:
            pytest.skip("the sandbox serves no provider yet")
        ref = await _thread_ref(ids[0])
        assert ref is not None, f"{ids[0]} lists no thread"
        page, resource, prompt = await gather(
            call("get_thread_messages", thread=ref, limit="5"),
            inspect("resources/read", "--uri", thread_uri(ref)),
            inspect("prompts/get", "--prompt-name", "find_failure", "--prompt-args", f"thread={ref}"),
        )
    assert {t["name"] for t in listed["tools"]} == set(TITLES)
    assert "\n#1 " in page["content"][0]["text"] and "structuredContent" not in page  # the text says it all
    assert [t["uriTemplate"] for t in templates["resourceTemplates"]] == ["thread://{+ref}"]
    assert resource["contents"][0]["text"].startswith(ref)
    assert prompt["messages"][1]["content"]["resource"]["text"].startswith(ref)
