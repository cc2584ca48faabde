"""``ThreadIndex``: the index's one entry point for tools, sync and the command line, over any backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Any, TypeVar

import anyio

from ..errors import UsageError
from ..providers.base import Batch
from ..transcript import PART_KINDS, Message
from . import records
from .backend import Backend
from .model import Coverage, Digest, FailurePage, IndexedThread, ProviderRun, SearchPage
from .query import Filters, SearchQuery, terms
from .records import MessageRecord, ThreadWrite
from .sql import PlanFactory, reports, search, writes

T = TypeVar("T")
MAX_LIMIT = 100
LOCK_TTL_S = 120.0


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _kinds(kinds: Sequence[str] | None) -> int:
    unknown = set(kinds or ()) - set(PART_KINDS)
    if unknown:
        raise UsageError(f"Unknown part kinds: {', '.join(sorted(unknown))}.", hint=f"Known: {', '.join(PART_KINDS)}.")
    return records.kinds_mask(set(kinds or ()))


class ThreadIndex:
    """Searches, failure groups, coverage, digests and drill-down over the stored threads, and their writes.

    ``secrets`` are the configured credentials: they never reach the store, nor does any credential-like string.
    Writes finish even when the caller is cancelled (a write is one short transaction)."""

    def __init__(self, backend: Backend, *, secrets: Sequence[str] = (), clock: Callable[[], datetime] = _now) -> None:
        self.backend = backend
        self.secrets = tuple(s for s in secrets if s)
        self.clock = clock

    @property
    def where(self) -> str:
        return self.backend.where

    async def close(self) -> None:
        await self.backend.close()

    async def _read(self, plan: PlanFactory[T]) -> T:
        return await self.backend.run(plan)

    async def _write(self, plan: PlanFactory[T]) -> T:
        with anyio.CancelScope(shield=True):
            return await self.backend.run(plan, write=True)
        raise AssertionError("a shielded scope is not cancelled")

    # ---- queries --------------------------------------------------------------------------------

    async def search(
        self,
        query: str | None = None,
        *,
        provider: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        status: str | Sequence[str] | None = None,
        roles: Sequence[str] | None = None,
        kinds: Sequence[str] | None = None,
        errors_only: bool = False,
        limit: int = 10,
        offset: int = 0,
        configured: Sequence[str] = (),
    ) -> SearchPage:
        """Threads whose messages match every term of ``query`` and the filters, best first, with coverage.

        Raises:
            UsageError: an unknown part kind.
            IndexStoreError: the store cannot be read.
        """
        q = SearchQuery(
            terms=terms(query),
            filters=Filters(provider, since, until),
            statuses=(status,) if isinstance(status, str) else tuple(status or ()),
            roles=tuple(roles or ()),
            kinds=_kinds(kinds),
            errors_only=errors_only,
            limit=max(1, min(limit, MAX_LIMIT)),
            offset=max(0, offset),
        )
        found, total = await self._read(lambda: search.search(self.backend.dialect, q))
        digests = await self.digests([t.ref for t in found])
        threads = [t.model_copy(update={"digest": digests.get(t.ref)}) for t in found]
        more = q.offset + len(threads) < total
        cover = await self.coverage(provider, configured)
        return SearchPage(
            threads=threads, total=total, next_offset=q.offset + len(threads) if more else None, coverage=cover
        )

    async def failures(
        self,
        *,
        provider: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 10,
        offset: int = 0,
        configured: Sequence[str] = (),
    ) -> FailurePage:
        """Failures grouped by signature, the groups touching most threads first, with coverage."""
        f, size, start = Filters(provider, since, until), max(1, min(limit, MAX_LIMIT)), max(0, offset)
        groups, total = await self._read(lambda: reports.failure_groups(self.backend.dialect, f, size, start))
        more = start + len(groups) < total
        cover = await self.coverage(provider, configured)
        return FailurePage(
            groups=groups, total=total, next_offset=start + len(groups) if more else None, coverage=cover
        )

    async def coverage(self, provider: str | None = None, configured: Sequence[str] = ()) -> Coverage:
        """Per provider: threads indexed, how fresh, how many still running or partly read, what is left out;
        ``configured`` providers never indexed are named as missing."""
        found = await self._read(lambda: reports.coverage(self.backend.dialect, provider))
        seen = {c.provider for c in found if c.threads or c.last_run}
        wanted = [p for p in configured if provider is None or p == provider]
        return Coverage(providers=found, missing=[p for p in wanted if p not in seen])

    async def digest(self, ref: str) -> Digest | None:
        return (await self.digests([ref])).get(ref)

    async def digests(self, refs: Sequence[str]) -> dict[str, Digest]:
        """One digest per indexed thread among ``refs`` (threads not indexed are left out)."""
        return await self._read(lambda: reports.digests(self.backend.dialect, list(dict.fromkeys(refs))))

    async def messages(self, ref: str, from_seq: int | None = None, limit: int = 50) -> list[Message]:
        """Stored messages from ``from_seq`` on, in order (redacted, without vendor extras)."""
        return await self._read(lambda: reports.messages(ref, from_seq, max(1, min(limit, 1000))))

    async def thread(self, ref: str) -> IndexedThread | None:
        found = await self._read(lambda: reports.threads(self.backend.dialect, ref=ref))
        return found[0] if found else None

    async def threads(self, provider: str) -> dict[str, IndexedThread]:
        """Every indexed thread of a provider, by ref: what incremental sync compares a listing with."""
        found = await self._read(lambda: reports.threads(self.backend.dialect, provider=provider))
        return {t.ref: t for t in found}

    async def stats(self) -> dict[str, Any]:
        return {"where": self.where} | await self._read(lambda: reports.stats(self.backend.dialect))

    # ---- writes ---------------------------------------------------------------------------------

    def records(self, messages: Sequence[Message], first_seq: int) -> list[MessageRecord]:
        """What the index stores of these messages: redacted, each with its seq (the vendor's, else its position
        after ``first_seq``)."""
        return [records.record(m, seq, self.secrets) for seq, m in records.numbered(messages, first_seq)]

    async def write(self, write: ThreadWrite) -> None:
        await self._write(lambda: writes.write(self.backend.dialect, write, self.clock()))

    async def record_page(self, ref: str, batch: Batch, *, first_seq: int) -> None:
        """Write-through: index one vendor page a tool read (``first_seq`` is the seq before its first message).
        A thread first seen this way is marked partly read, so the next sync reads it whole."""
        await self.record_pages(ref, [(batch, first_seq)])

    async def record_pages(self, ref: str, pages: Sequence[tuple[Batch, int]]) -> None:
        """``record_page`` for several pages of one thread (each with the seq before its first message), in one
        write; the title and status are the latest page's that has them."""
        messages = [m for batch, _ in pages for m in batch.messages]
        await self.write(
            ThreadWrite(
                ref=ref,
                provider=ref.partition(":")[0],
                title=next((b.title for b, _ in reversed(pages) if b.title), None),
                status=next((b.status for b, _ in reversed(pages) if b.status), None),
                messages=[r for batch, first in pages for r in self.records(batch.messages, first)],
                usage=records.usage(messages, self.secrets),
                synced=False,
            )  # fmt: skip
        )

    async def remove(self, ref: str) -> bool:
        """Forget a thread (the vendor no longer has it)."""
        return await self._write(lambda: writes.remove(ref))

    async def record_run(
        self,
        provider: str,
        started: datetime,
        *,
        error: str | None = None,
        note: str | None = None,
        since: datetime | None = None,
        complete: bool = False,
    ) -> None:
        """Note a provider's sync as it ends: ``complete`` when it listed everything and read all that changed."""
        run = ProviderRun(provider=provider, started=started, finished=self.clock(), error=error, note=note,
                          since=since, complete=complete)  # fmt: skip
        await self._write(lambda: writes.record_run(self.backend.dialect, run))

    async def last_run(self, provider: str) -> ProviderRun | None:
        return await self._read(lambda: reports.last_run(self.backend.dialect, provider))

    @asynccontextmanager
    async def sync_lock(self, provider: str, owner: str, *, wait: float = 0.0) -> AsyncIterator[bool]:
        """Hold the provider's sync lock while the block runs; yields False when another holder kept it for
        ``wait`` seconds."""
        got = await self.backend.try_lock(provider, owner, LOCK_TTL_S)
        with anyio.move_on_after(wait):
            while not got:
                await anyio.sleep(0.2)
                got = await self.backend.try_lock(provider, owner, LOCK_TTL_S)
        try:
            yield got
        finally:
            if got:
                with anyio.CancelScope(shield=True):
                    await self.backend.unlock(provider, owner)

    async def renew_lock(self, provider: str, owner: str) -> bool:
        return await self.backend.try_lock(provider, owner, LOCK_TTL_S)
