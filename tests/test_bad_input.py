"""Bad input never reaches a vendor: malformed or foreign refs, path tricks, tampered or cross-thread cursors and
out-of-range arguments are refused with the accepted form named, before any request; ids that merely look like
paths reach the vendor whole, as one percent-encoded segment or parameter."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import unquote

import anyio
import httpx
from mcp import Client

from agent_threads import vendors
from agent_threads.app import build_server
from agent_threads.http import TRANSPORT, RetryPolicy
from agent_threads.sandbox import Sandbox
from agent_threads.sandbox.dataagent.data import INSTANCE
from agent_threads.sandbox.qoder.data import SID_A

from .conftest import sandbox_settings
from .fakes import page_cursor

FIRST = {"qoder": SID_A, "cms": "sre-copilot", "starops": "sre-copilot", "dms": "s", "rdsai": "c"}
FIRST["dataagent"] = INSTANCE
"""A real first segment per provider, so only the trick makes a ref bad."""
LOOKS_LIKE_A_PATH = ["a%2F..%2Fb", "%252F", "..%2F..%2Fetc%2Fpasswd"]
"""Ids that legitimately hold ``/``, ``..`` or ``%2F`` text: one segment each, percent-encoded in the ref."""
IN_A_THREAD = {
    "qoder": [f"qoder:{SID_A}/{{}}", "qoder:{}"],
    "cms": ["cms:sre-copilot/{}"],
    "starops": ["starops:sre-copilot/{}"],
    "dms": ["dms:{}"],
    "rdsai": ["rdsai:{}"],
    "dataagent": [f"dataagent:{INSTANCE}/{{}}"],
}
FOREIGN = ["slack:C024BE91L", "http://127.0.0.1/x", "file:///etc/passwd", "../etc/passwd", "/etc/passwd", "QODER:x"]
FOREIGN += ["qoder.:x", "ghost:x/y", "qoder cms:x", "qoder.evil:x"]
ACCEPTED = ("Accepted forms", "Configured providers", "at most 1024 characters", "belongs to")


class Counting(httpx.AsyncBaseTransport):
    """The network, with a record of every request that reached it."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@asynccontextmanager
async def counted(sandbox: Sandbox, policy: RetryPolicy) -> AsyncIterator[tuple[Client, Counting]]:
    network = Counting()
    token = TRANSPORT.set(network)  # every provider client made from here on sends through it
    try:
        async with Client(build_server(sandbox_settings(sandbox), policy)) as client:
            yield client, network
    finally:
        TRANSPORT.reset(token)


def nasty_refs(provider: str) -> list[str]:
    x, deeper = FIRST[provider], "/t" * max(len(form.split("/")) for form in vendors.forms(provider))
    dots = [f"{provider}:..", f"{provider}:%2E%2E", f"{provider}:{x}/..", f"{provider}:{x}/%2e%2E", f"{provider}:%2e"]
    control = [f"{provider}:a%00b", f"{provider}:a%0Ab", f"{provider}:a\x00b", f"{provider}:a%C2%85"]
    control.append(f"{provider}:{x}\r\nHost: evil")
    empty = [f"{provider}:", f"{provider}:/{x}", f"{provider}:{x}/", f"{provider}:{x}//t", f"{provider}: {x}"]
    shape = [f"{provider}:{x}{deeper}", f"{provider}:{x}/t/u/v", f"{provider}:%E4%B8", f"{provider}:" + "a" * 1100]
    return dots + control + empty + shape


async def _error(client: Client, tool: str, args: dict[str, Any]) -> str:
    result = await client.call_tool(tool, args)
    text = "\n".join(c.text for c in result.content if c.type == "text")
    assert result.is_error, f"{tool}({args}) was accepted: {text[:200]}"
    assert text.startswith(f"Error executing tool {tool}:") and len(text) < 1500, text
    return text


async def test_nasty_and_foreign_refs_are_refused_naming_the_accepted_forms_before_any_request(
    sandbox: Sandbox, fast_retries: RetryPolicy
) -> None:
    async with counted(sandbox, fast_retries) as (client, network):
        with anyio.fail_after(60):
            for provider in sandbox.ports:
                for ref in [*nasty_refs(provider), *FOREIGN]:
                    for tool, args in (
                        ("get_thread_messages", {"thread": ref}),
                        ("stream_chat", {"thread": ref, "message": "hello"}),
                        ("list_threads", {"provider": provider, "parent": ref}),
                    ):
                        text = await _error(client, tool, args)
                        assert any(a in text for a in ACCEPTED), f"{tool}({ref!r}) named no accepted form: {text}"
    assert network.requests == []


def _whole(request: httpx.Request, literal: str) -> bool:
    """The id reaches the vendor whole: one path segment, one query value, or one value of the JSON body."""
    segments = [unquote(s) for s in request.url.raw_path.decode().split("?", 1)[0].split("/")]
    body = json.loads(request.content) if request.content else {}
    values = body.values() if isinstance(body, dict) else []
    return literal in segments or literal in request.url.params.values() or literal in values


async def test_ids_that_look_like_paths_reach_the_vendor_as_one_encoded_segment_and_are_simply_not_found(
    sandbox: Sandbox, fast_retries: RetryPolicy
) -> None:
    async with counted(sandbox, fast_retries) as (client, network):
        for provider in sandbox.ports:
            for form in IN_A_THREAD[provider]:
                for segment in LOOKS_LIKE_A_PATH:
                    ref, literal = form.format(segment), unquote(segment)
                    network.requests.clear()
                    with anyio.fail_after(10):
                        text = await _error(client, "get_thread_messages", {"thread": ref})
                    assert network.requests and all(_whole(r, literal) for r in network.requests), ref
                    assert all(".." not in r.url.raw_path.split(b"?")[0].split(b"/") for r in network.requests)
                    assert "not found" in text.lower() or "notfound" in text.lower(), text
                    assert ref in text or literal in text, f"the not-found for {ref} does not name it: {text}"


def _tampered(cursor: str) -> list[str]:
    """Edits of a cursor (a stdio server's handle), and a forged self-contained one."""
    flip = "A" if cursor[3] != "A" else "B"
    forged = base64.urlsafe_b64encode(json.dumps({"v": {"page": "../../admin"}}).encode()).decode().rstrip("=")
    return [
        cursor[:3] + flip + cursor[4:],
        cursor[::-1],
        cursor + "A",
        cursor[:-1],
        forged + "." + "A" * 12,
        "abc.é",
    ]


async def _cursor(client: Client, tool: str, args: dict[str, Any]) -> str:
    result = await client.call_tool(tool, {**args, "limit": 1})
    cursor = (result.structured_content or {}).get("next_cursor") or page_cursor(result)
    assert isinstance(cursor, str), f"{tool}({args}) gave no cursor: {result.content}"
    return cursor


async def test_tampered_cross_thread_and_cross_tool_cursors_are_refused_before_any_request(
    sandbox: Sandbox, fast_retries: RetryPolicy
) -> None:
    one, other = "cms:sre-copilot/thread_id01", "starops:sre-copilot/thread_id01"  # same ids, another provider
    second = "cms:report-bot/weekly-2026-03"
    async with counted(sandbox, fast_retries) as (client, network):
        with anyio.fail_after(30):
            cursor = await _cursor(client, "get_thread_messages", {"thread": one})
            listed = await _cursor(client, "list_threads", {"provider": "qoder"})
            network.requests.clear()
            calls = [("get_thread_messages", {"thread": one, "cursor": bad}) for bad in _tampered(cursor)]
            calls += [("get_thread_messages", {"thread": t, "cursor": cursor}) for t in (other, second)]
            calls += [("get_thread_messages", {"thread": one, "cursor": listed})]
            calls += [("list_threads", {"provider": "qoder", "cursor": cursor})]
            calls += [("list_threads", {"provider": "qoder", "parent": f"qoder:{SID_A}", "cursor": listed})]
            calls += [("list_threads", {"provider": "qoder", "cursor": c}) for c in _tampered(listed)]
            calls += [("list_threads", {"provider": "dms", "cursor": listed})]
            calls += [("stream_chat", {"thread": one, "checkpoint": c}) for c in (cursor, "junk", *_tampered(cursor))]
            for tool, args in calls:
                text = await _error(client, tool, args)
                assert "cursor" in text.lower() or "checkpoint" in text.lower(), text
                assert "Pass " in text or "Omit cursor" in text or "at most" in text, text
    assert network.requests == []


OUT_OF_RANGE: list[tuple[str, dict[str, Any]]] = [
    *(("get_thread_messages", {"limit": n}) for n in (0, -1, 101, 10**9)),
    *(("get_thread_messages", {"budget_tokens": n}) for n in (0, 499, 20_001)),
    ("get_thread_messages", {"roles": ["admin"]}),
    ("get_thread_messages", {"kinds": ["exec"]}),
    ("get_thread_messages", {"since": "yesterday"}),
    ("get_thread_messages", {"detail": "everything"}),
    ("get_thread_messages", {"cursor": "c" * 5000}),
    *(("list_threads", {"limit": n}) for n in (0, 101)),
    ("list_threads", {"provider": "q" * 65}),
    *(("stream_chat", {"timeout_s": n}) for n in (0, 0.5, 901)),
    ("stream_chat", {"checkpoint": "c" * 5000}),
    ("stream_chat", {"message": "m" * 100_001}),
]
BOUNDS = ("greater than or equal", "less than or equal", "at most", "Input should be", "Give an ISO-8601")


async def test_out_of_range_limits_budgets_and_timeouts_are_refused_naming_the_bound_before_any_request(
    sandbox: Sandbox, fast_retries: RetryPolicy
) -> None:
    async with counted(sandbox, fast_retries) as (client, network):
        with anyio.fail_after(30):
            for provider in sandbox.ports:
                thread = f"{provider}:{FIRST[provider]}"
                for tool, bad in OUT_OF_RANGE:
                    base = {"provider": provider} if tool == "list_threads" else {"thread": thread}
                    text = await _error(client, tool, {**base, **bad})
                    assert any(b in text for b in BOUNDS), f"{tool}({bad}) did not name the bound: {text}"
    assert network.requests == []
