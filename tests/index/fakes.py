"""A scripted vendor for the index tests: a Provider whose threads the test grows, changes and deletes, and which
counts every call. Pages go forward by message index (``{"after": n}``), or count back from the newest like RDS
AI's (``relative=True``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, cast

import anyio
import httpx

from agent_threads.errors import NotFoundError, ServerError
from agent_threads.providers.base import Batch, Listing, State
from agent_threads.refs import ThreadRef
from agent_threads.transcript import Message, StreamEvent, ThreadEntry

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


@dataclass
class Thread:
    messages: list[Message]
    title: str | None = None
    status: str | None = "idle"
    updated: datetime = T0


@dataclass
class ScriptedProvider:
    id: str = "qoder"
    family: str = "qoder"
    relative: bool = False
    threads: dict[str, Thread] = field(default_factory=dict[str, Thread])
    reads: list[tuple[str, Any]] = field(default_factory=list[tuple[str, Any]])
    lists: int = 0
    broken: set[str] = field(default_factory=set[str])
    """Refs whose reads fail with a 5xx."""
    gone: set[str] = field(default_factory=set[str])
    """Refs still listed whose reads answer 404 (deleted since the listing)."""
    cut: set[str] = field(default_factory=set[str])
    """Refs whose last page comes back marked incomplete (the vendor's reply could not be read whole)."""
    hold: dict[str, tuple[Any, Any]] = field(default_factory=dict[str, tuple[Any, Any]])
    """Reads of ``ref`` from this state on wait: ref -> (state, anyio.Event set when one waits)."""
    client: httpx.AsyncClient = cast(httpx.AsyncClient, None)

    def describe(self) -> dict[str, Any]:
        return {"id": self.id}

    def add(self, key: str, texts: list[str], **meta: Any) -> str:
        ref = f"{self.id}:{key}"
        self.threads[ref] = Thread([message(t, i) for i, t in enumerate(texts)], **meta)
        return ref

    def grow(self, ref: str, *texts: str) -> None:
        thread = self.threads[ref]
        start = len(thread.messages)
        thread.messages.extend(message(t, start + i) for i, t in enumerate(texts))
        thread.updated += timedelta(minutes=len(texts))

    async def list_threads(self, parent: ThreadRef | None, state: State | None, limit: int) -> Listing:
        self.lists += 1
        refs = sorted(self.threads)
        at = int((state or {}).get("at", 0))
        entries = [self._entry(ref) for ref in refs[at : at + limit]]
        return Listing(entries, {"at": at + limit} if at + limit < len(refs) else None)

    def _entry(self, ref: str) -> ThreadEntry:
        t = self.threads[ref]
        return ThreadEntry(ref=ref, title=t.title, status=t.status, updated=t.updated, kind="thread")

    async def read(self, ref: ThreadRef, state: State | None, limit: int) -> Batch:
        key = str(ref)
        self.reads.append((key, state))
        if key in self.broken:
            raise ServerError("the vendor failed", provider=self.id, status=503)
        if key in self.hold and self.hold[key][0] == state:
            self.hold[key][1].set()
            await anyio.sleep_forever()
        if key not in self.threads or key in self.gone:
            raise NotFoundError("no such thread", provider=self.id, status=404)
        thread = self.threads[key]
        batch = self._relative(thread, state, limit) if self.relative else self._forward(thread, state, limit)
        if key in self.cut and batch.next_state is None:
            batch.incomplete = "the replay closed before it was complete"
        return batch

    def _forward(self, thread: Thread, state: State | None, limit: int) -> Batch:
        at = int((state or {}).get("after", 0))
        page = thread.messages[at : at + limit]
        more = at + limit < len(thread.messages)
        return Batch(page, {"after": at + limit} if more else None, title=thread.title, status=thread.status)

    def _relative(self, thread: Thread, state: State | None, limit: int) -> Batch:
        shown = int((state or {}).get("shown", 0))
        end = len(thread.messages) - shown
        page = thread.messages[max(0, end - limit) : end]
        numbered = [m.model_copy(update={"seq": i - len(page) - shown}) for i, m in enumerate(page)]
        return Batch(numbered, {"shown": shown + len(page)} if end - limit > 0 else None, status=thread.status)

    def stream(
        self, ref: ThreadRef, message: str | None, checkpoint: str | None
    ) -> AbstractAsyncContextManager[AsyncIterator[StreamEvent]]:
        raise NotImplementedError


def message(text: str, i: int) -> Message:
    role = "user" if i % 2 == 0 else "assistant"
    return Message(id=f"m{i}", role=role, text=text, time=T0 + timedelta(minutes=i))


class Counting:
    """A real provider, with every list and read call counted."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.id, self.family, self.client = inner.id, inner.family, inner.client
        self.lists = 0
        self.reads: list[str] = []

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    async def list_threads(self, parent: ThreadRef | None, state: State | None, limit: int) -> Listing:
        self.lists += 1
        return await self.inner.list_threads(parent, state, limit)

    async def read(self, ref: ThreadRef, state: State | None, limit: int) -> Batch:
        self.reads.append(str(ref))
        return await self.inner.read(ref, state, limit)

    def stream(
        self, ref: ThreadRef, message: str | None, checkpoint: str | None
    ) -> AbstractAsyncContextManager[AsyncIterator[StreamEvent]]:
        return self.inner.stream(ref, message, checkpoint)
