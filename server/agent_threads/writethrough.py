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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import anyio
from anyio.abc import TaskGroup

from . import render_index
from .errors import ConfigError
from .providers.base import Batch, Listing, Provider, State
from .refs import ThreadRef
from .transcript import Message, StreamEvent

if TYPE_CHECKING:
    from .config import Settings
    from .index import ThreadIndex

log = logging.getLogger("agent_threads.index")
REMEMBERED = 10_000
"""Page offsets and recently read refs kept at most."""
BACKLOG = 20_000
"""Messages waiting at most (and a page): once they are reached a thread's writer writes without waiting for a pause,
and a page that finds the backlog full is left to the next sync. They wait as JSON, ~0.3 MB per 1,000 messages
(a tenth of what they hold as objects)."""
WRITE_AT_ONCE = 2_000
"""Messages one write takes at most (the rest wait their turn): a write holds its messages as objects and records."""
GATHER = 0.25
"""Seconds without a new page of a thread after which its writer writes: a reader paging on is not slowed by the
index's work (about as much CPU as the read itself), which waits for the pause a reader makes."""


def _key(ref: str, state: State | None) -> tuple[str, str]:
    return ref, json.dumps(state, sort_keys=True, separators=(",", ":"), default=str)


class Recorder:
    """Hands the pages read on to the index: one writer per thread takes every page waiting for it in one write
    once reading that thread pauses (``gather`` seconds without a new page) or ``backlog`` messages wait, the most
    that waits (a reader faster than the index never piles pages up in memory; a page that finds the backlog full
    is left to the next sync, its thread staying partly read)."""

    def __init__(
        self,
        index: ThreadIndex,
        tg: TaskGroup,
        *,
        size: int = REMEMBERED,
        backlog: int = BACKLOG,
        write_at_once: int = WRITE_AT_ONCE,
        gather: float = GATHER,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.index, self._tg, self._size, self._backlog = index, tg, size, backlog
        self._gather, self._sleep, self._at_once = gather, sleep, write_at_once
        self._offsets: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._waiting: dict[str, list[_Waiting]] = {}
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
        if self._queued >= self._backlog:
            log.debug("index backlog full: a page of %s is left to the next sync", ref)
            return
        self._queued += len(batch.messages)
        if ref not in self._waiting:  # no writer for this thread yet
            self._waiting[ref] = []
            self._idle = anyio.Event() if self._idle.is_set() else self._idle
            self._tg.start_soon(self._write, ref)
        self._waiting[ref].append(_Waiting.of(batch, first))

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
            draining = False  # pages were left by the last write: they are written without waiting again
            while True:
                if not draining:
                    await self._pause(ref)
                waiting = self._take(ref)
                if not waiting:
                    break
                draining = bool(self._waiting[ref])
                try:
                    await self.index.record_pages(ref, [w.page() for w in waiting])
                except IndexStoreError as e:
                    log.warning("could not index %d page(s) of %s: %s", len(waiting), ref, e.for_model())
                finally:
                    self._queued -= sum(len(w.messages) for w in waiting)
        finally:
            del self._waiting[ref]
            if not self._waiting:
                self._idle.set()
                self._hurry = False

    def _take(self, ref: str) -> list[_Waiting]:
        """The pages of ``ref`` the next write takes: the oldest, up to ``write_at_once`` messages (a page at least)."""
        pages, count = self._waiting[ref], 0
        for taken, page in enumerate(pages):
            count += len(page.messages)
            if count > self._at_once and taken:
                self._waiting[ref] = pages[taken:]
                return pages[:taken]
        self._waiting[ref] = []
        return pages

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


@dataclass(frozen=True)
class _Waiting:
    """A page waiting to be indexed: its messages as JSON, the rest of the page, the seq before it."""

    head: Batch
    messages: list[str]
    first: int

    @classmethod
    def of(cls, batch: Batch, first: int) -> _Waiting:
        return cls(replace(batch, messages=[]), [m.model_dump_json() for m in batch.messages], first)

    def page(self) -> tuple[Batch, int]:
        return replace(self.head, messages=[Message.model_validate_json(m) for m in self.messages]), self.first


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
