"""The thread index's figures: ``uv run python bench/index.py [--quick] [--json] [--write] [--backend B]``.

Builds an index of synthetic threads (``index_corpus.py``; full mode 1,000 threads / 100,000 messages, quick mode
200 / 20,000) on each backend — SQLite in a temporary file, PostgreSQL started on loopback for the run (left out
when it is not installed) — and times a query mix on the library path (``ThreadIndex.search``) and through the
tool (``search_threads`` over stdio, ``index_tool.py``); then the write-through overhead on paging and what a
sync costs the vendors (``index_tool.py``). Prints a Markdown section; ``--json`` prints one JSON object instead
(the headline figures under ``figures``), ``--write`` puts the section into ``bench/results.md``. Targets are
reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from index_corpus import QUERIES, corpus  # noqa: E402
from index_report import markdown, write_section  # noqa: E402
from index_tool import index_overhead, search_through_tool, sync_figures  # noqa: E402

from agent_threads.index import IndexConfig, ThreadIndex, open_index  # noqa: E402
from agent_threads.index.records import Progress, ThreadWrite  # noqa: E402
from agent_threads.index.sql import Plan, Stmt  # noqa: E402
from tests.index.pgserver import bindir, running_postgres  # noqa: E402


@dataclass(frozen=True)
class Size:
    mode: str
    threads: int
    messages: int
    """Messages per thread."""
    rounds: int
    """Rounds of the query mix, each side."""
    paging_rounds: int
    """Interleaved rounds of paging with the index on and off."""


QUICK = Size("quick", 200, 100, 10, 2)
FULL = Size("full", 1000, 100, 30, 3)


async def build(index: ThreadIndex, threads: int, per_thread: int) -> float:
    started = time.perf_counter()
    for ref, provider, messages in corpus(threads, per_thread):
        records = index.records(messages, 0)
        progress = Progress(resume=None, complete=True, listed="bench")
        await index.write(ThreadWrite(ref=ref, provider=provider, title=messages[0].text[:40], status="idle",
                                      updated=messages[-1].time, messages=records, progress=progress))  # fmt: skip
    return time.perf_counter() - started


async def measure(index: ThreadIndex, rounds: int) -> dict[str, list[float]]:
    """Milliseconds per ``ThreadIndex.search``, per query (after one warm-up each)."""
    times: dict[str, list[float]] = {name: [] for name in QUERIES}
    for args in QUERIES.values():
        await index.search(**args)
    for _ in range(rounds):
        for name, args in QUERIES.items():
            started = time.perf_counter()
            await index.search(**args)
            times[name].append((time.perf_counter() - started) * 1000)
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(times: dict[str, list[float]]) -> dict[str, Any]:
    """p50 and p99 over every call, and per query."""
    every = [t for values in times.values() for t in values]
    per_query = {q: {"p50": statistics.median(v), "p99": pct(v, 0.99)} for q, v in times.items()}
    return {"p50": pct(every, 0.5), "p99": pct(every, 0.99), "per_query": per_query}


def pg_bytes() -> Plan[int]:
    rows = yield Stmt(
        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'agent_threads' AND c.relkind = 'r'"
    )
    return int(rows[0][0])


async def backend_figures(config: IndexConfig, size: Size) -> dict[str, Any]:
    """Build time, library and tool search times, and the index's bytes per 1,000 messages (tables, their
    indexes and TOAST on PostgreSQL; the database file with its WAL on SQLite, after it is closed)."""
    async with open_index(config) as index:
        assert index is not None
        build_s = await build(index, size.threads, size.messages)
        library = await measure(index, size.rounds)
        stored = await index.backend.run(pg_bytes) if config.kind == "postgres" else 0
    if config.path is not None:
        stored = sum(p.stat().st_size for p in config.path.parent.glob(config.path.name + "*"))
    tool = await search_through_tool(config, QUERIES, size.rounds)
    per_1000 = stored / (size.threads * size.messages / 1000)
    return {"build_s": build_s, "library": summary(library), "tool": summary(tool), "bytes_per_1000": per_1000}


async def backends(size: Size, which: str) -> dict[str, dict[str, Any]]:
    """Per backend (``sqlite``, ``postgres`` or ``both``; PostgreSQL left out when it is not installed)."""
    found: dict[str, dict[str, Any]] = {}
    with ExitStack() as stack:
        configs: list[tuple[str, IndexConfig]] = []
        if which in ("sqlite", "both"):
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="agent-threads-bench-")))
            configs.append(("sqlite", IndexConfig("sqlite", path=folder / "index.sqlite3")))
        if which in ("postgres", "both") and (programs := bindir()) is not None:
            server = stack.enter_context(running_postgres(programs))
            configs.append(("postgres", IndexConfig("postgres", url=server.create_database())))
        for name, config in configs:
            found[name] = await backend_figures(config, size)
    return found


def headline(found: dict[str, Any]) -> dict[str, float | int | None]:
    """The figures with a target or a claim, from the default backend (SQLite) where they depend on one."""
    sqlite = found["backends"].get("sqlite")
    second = found["sync"]["second"]
    return {
        "search_p50_ms": sqlite["tool"]["p50"] if sqlite else None,
        "search_p99_ms": sqlite["tool"]["p99"] if sqlite else None,
        "library_search_p50_ms": sqlite["library"]["p50"] if sqlite else None,
        "library_cjk_2_chars_p50_ms": sqlite["library"]["per_query"]["cjk_2_chars"]["p50"] if sqlite else None,
        "index_overhead": found["overhead"]["index_overhead"],
        "resync_threads_read": second["reads"],
        "resync_requests": second["requests"],
        "index_bytes_per_1000_messages": sqlite["bytes_per_1000"] if sqlite else None,
    }


async def figures(size: Size, which: str = "both") -> dict[str, Any]:
    started, load = time.perf_counter(), os.getloadavg()[0]
    found: dict[str, Any] = {"size": asdict(size), "queries": QUERIES, "load": load}
    found["backends"] = await backends(size, which)
    found["overhead"] = await index_overhead(units=10_000, rounds=size.paging_rounds)
    found["sync"] = await sync_figures()
    found["seconds"] = time.perf_counter() - started
    found["figures"] = headline(found)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 threads, 10 rounds (~1 min on 2 idle cores)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout instead of the section")
    parser.add_argument("--write", action="store_true", help="put the section into bench/results.md")
    args = parser.parse_args()
    found = anyio.run(figures, QUICK if args.quick else FULL, args.backend)
    text = markdown(found)
    if args.write:
        write_section(ROOT / "bench" / "results.md", text)
    print(json.dumps(found) if args.json else text)


if __name__ == "__main__":
    main()
