"""Read-ahead: while the model works on one page, the next vendor page is already on its way.

A page read through ``get_thread_messages`` starts fetching the vendor page its ``next_cursor`` points to, in
the lifespan's task group; the call that follows the cursor takes it instead of asking the vendor again. A
page cut by the output budget is kept too, so the call that continues it re-reads nothing. Entries live a
few seconds (a live thread must not be served stale for long) and only a few at a time; a fetch that failed
leaves no entry, so the caller fetches again and sees the error itself, with its retries.
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio
from anyio.abc import TaskGroup

from .providers.base import Batch, State

log = logging.getLogger("agent_threads.readahead")

Key = tuple[str, str, str, int]
TTL = 15.0
"""Seconds a fetched page may be served instead of asking the vendor again."""
SIZE = 16
"""Pages kept at most (each ≤ 100 messages)."""


def key(provider: str, ref: str, state: State | None, limit: int) -> Key:
    return provider, ref, json.dumps(state, sort_keys=True, separators=(",", ":")), limit


@dataclass
class _Entry:
    at: float
    done: anyio.Event = field(default_factory=anyio.Event)
    batch: Batch | None = None


class ReadAhead:
    def __init__(
        self, tg: TaskGroup, *, ttl: float = TTL, size: int = SIZE, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._tg, self._ttl, self._size, self._clock = tg, ttl, size, clock
        self._entries: OrderedDict[Key, _Entry] = OrderedDict()

    async def take(self, k: Key) -> Batch | None:
        """The page fetched (or being fetched) for ``k``, if it is fresh and its fetch succeeded."""
        entry = self._entries.get(k)
        if entry is None or not self._fresh(entry):
            self._entries.pop(k, None)
            return None
        await entry.done.wait()
        return entry.batch

    def keep(self, k: Key, batch: Batch) -> None:
        """Keep a page the caller will read again (cut by the budget); its age is the fetch's, not renewed."""
        old = self._entries.get(k)
        if old is not None and old.batch is batch:
            return
        entry = self._add(k)
        entry.batch = batch
        entry.done.set()

    def start(self, k: Key, fetch: Callable[[], Awaitable[Batch]]) -> None:
        """Fetch ``k`` in the background unless it is already kept or on its way."""
        if k in self._entries and self._fresh(self._entries[k]):
            return
        self._tg.start_soon(self._fetch, k, self._add(k), fetch)

    def forget(self, provider: str, ref: str) -> None:
        """Drop every page of a thread (a message was sent to it: what was fetched may lack the reply)."""
        for k in [k for k in self._entries if k[:2] == (provider, ref)]:
            del self._entries[k]

    def _fresh(self, entry: _Entry) -> bool:
        return self._clock() - entry.at <= self._ttl

    def _add(self, k: Key) -> _Entry:
        self._entries.pop(k, None)
        entry = self._entries[k] = _Entry(self._clock())
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)[1].done.set()  # a waiter on an evicted entry fetches itself
        return entry

    async def _fetch(self, k: Key, entry: _Entry, fetch: Callable[[], Awaitable[Batch]]) -> None:
        try:
            entry.batch = await fetch()
        except Exception as e:  # noqa: BLE001 - only a hint: the caller fetches again and gets this error itself
            log.debug("read-ahead of %s failed: %s", k[1], type(e).__name__)
            if self._entries.get(k) is entry:
                del self._entries[k]
        finally:
            entry.done.set()
