"""The clients of the load run: raw MCP JSON-RPC over Streamable HTTP (``httpx``), one connection pool each.

Each client initializes once with every replica (untimed), then loops until the deadline over a mix of
``search_threads`` (``refresh=false``), ``get_thread_messages`` (sometimes following ``next_cursor``) and
``list_threads``, sending each call to the next replica in turn. A call counts as an error when the HTTP status
is not 200, the reply is not a JSON-RPC result, the tool answers ``isError``, or the request fails.
"""

from __future__ import annotations

import json
import random
import re
import sys
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PROTOCOL, first_line, percentile  # noqa: E402

QUERIES = ("orders", "timeout", "slow query", "磁盘扩容", "慢查询", "库存周转", "no-such-word-anywhere")
"""English and Chinese, a phrase, and a miss: every query answered from the index."""
THREADS = (
    "qoder:sess_019e0000000000000000000000000d01/sthr_019e00000000000000000000000d0c01",
    "dms:sess_inventory_cn_42d9",
    "rdsai:de5e9a90-a424-5742-93fe-e1984acc4b34",
    "cms:%E8%BF%90%E7%BB%B4%20%E5%8A%A9%E6%89%8B/%E4%BC%9A%E8%AF%9D%2F001",
)
"""A long Qoder thread (many pages at ``limit=20``) and three Chinese ones of other vendors."""
PROVIDERS = ("qoder", "cms", "starops", "dms", "rdsai")
TOOLS = ("search_threads", "get_thread_messages", "list_threads")


@dataclass
class Tally:
    """Every timed call's latency (ms) per tool, and the errors by their first line."""

    times: dict[str, list[float]] = field(default_factory=lambda: {tool: [] for tool in TOOLS})
    kinds: dict[str, tuple[str, int]] = field(default_factory=dict[str, tuple[str, int]])
    """Per kind of error (its first line with numbers and ids blanked): the first one seen, and how many."""
    first_error: str = ""
    followed: int = 0
    """Calls that continued a ``next_cursor`` (made by the other replica when there are two)."""

    def error(self, tool: str, what: str) -> None:
        line = f"{tool}: {what}"
        kind = re.sub(r"[0-9a-fA-F]*[0-9][0-9a-fA-F]*", "#", line)
        example, count = self.kinds.get(kind, (line, 0))
        self.kinds[kind] = (example, count + 1)
        self.first_error = self.first_error or line

    def summary(self, seconds: float) -> dict[str, Any]:
        every = [t for values in self.times.values() for t in values]
        failed = sum(count for _, count in self.kinds.values())
        return {
            "requests": len(every) + failed,
            "errors": failed,
            "first_error": self.first_error or None,
            "cursors_followed": self.followed,
            "error_kinds": dict(self.kinds.values()),
            "seconds": seconds,
            "calls_per_s": (len(every) + failed) / seconds,
            "all": _latency(every),
            "per_tool": {tool: _latency(values) for tool, values in self.times.items()},
        }


def _latency(values: list[float]) -> dict[str, Any]:
    return {"calls": len(values), "p50": percentile(values, 50), "p99": percentile(values, 99)}


class CallFailed(Exception):
    """A call answered, but not with a tool's successful result."""


def _reply(response: httpx.Response, ident: int) -> dict[str, Any]:
    """The JSON-RPC result for ``ident``, from a JSON body or the ``data:`` lines of an event stream."""
    if response.status_code != 200:
        raise CallFailed(f"HTTP {response.status_code}: {(response.text.splitlines() or [''])[0][:200]}")
    if response.headers.get("content-type", "").startswith("application/json"):
        messages = [response.json()]
    else:
        messages = [json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:")]
    for message in messages:
        if message.get("id") == ident:
            if "error" in message:
                raise CallFailed(f"JSON-RPC error {message['error']}")
            return message["result"]  # type: ignore[no-any-return]
    raise CallFailed("no JSON-RPC result in the reply")


def _next_cursor(result: dict[str, Any]) -> str | None:
    """From the structured content, else the last line of the text (a transcript page is text only)."""
    found = (result.get("structuredContent") or {}).get("next_cursor")
    text = " ".join(c.get("text", "") for c in result.get("content", [])).splitlines()
    last = text[-1] if text else ""
    return found or (last.removeprefix("next_cursor: ") if last.startswith("next_cursor: ") else None)


@dataclass
class LoadClient:
    """One MCP client, alternating between the replicas' ``/mcp`` endpoints."""

    http: httpx.AsyncClient
    endpoints: list[str]
    rng: random.Random
    turn: int = 0
    next_id: int = 0

    async def rpc(self, endpoint: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        body = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        return _reply(await self.http.post(endpoint, json=body), self.next_id)

    async def initialize(self) -> None:
        """What an MCP client does first, with each replica (the server is stateless: no session to keep)."""
        hello = {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "load", "version": "0"}}
        for endpoint in self.endpoints:
            await self.rpc(endpoint, "initialize", hello)
            note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
            (await self.http.post(endpoint, json=note)).raise_for_status()

    async def call(self, tool: str, arguments: dict[str, Any], tally: Tally | None) -> str | None:
        """One tool call to the next replica, timed into ``tally``; the next_cursor it gave (None on an error)."""
        endpoint = self.endpoints[self.turn % len(self.endpoints)]
        self.turn += 1
        started = time.perf_counter()
        try:
            result = await self.rpc(endpoint, "tools/call", {"name": tool, "arguments": arguments})
            if result.get("isError"):
                text = " ".join(c.get("text", "") for c in result.get("content", []))
                raise CallFailed((text.splitlines() or ["isError"])[0][:200])
        except (CallFailed, httpx.HTTPError, ValueError, KeyError) as e:
            if tally is None:
                raise
            tally.error(tool, str(e) if isinstance(e, CallFailed) else first_line(e))
            return None
        if tally is not None:
            tally.times[tool].append((time.perf_counter() - started) * 1000)
        return _next_cursor(result)

    async def step(self, tally: Tally | None) -> None:
        """One turn of the mix: 45 % search, 35 % reading a thread (on to the next page half the time there is
        one), 20 % a listing."""
        pick = self.rng.random()
        if pick < 0.45:
            query = self.rng.choice(QUERIES)
            await self.call("search_threads", {"query": query, "limit": 5, "refresh": False}, tally)
        elif pick < 0.80:
            args: dict[str, Any] = {"thread": self.rng.choice(THREADS), "limit": 20}
            cursor = await self.call("get_thread_messages", args, tally)
            if cursor and self.rng.random() < 0.5:
                await self.call("get_thread_messages", args | {"cursor": cursor}, tally)
                if tally is not None:
                    tally.followed += 1
        else:
            await self.call("list_threads", {"provider": self.rng.choice(PROVIDERS), "limit": 20}, tally)


def headers(token: str) -> dict[str, str]:
    return {
        "authorization": f"Bearer {token}",
        "accept": "application/json, text/event-stream",
        "mcp-protocol-version": PROTOCOL,
    }


async def warm_up(bases: list[str], token: str) -> None:
    """Each tool once on each replica, untimed: imports, pools and caches are not billed to the run. Fails on
    the first error (a broken setup, not a load figure)."""
    async with httpx.AsyncClient(headers=headers(token), timeout=120) as http:
        client = LoadClient(http, [f"{base}/mcp" for base in bases], random.Random(0))
        await client.initialize()
        for _ in bases:
            for query in QUERIES:
                await client.call("search_threads", {"query": query, "refresh": False}, None)
            for thread in THREADS:
                await client.call("get_thread_messages", {"thread": thread, "limit": 20}, None)
            for provider in PROVIDERS:
                await client.call("list_threads", {"provider": provider}, None)


async def run_clients(bases: list[str], token: str, clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` clients, all initialized first, then looping over the mix for ``seconds`` (calls in flight at
    the deadline finish and count)."""
    endpoints = [f"{base}/mcp" for base in bases]
    async with AsyncExitStack() as stack:
        every: list[LoadClient] = []
        for n in range(clients):
            http = await stack.enter_async_context(httpx.AsyncClient(headers=headers(token), timeout=120))
            first = n % len(endpoints)  # half the clients start on each replica
            every.append(LoadClient(http, endpoints[first:] + endpoints[:first], random.Random(n)))
        async with anyio.create_task_group() as tg:
            for client in every:
                tg.start_soon(client.initialize)
        tally, began = Tally(), time.perf_counter()

        async def loop(client: LoadClient) -> None:
            while time.perf_counter() - began < seconds:
                await client.step(tally)

        async with anyio.create_task_group() as tg:
            for client in every:
                tg.start_soon(loop, client)
        return tally.summary(time.perf_counter() - began) | {"clients": clients}
