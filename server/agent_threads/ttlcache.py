"""A small async TTL cache: values fetched once and kept briefly, the newest ``SIZE`` at a time.

Providers keep per-thread lookups in it that a read would otherwise repeat on every page (a session's
details): a read that pages through a thread fetches the lookup on its first page and takes the kept one on
the pages that follow, so a long thread costs one lookup, not one a page. Entries live ``TTL`` seconds (a live
thread must not be served stale for long); a failed fetch keeps nothing.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

V = TypeVar("V")
TTL = 30.0
"""Seconds a kept lookup may stand in for a new one."""
SIZE = 8
"""Entries kept at most (threads being read at once)."""


class TtlCache(Generic[V]):
    """Values by key, each served while younger than ``ttl`` seconds; the oldest evicted past ``size``."""

    def __init__(self, *, ttl: float = TTL, size: int = SIZE, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl, self._size, self._clock = ttl, size, clock
        self._entries: OrderedDict[str, tuple[float, V]] = OrderedDict()

    async def get(self, key: str, fetch: Callable[[], Awaitable[V]]) -> tuple[V, bool]:
        """The kept value while it is fresh (and True), else a new one from ``fetch`` (and False)."""
        found = self._entries.get(key)
        if found is not None and self._clock() - found[0] <= self._ttl:
            self._entries.move_to_end(key)
            return found[1], True
        return await self.refresh(key, fetch), False

    async def refresh(self, key: str, fetch: Callable[[], Awaitable[V]]) -> V:
        """A new value from ``fetch``, kept in place of the old one."""
        at = self._clock()
        value = await fetch()
        self._entries.pop(key, None)
        self._entries[key] = (at, value)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return value
