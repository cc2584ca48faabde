"""compact_ratio: what the model receives from get_thread_messages over whole threads, against the raw vendor
JSON behind it, with a check that no fact (user/assistant text, tool name, error code) was lost.

In-process: the sandbox and the server share one event loop; an httpx transport installed through
``agent_threads.http.TRANSPORT`` records every reply body the providers read while the tool runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import sys
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import anyio
from capture import Capture, raw_replies, raw_tokens
from common import BENCH, FAILURES, clean_env, compact_json, first_line, tokens
from facts import Fact, facts, haystack
from mcp import Client
from vendors import VENDORS, Vendor

from agent_threads import http
from agent_threads.app import build_server
from agent_threads.config import load_settings
from agent_threads.sandbox import Sandbox, SandboxContext

LIMIT = 100
"""The tool's default ``limit``: the corpus is read as a model reads it, with the defaults."""
BUDGET = 8000
"""The tool's default ``budget_tokens``."""
SMALL = 20
"""Threads of at most this many transcript messages are the ``compact_ratio_small`` sample."""


_CURSOR = re.compile(r"^next_cursor: (\S+)$", re.M)
_SEQ = re.compile(r"^#-?\d+ ", re.M)


@dataclass(frozen=True)
class PageMeta:
    next_cursor: str | None
    messages: int


def page_of(text: str, structured: dict[str, Any] | None) -> PageMeta:
    """Where a get_thread_messages page continues and how many messages it holds: from structuredContent where it
    says (``format="json"``), else from the text, where only the server writes at column 0 (a ``next_cursor:``
    line, each message's ``#seq``)."""
    if structured and ("messages" in structured or "count" in structured):
        count = len(structured.get("messages") or []) or int(structured.get("count", 0))
        return PageMeta(structured.get("next_cursor"), count)
    found = _CURSOR.search(text)
    return PageMeta(found.group(1) if found else None, len(_SEQ.findall(text)))


@dataclass
class Stats:
    threads: int = 0
    messages: int = 0
    pages: int = 0
    text_tokens: int = 0
    structured_tokens: int = 0
    raw_tokens: int = 0
    fewest: int = 0
    """The fewest tool calls that could return this thread: ``max(1, ⌈messages / LIMIT⌉, ⌈model tokens /
    BUDGET⌉)`` per thread, summed (``pages`` is the calls actually made)."""

    @property
    def model_tokens(self) -> int:
        return self.text_tokens + self.structured_tokens

    def ratio(self, tokens: int | None = None) -> float:
        return (self.model_tokens if tokens is None else tokens) / self.raw_tokens if self.raw_tokens else float("nan")

    def add(self, other: Stats) -> None:
        for name in ("threads", "messages", "pages", "text_tokens", "structured_tokens", "raw_tokens", "fewest"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Corpus:
    vendor: str
    big_ref: str = ""
    threads: dict[str, Stats] = field(default_factory=dict[str, Stats])
    facts: int = 0
    missing: list[Fact] = field(default_factory=list[Fact])
    error: str | None = None

    def total(self, *, samples_only: bool = False, at_most: int | None = None) -> Stats:
        """Pooled over the threads: all, the hand-written samples only, or those of ``at_most`` messages."""
        out = Stats()
        for ref, stats in self.threads.items():
            if (samples_only and ref == self.big_ref) or (at_most is not None and stats.messages > at_most):
                continue
            out.add(stats)
        return out


async def _leaves(client: Client, provider: str, parent: str | None = None) -> list[str]:
    """Every readable thread ref of a provider: entries with children are opened, the others read."""
    refs: list[str] = []
    cursor: str | None = None
    while True:
        args: dict[str, Any] = {"provider": provider, "limit": 100} | ({"parent": parent} if parent else {})
        result = await client.call_tool("list_threads", args | ({"cursor": cursor} if cursor else {}))
        if result.is_error:
            raise RuntimeError(f"list_threads {provider} {parent or ''}: {_text(result)[:300]}")
        listing = result.structured_content or {}
        for entry in listing.get("threads", []):
            refs.extend(await _leaves(client, provider, entry["ref"]) if entry.get("children") else [entry["ref"]])
        cursor = listing.get("next_cursor")
        if not cursor:
            return refs


def _text(result: Any) -> str:
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


async def _read_thread(client: Client, ref: str, capture: Capture) -> tuple[Stats, str]:
    """All pages of one thread: their sizes, and what the model read, normalized for the fact check."""
    stats, seen = Stats(threads=1), []
    cursor: str | None = None
    for _ in range(10_000):
        capture.active = ref
        args = {"thread": ref, "limit": LIMIT, "budget_tokens": BUDGET}
        try:
            result = await client.call_tool("get_thread_messages", args | ({"cursor": cursor} if cursor else {}))
        finally:
            capture.active = None
        text = _text(result)
        if result.is_error:
            raise RuntimeError(f"get_thread_messages {ref}: {text[:300]}")
        structured = result.structured_content
        meta = page_of(text, structured)
        stats.pages += 1
        stats.messages += meta.messages
        stats.text_tokens += tokens(text)
        stats.structured_tokens += tokens(compact_json(structured)) if structured is not None else 0
        seen.append(haystack(text, structured or {}))
        cursor = meta.next_cursor
        if not cursor:
            stats.fewest = max(1, math.ceil(stats.messages / LIMIT), math.ceil(stats.model_tokens / BUDGET))
            return stats, "\n".join(seen)
    raise RuntimeError(f"{ref}: more than 10,000 pages")


async def measure(vendor: Vendor, big_units: int) -> Corpus:
    """The corpus of one vendor: every thread its sandbox lists, plus the generated one of ``big_units``."""
    corpus = Corpus(vendor.name, vendor.big_ref())
    capture = Capture()
    reset = http.TRANSPORT.set(capture)
    read: list[str] = []
    try:
        sandbox = Sandbox(SandboxContext(options={vendor.big_option: big_units}), [vendor.family])
        if vendor.family not in sandbox.apps:
            corpus.error = "sandbox module not landed"
            return corpus
        async with sandbox.running():
            settings = load_settings(sandbox.env())
            settings = replace(settings, providers=tuple(p for p in settings.providers if p.id == vendor.provider))
            async with Client(build_server(settings)) as client:
                refs = await _leaves(client, vendor.provider)
                for ref in [*refs, *([] if corpus.big_ref in refs else [corpus.big_ref])]:
                    corpus.threads[ref], seen = await _read_thread(client, ref, capture)
                    read.append(seen)
    finally:
        http.TRANSPORT.reset(reset)
    by_thread = raw_replies(capture.replies)
    for ref, raws in by_thread.items():
        corpus.threads[ref].raw_tokens = raw_tokens(raws)
    found = facts(vendor.name, [r for raws in by_thread.values() for r in raws])
    everything = "\n".join(read)
    corpus.facts = len(found)
    corpus.missing = [f for f in found if not f.found(everything)]
    return corpus


# ---- as a child process -------------------------------------------------------------------------------


def _load(data: dict[str, Any]) -> Corpus:
    threads = {ref: Stats(**stats) for ref, stats in data["threads"].items()}
    missing = [Fact(f["kind"], tuple(f["options"])) for f in data["missing"]]
    return Corpus(data["vendor"], data["big_ref"], threads, data["facts"], missing, data["error"])


async def in_child(spec: dict[str, int]) -> list[Corpus]:
    """``measure`` for each vendor of ``spec`` (name -> generated thread size) in a child process."""
    args = [sys.executable, str(BENCH / "compact.py"), json.dumps(spec)]
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=clean_env({}), limit=1 << 24
    )
    try:
        out, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(f"corpus child exited {proc.returncode}: {err.decode(errors='replace')[-500:]}")
    return [_load(json.loads(line)) for line in out.decode().splitlines() if line.strip()]


async def _child(spec: dict[str, int]) -> None:
    for name, units in spec.items():
        try:
            corpus = await measure(VENDORS[name], units)
        except FAILURES as e:
            corpus = Corpus(name, error=first_line(e))
        print(json.dumps(asdict(corpus), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    logging.disable(logging.WARNING)  # the in-process server and sandbox log every request at INFO
    anyio.run(_child, json.loads(sys.argv[1]))
