"""paging_vs_floor, paging_vs_official_sdk and rss_mb_100k_messages.

The sandbox runs in its own process with a generated big thread; the server runs as a host runs it (a child
on stdio) and a raw JSON-RPC client follows ``next_cursor`` to the end. The floor (bare httpx, no parsing)
and the official SDK read the same thread from the same sandbox, in the same run, interleaved.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field

import anyio
import httpx
from common import RpcClient, SandboxProc, peak_rss_mb, server_command, server_process, tokens
from compact import page_of
from quiet import QUIET, idle
from vendors import Vendor

LIMIT = 100
"""Messages per tool page (the tool's maximum); the floors and SDKs use the same vendor page sizes."""
BUDGET = 20_000
"""The largest output budget the tool accepts: a bulk reader's setting (fewer budget cuts and re-reads)."""


@dataclass
class Read:
    seconds: float
    messages: int = 0
    calls: int = 0
    requests: int = 0
    bytes: int = 0
    tokens: int = 0
    """cl100k tokens of the text the model received (counted after the timed read)."""

    @property
    def fewest(self) -> int:
        """The fewest calls that could return what was read: ``max(1, ⌈messages / LIMIT⌉, ⌈tokens / BUDGET⌉)``."""
        return max(1, math.ceil(self.messages / LIMIT), math.ceil(self.tokens / BUDGET))


@dataclass
class Paging:
    vendor: str
    units: int
    tool: list[Read] = field(default_factory=list[Read])
    floor: list[Read] = field(default_factory=list[Read])
    sdk: list[Read] = field(default_factory=list[Read])
    sdk_same: list[Read] = field(default_factory=list[Read])
    """The SDK reading the same vendor pages as the tool (when its largest page is bigger)."""
    sdk_name: str | None = None

    @staticmethod
    def best(reads: list[Read]) -> float:
        """The fastest of the runs: the least disturbed by the machine's other work (as ``timeit`` reports)."""
        return min(r.seconds for r in reads) if reads else float("nan")

    @property
    def vs_floor(self) -> float:
        return self.best(self.tool) / self.best(self.floor)

    @property
    def vs_sdk(self) -> float:
        return self.best(self.tool) / self.best(self.sdk) if self.sdk else float("nan")


async def tool_read(client: RpcClient, sandbox: SandboxProc, vendor: Vendor, *, count: bool = True) -> Read:
    """One whole read through get_thread_messages, following next_cursor; ``count``: its tokens too."""
    before = (await sandbox.stats()).get(vendor.family, 0)
    read = Read(0.0)
    args: dict[str, object] = {"thread": vendor.big_ref(), "limit": LIMIT, "budget_tokens": BUDGET}
    texts: list[str] = []
    start = time.perf_counter()
    while True:
        result = await client.call("get_thread_messages", args)
        text = "".join(c.get("text", "") for c in result.get("content", []))
        texts.extend([text] if count else [])
        meta = page_of(text, result.get("structuredContent"))
        read.calls += 1
        read.messages += meta.messages
        cursor = meta.next_cursor
        if not cursor:
            break
        args = {**args, "cursor": cursor}
    read.seconds = time.perf_counter() - start
    read.requests = (await sandbox.stats()).get(vendor.family, 0) - before
    read.tokens = sum(map(tokens, texts))
    return read


async def floor_read(sandbox: SandboxProc, vendor: Vendor) -> Read:
    before = (await sandbox.stats()).get(vendor.family, 0)
    async with httpx.AsyncClient(timeout=120) as client:
        start = time.perf_counter()
        size = await vendor.floor(client, sandbox.url(vendor.family), LIMIT)
        seconds = time.perf_counter() - start
    return Read(seconds, bytes=size, requests=(await sandbox.stats()).get(vendor.family, 0) - before)


async def sdk_read(sandbox: SandboxProc, vendor: Vendor, *, same_pages: bool = False) -> Read:
    assert vendor.sdk is not None
    before = (await sandbox.stats()).get(vendor.family, 0)
    start = time.perf_counter()
    count = await anyio.to_thread.run_sync(vendor.sdk, sandbox.url(vendor.family), LIMIT, same_pages, None)
    seconds = time.perf_counter() - start
    return Read(seconds, messages=count, requests=(await sandbox.stats()).get(vendor.family, 0) - before)


async def measure(
    client: RpcClient,
    sandbox: SandboxProc,
    vendor: Vendor,
    units: int,
    repeats: int,
    *,
    with_sdk: bool = True,
    same_pages: bool = False,
) -> Paging:
    """``repeats`` rounds of tool, floor and SDK reads, interleaved, against one sandbox and one server."""
    result = Paging(vendor.name, units, sdk_name=vendor.sdk_name)
    await warm_up(client, vendor)  # first-call costs, untimed
    await _settled(sandbox, vendor)  # its read-ahead must not land in the first timed read's count
    if with_sdk and vendor.sdk is not None:
        await anyio.to_thread.run_sync(vendor.sdk, sandbox.url(vendor.family), 1, False, 1)  # the SDK's too
    for _ in range(repeats):
        await idle(client.proc.pid, still=QUIET)  # the index's writes of the last read are not this read's
        result.tool.append(await tool_read(client, sandbox, vendor))
        result.floor.append(await floor_read(sandbox, vendor))
        if with_sdk and vendor.sdk is not None:
            result.sdk.append(await sdk_read(sandbox, vendor))
            if same_pages and vendor.sdk_pages_differ:
                result.sdk_same.append(await sdk_read(sandbox, vendor, same_pages=True))
    return result


async def warm_up(client: RpcClient, vendor: Vendor) -> None:
    """One call that pays the first-call costs (the provider, its connection) on another thread of the vendor:
    a page of the big thread itself would stay with the read-ahead and spare the first timed read a request."""
    args: dict[str, object] = {"provider": vendor.provider, "limit": 5}
    while True:  # a container, then the threads inside it
        listed = (await client.call("list_threads", args)).get("structuredContent") or {}
        entry = next(e for e in listed.get("threads", []) if e["ref"] != vendor.big_ref())
        if not entry.get("children"):
            await client.call("get_thread_messages", {"thread": entry["ref"], "limit": 1})
            return
        args = {**args, "parent": entry["ref"]}


async def _settled(sandbox: SandboxProc, vendor: Vendor) -> None:
    """Wait until the sandbox's request count for the vendor stops moving (a read-ahead still in flight)."""
    count = (await sandbox.stats()).get(vendor.family, 0)
    for _ in range(50):
        await asyncio.sleep(0.1)
        now = (await sandbox.stats()).get(vendor.family, 0)
        if now == count:
            return
        count = now


@dataclass
class Rss:
    vendor: str
    units: int
    peak_mb: float
    idle_mb: float
    read: Read


async def measure_rss(sandbox: SandboxProc, vendor: Vendor, units: int) -> Rss:
    """Peak RSS (VmHWM) of the server process over a whole read of the big thread."""
    async with server_process(sandbox.env, server_command([vendor.family])) as client:
        await client.request("tools/list")
        idle = peak_rss_mb(client.proc.pid)
        read = await tool_read(client, sandbox, vendor, count=False)
        await asyncio.sleep(0)
        return Rss(vendor.name, units, peak_rss_mb(client.proc.pid), idle, read)
