"""Write-through: every vendor page a tool, resource or export reads goes into the thread index, written in the
background (the lifespan's task group) so no reply waits for it.

A provider is wrapped (``Recorder.wrap``) so its ``read`` hands each page on. A page's first seq is known from
the page before it (a thread's first page starts at 0); a page reached by a cursor this process did not make is
not indexed (its seqs are unknown) — the next sync reads it. A store that fails is logged, never raised.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import TYPE_CHECKING, Any

import anyio
from anyio.abc import TaskGroup

from . import render_index
from .errors import ConfigError
from .providers.base import Batch, Listing, Provider, State
from .refs import ThreadRef
from .transcript import StreamEvent

if TYPE_CHECKING:
    from .config import Settings
    from .index import ThreadIndex

log = logging.getLogger("agent_threads.index")
REMEMBERED = 10_000
"""Page offsets and recently read refs kept at most."""
BACKLOG = 10_000
"""Messages waiting before a thread's writer writes without waiting for a pause; twice as many wait at most."""
GATHER = 0.25
"""Seconds without a new page of a thread after which its writer writes: a reader paging on is not slowed by the
index's work (about as much CPU as the read itself), which waits for the pause a reader makes."""


def _key(ref: str, state: State | None) -> tuple[str, str]:
    return ref, json.dumps(state, sort_keys=True, separators=(",", ":"), default=str)


class Recorder:
    """Hands the pages read on to the index: one writer per thread takes every page waiting for it in one write
    once reading that thread pauses (``gather`` seconds without a new page) or ``backlog`` messages wait. Twice the
    backlog waits at most (a reader faster than the index never piles pages up in memory; a page beyond it is
    left to the next sync, its thread staying partly read)."""

    def __init__(
        self,
        index: ThreadIndex,
        tg: TaskGroup,
        *,
        size: int = REMEMBERED,
        backlog: int = BACKLOG,
        gather: float = GATHER,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.index, self._tg, self._size, self._backlog = index, tg, size, backlog
        self._gather, self._sleep = gather, sleep
        self._offsets: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._waiting: dict[str, list[tuple[Batch, int]]] = {}
        self._queued = 0
        """Messages waiting to be written."""
        self._hurry = False
        """Someone waits for the writes (a search): write without waiting for reading to pause."""
        self._idle = anyio.Event()
        self._idle.set()

    def wrap(self, provider: Provider) -> Provider:
        return Recording(provider, self)

    def recent(self, limit: int) -> list[str]:
        """Refs this process read, the latest first."""
        return list(reversed(self._recent))[:limit]

    def page(self, ref: str, state: State | None, batch: Batch) -> None:
        """Index one page read from ``state`` (in the background)."""
        first = 0 if state is None else self._offsets.get(_key(ref, state))
        self._remember(self._recent, ref, None)
        if batch.next_state is not None and first is not None:
            self._remember(self._offsets, _key(ref, batch.next_state), first + len(batch.messages))
        if first is None or not batch.messages:
            return
        if self._queued + len(batch.messages) > 2 * self._backlog:
            log.debug("index backlog full: a page of %s is left to the next sync", ref)
            return
        self._queued += len(batch.messages)
        if ref not in self._waiting:  # no writer for this thread yet
            self._waiting[ref] = []
            self._idle = anyio.Event() if self._idle.is_set() else self._idle
            self._tg.start_soon(self._write, ref)
        self._waiting[ref].append((batch, first))

    async def settled(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` seconds) until the pages handed on so far are written, the writers no longer
        waiting for reading to pause."""
        self._hurry = not self._idle.is_set()
        with anyio.move_on_after(timeout):
            await self._idle.wait()
            return True
        return False

    async def _write(self, ref: str) -> None:
        from .index import IndexStoreError

        try:
            while True:
                await self._pause(ref)
                pages, self._waiting[ref] = self._waiting[ref], []
                if not pages:
                    break
                try:
                    await self.index.record_pages(ref, pages)
                except IndexStoreError as e:
                    log.warning("could not index %d page(s) of %s: %s", len(pages), ref, e.for_model())
                finally:
                    self._queued -= sum(len(batch.messages) for batch, _ in pages)
        finally:
            del self._waiting[ref]
            if not self._waiting:
                self._idle.set()
                self._hurry = False

    async def _pause(self, ref: str) -> None:
        """Wait until reading ``ref`` pauses (``gather`` seconds without a new page), the backlog is full or someone
        waits for the writes."""
        seen = -1
        while seen != len(self._waiting[ref]) and self._queued < self._backlog and not self._hurry:
            seen = len(self._waiting[ref])
            await self._sleep(self._gather)

    def _remember(self, table: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        table.pop(key, None)
        table[key] = value
        while len(table) > self._size:
            table.popitem(last=False)


class Recording:
    """A provider whose reads are also indexed; everything else is the provider's own."""

    def __init__(self, inner: Provider, recorder: Recorder) -> None:
        self.inner, self._recorder = inner, recorder
        self.id, self.family, self.client = inner.id, inner.family, inner.client

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    async def list_threads(self, parent: ThreadRef | None, state: State | None, limit: int) -> Listing:
        return await self.inner.list_threads(parent, state, limit)

    async def read(self, ref: ThreadRef, state: State | None, limit: int) -> Batch:
        batch = await self.inner.read(ref, state, limit)
        self._recorder.page(str(ref), state, batch)
        return batch

    def stream(
        self, ref: ThreadRef, message: str | None, checkpoint: str | None
    ) -> AbstractAsyncContextManager[AsyncIterator[StreamEvent]]:
        return self.inner.stream(ref, message, checkpoint)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def opened(settings: Settings, stack: AsyncExitStack) -> tuple[ThreadIndex | None, str]:
    """The configured index, open until ``stack`` closes; or None and why: switched off, or a store that cannot be
    opened (logged; reading threads goes on without it)."""
    if settings.index.kind == "off":
        return None, render_index.INDEX_OFF
    from .index import IndexStoreError, open_index

    secrets = tuple(v for p in settings.providers for v in p.credentials.values())
    try:
        index = await stack.enter_async_context(open_index(settings.index, secrets=secrets))
    except (IndexStoreError, ConfigError) as e:
        log.warning("the thread index is unavailable: %s", e.for_model())
        return None, render_index.index_unavailable(e.for_model())
    return index, ""


def unwrapped(provider: Provider) -> Provider:
    """The provider itself, without write-through (a sync writes what it reads on its own)."""
    return provider.inner if isinstance(provider, Recording) else provider
