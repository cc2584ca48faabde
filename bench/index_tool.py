"""The thread index through the server and against the sandbox cloud (``bench/index.py`` runs and reports these).

- ``search_through_tool``: ``search_threads`` (``refresh=false``) timed from the MCP request written to its result
  read, the server a child on stdio (as a host runs it) over an index ``bench/index.py`` built.
- ``index_overhead``: a 10,000-event Qoder thread paged through ``get_thread_messages`` with the index on (every
  page written through to a fresh SQLite index in the background) and off (``AGENT_THREADS_INDEX=off``): two
  server children against one sandbox child, reads interleaved, each side timed by its best round.
- ``sync_figures``: a first sync of the sandbox corpus into a fresh index, then two more with nothing changed at
  the vendors: list calls and threads read per provider, and the vendor HTTP requests of each.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import RpcClient, SandboxProc, sandbox_process, server_process  # noqa: E402
from paging import Paging, Read, tool_read, warm_up  # noqa: E402
from quiet import QUIET, idle  # noqa: E402
from vendors import VENDORS, Vendor  # noqa: E402

from agent_threads.config import load_settings  # noqa: E402
from agent_threads.http import RetryPolicy  # noqa: E402
from agent_threads.index import IndexConfig, ThreadIndex, open_index  # noqa: E402
from agent_threads.index.sync import sync  # noqa: E402
from agent_threads.providers import create  # noqa: E402
from tests.index.fakes import Counting  # noqa: E402

SERVER = [sys.executable, "-m", "agent_threads"]


def index_env(config: IndexConfig) -> dict[str, str]:
    return {"AGENT_THREADS_INDEX_URL": config.url or str(config.path)}


async def search_through_tool(
    config: IndexConfig, queries: dict[str, dict[str, Any]], rounds: int
) -> dict[str, list[float]]:
    """Milliseconds per ``search_threads`` call, per query: MCP request written → result read."""
    times: dict[str, list[float]] = {name: [] for name in queries}
    async with server_process(index_env(config), SERVER) as client:
        for args in queries.values():  # one warm-up each: imports, connections, caches
            await client.call("search_threads", {**args, "refresh": False})
        for _ in range(rounds):
            for name, args in queries.items():
                started = time.perf_counter()
                await client.call("search_threads", {**args, "refresh": False})
                times[name].append((time.perf_counter() - started) * 1000)
    return times


async def index_overhead(units: int = 10_000, rounds: int = 3, vendor_name: str = "qoder") -> dict[str, Any]:
    """Paging one big thread with the index on ÷ off, both servers reading the same sandbox. Each round starts a
    server with a fresh index, so the thread is indexed from nothing every time (as the first read of a thread
    is), and counts what it held once the server was idle again."""
    vendor = VENDORS[vendor_name]
    on: list[Read] = []
    off: list[Read] = []
    async with sandbox_process({vendor.big_option: units}, [vendor.family]) as sandbox:
        async with server_process(sandbox.env | {"AGENT_THREADS_INDEX": "off"}, SERVER) as without:
            await warm_up(without, vendor)
            indexed = [await _round(sandbox, vendor, without, on, off) for _ in range(rounds)]
    on_s, off_s = Paging.best(on), Paging.best(off)
    return {"index_overhead": on_s / off_s, "paging_on_s": on_s, "paging_off_s": off_s, "rounds": rounds,
            "messages": on[0].messages, "indexed": min(indexed), "vendor": vendor.name}  # fmt: skip


async def _round(sandbox: SandboxProc, vendor: Vendor, without: RpcClient, on: list[Read], off: list[Read]) -> int:
    """One read with the index off, then one with it on (a new server, a new index); the messages indexed."""
    with tempfile.TemporaryDirectory(prefix="agent-threads-bench-index-") as folder:
        config = IndexConfig("sqlite", path=Path(folder) / "index.sqlite3")
        async with server_process(sandbox.env | index_env(config), SERVER) as with_index:
            await warm_up(with_index, vendor)
            pids = (with_index.proc.pid, without.proc.pid)
            for client, reads in ((without, off), (with_index, on)):
                await idle(*pids, still=QUIET)  # nothing left over from the last read (or the index's writes of it)
                reads.append(await tool_read(client, sandbox, vendor, count=False))
            await idle(*pids, still=QUIET)
            async with open_index(config) as index:
                assert index is not None
                found = await index.thread(vendor.big_ref())
    return found.message_count if found else 0


async def sync_figures() -> dict[str, Any]:
    """Three syncs of the sandbox corpus into a fresh index: the first reads everything, the second and third
    have nothing changed at the vendors (what each costs them: list and read calls per provider, HTTP requests)."""
    with tempfile.TemporaryDirectory(prefix="agent-threads-bench-sync-") as folder:
        async with sandbox_process({}, None) as sandbox:
            env = sandbox.env | {"AGENT_THREADS_STATE_DIR": folder, "AGENT_THREADS_CONFIG": "/dev/null"}
            settings = load_settings(env)
            vendors = [Counting(create(p, settings.timeouts, RetryPolicy())) for p in settings.providers]
            try:
                async with open_index(IndexConfig("sqlite", path=Path(folder) / "index.sqlite3")) as index:
                    assert index is not None
                    first = await _counted_sync(index, vendors, sandbox, set())
                    stats = await index.stats()
                    running = {ref for v in vendors for ref, t in (await index.threads(v.id)).items() if t.running}
                    second = await _counted_sync(index, vendors, sandbox, running)
                    third = await _counted_sync(index, vendors, sandbox, running)
            finally:
                for vendor in vendors:
                    await vendor.client.aclose()
    return {"sync_threads": stats["threads"], "sync_messages": stats["messages"], "sync_running": len(running),
            "first": first, "second": second, "third": third}  # fmt: skip


async def _counted_sync(
    index: ThreadIndex, vendors: list[Counting], sandbox: SandboxProc, running: set[str]
) -> dict[str, Any]:
    """One sync: seconds, vendor HTTP requests, and per provider its list calls and transcript reads (of threads
    that were running apart: those are read again on every sync by design)."""
    for vendor in vendors:
        vendor.lists, vendor.reads = 0, []
    before = await sandbox.stats()
    started = time.perf_counter()
    await sync(index, vendors)  # type: ignore[arg-type]
    seconds, after = time.perf_counter() - started, await sandbox.stats()
    calls = {v.id: {"lists": v.lists, "reads": len({r for r in v.reads if r not in running}),
                    "running_reads": len({r for r in v.reads if r in running})} for v in vendors}  # fmt: skip
    return {"s": seconds, "requests": sum(after.values()) - sum(before.values()), "calls": calls,
            "reads": sum(c["reads"] for c in calls.values())}  # fmt: skip
