"""The sync engine: brings the index up to date with the vendors, through the ``Provider`` protocol only.

For each provider (all at once; one failing leaves the others synced), under that provider's sync lock: list
its threads (containers first, then the threads under them), decide for each whether it is new, changed or
unchanged from what the index holds (the listing's updated time, status and title, a read that stopped
part-way, a thread that was running), and read only what is new — a few threads at a time. A thread the vendor
no longer has (404) leaves the index. A time bound stops everything cleanly (each write is atomic) and the
summary names what was not refreshed; the next sync resumes there.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import anyio
from pydantic import BaseModel

from ..errors import AgentThreadsError, NotFoundError
from ..providers.base import Provider
from ..redact import mask_secrets
from ..refs import parse_ref
from ..transcript import ThreadEntry
from .model import IndexedThread, IndexStoreError
from .reader import Reading, read_thread, start_of
from .records import fingerprint
from .store import ThreadIndex

MAX_LIST_PAGES = 1_000
Decision = Literal["new", "changed", "unchanged", "skipped"]


class ThreadProblem(BaseModel):
    ref: str
    reason: str


class ProviderSync(BaseModel):
    provider: str
    listed: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0
    """Listed but older than ``since``: not read."""
    removed: int = 0
    failed: list[ThreadProblem] = []
    not_refreshed: list[str] = []
    """Threads the time bound stopped before they were read to their end."""
    error: str | None = None
    note: str | None = None
    fresh_s: float | None = None
    """Seconds since its last complete sync, when that was within the refresh window: not listed again."""

    def line(self) -> str:
        if self.fresh_s is not None:
            return f"{self.provider}: synced {self.fresh_s:.0f} s ago, not listed again"
        counts = f"{self.new} new, {self.changed} changed, {self.unchanged} unchanged"
        extra = [f"{self.removed} removed" if self.removed else "", f"{len(self.failed)} failed" if self.failed else ""]
        extra.append(f"{len(self.not_refreshed)} not refreshed (time ran out)" if self.not_refreshed else "")
        text = f"{self.provider}: " + ", ".join(b for b in [counts, *extra] if b)
        return text + (f"; error: {self.error}" if self.error else "")


class SyncSummary(BaseModel):
    providers: list[ProviderSync]
    timed_out: bool = False

    def text(self) -> str:
        lines = [p.line() for p in self.providers]
        lines += [f"  {f.ref}: {f.reason}" for p in self.providers for f in p.failed]
        return "\n".join(lines + (["stopped at the time bound; the next sync resumes"] if self.timed_out else []))


@dataclass(frozen=True)
class SyncProgress:
    provider: str
    done: int
    total: int
    ref: str | None = None


ProgressCallback = Callable[[SyncProgress], Awaitable[None]]


@dataclass(frozen=True)
class SyncOptions:
    since: datetime | None = None
    deadline: float | None = None
    """Seconds for the whole sync (e.g. 20 for a refresh a tool asked for); None: no bound."""
    concurrency: int = 4
    """Threads read at once per provider (each vendor also rate-limits on its own)."""
    page_size: int = 50
    list_size: int = 50
    lock_wait: float = 30.0
    owner: str = ""
    fresh_for: float = 0.0
    """A provider whose last complete sync (covering ``since``) ended less than this many seconds ago is not
    listed again, whichever process ran it; 0: always list."""


async def sync(
    index: ThreadIndex,
    providers: Sequence[Provider],
    options: SyncOptions = SyncOptions(),
    progress: ProgressCallback | None = None,
) -> SyncSummary:
    """Sync every provider at once; never raises for a vendor's failure (the summary says it)."""
    owner = options.owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    results = [ProviderSync(provider=p.id) for p in providers]
    with anyio.move_on_after(options.deadline if options.deadline is not None else float("inf")) as bound:
        async with anyio.create_task_group() as group:
            for provider, out in zip(providers, results):
                group.start_soon(_provider, _Run(index, provider, options, owner, out, progress))
    return SyncSummary(providers=results, timed_out=bound.cancelled_caught)


@dataclass
class _Run:
    index: ThreadIndex
    provider: Provider
    options: SyncOptions
    owner: str
    out: ProviderSync
    progress: ProgressCallback | None
    done: int = 0
    reads: anyio.CancelScope | None = None

    def reason(self, e: AgentThreadsError) -> str:
        return mask_secrets(e.for_model(), self.index.secrets)

    async def renew(self) -> bool:
        """Keep this provider's sync lock while a long thread is read."""
        return await self.index.renew_lock(self.provider.id, self.owner)


async def _provider(run: _Run) -> None:
    started, listed = run.index.clock(), False
    try:
        if await _fresh(run):  # checked before the lock too, so repeated searches do not queue for it
            return
        async with run.index.sync_lock(run.provider.id, run.owner, wait=run.options.lock_wait) as got:
            if not got:
                run.out.error = "another sync of this provider is running; try again when it ends"
                return
            if await _fresh(run):  # another process synced it while this one waited
                return
            entries = await _leaves(run, None)
            listed = True
            await _refresh(run, entries)
    except IndexStoreError as e:
        run.out.error = run.reason(e)
    except AgentThreadsError as e:
        run.out.error = f"listing failed: {run.reason(e)}"
    finally:
        if run.out.fresh_s is None:  # a provider not listed again keeps the record of the sync it trusted
            if not listed and run.out.error is None:
                run.out.error = "time ran out while listing its threads"
            with anyio.CancelScope(shield=True):
                await _note_run(run, started, complete=listed and not run.out.not_refreshed)


async def _fresh(run: _Run) -> bool:
    """Whether the provider's last complete sync is within the refresh window (noted in the summary)."""
    if run.options.fresh_for <= 0:
        return False
    last = await run.index.last_run(run.provider.id)
    age = last.fresh_for(run.options.since, run.index.clock(), run.options.fresh_for) if last else None
    run.out.fresh_s = age
    return age is not None


async def _note_run(run: _Run, started: datetime, *, complete: bool) -> None:
    failed = f"{len(run.out.failed)} threads could not be read" if run.out.failed else None
    error = run.out.error or failed
    try:
        await run.index.record_run(
            run.provider.id, started, error=error, note=run.out.note, since=run.options.since,
            complete=complete and error is None,
        )  # fmt: skip
    except IndexStoreError as e:
        run.out.error = run.out.error or run.reason(e)


async def _leaves(run: _Run, parent: str | None) -> list[ThreadEntry]:
    """Every thread under ``parent`` (the provider's top level when None), containers opened."""
    found: list[ThreadEntry] = []
    state, seen = None, set[str]()
    for _ in range(MAX_LIST_PAGES):
        listing = await run.provider.list_threads(parse_ref(parent) if parent else None, state, run.options.list_size)
        run.out.note = run.out.note or listing.note
        for entry in listing.threads:
            found.extend(await _container(run, entry) if entry.children else [entry])
        key = json.dumps(listing.next_state, sort_keys=True, default=str)
        if listing.next_state is None or key in seen:
            break
        seen.add(key)
        state = listing.next_state
    return found


async def _container(run: _Run, entry: ThreadEntry) -> list[ThreadEntry]:
    try:
        return await _leaves(run, entry.ref)
    except IndexStoreError:
        raise
    except AgentThreadsError as e:
        run.out.failed.append(ThreadProblem(ref=entry.ref, reason=f"listing its threads failed: {run.reason(e)}"))
        return []


def decide(entry: ThreadEntry, stored: IndexedThread | None, since: datetime | None) -> Decision:
    if since is not None and entry.updated is not None and entry.updated < since:
        return "skipped"
    if stored is None:
        return "new"
    if not stored.complete or stored.running or stored.listed != fingerprint(entry):
        return "changed"
    return "unchanged"


async def _refresh(run: _Run, entries: list[ThreadEntry]) -> None:
    entries = list({e.ref: e for e in entries}.values())
    stored = await run.index.threads(run.provider.id)
    todo: list[tuple[ThreadEntry, IndexedThread | None]] = []
    for entry in entries:
        decision = decide(entry, stored.get(entry.ref), run.options.since)
        setattr(run.out, decision, getattr(run.out, decision) + 1)
        if decision in ("new", "changed"):
            todo.append((entry, stored.get(entry.ref)))
    run.out.listed = len(entries)
    run.out.not_refreshed = [entry.ref for entry, _ in todo]
    limiter = anyio.CapacityLimiter(max(1, run.options.concurrency))
    async with anyio.create_task_group() as group:
        run.reads = group.cancel_scope
        for entry, known in todo:
            group.start_soon(_one, run, limiter, entry, known, len(todo))


async def _one(
    run: _Run, limiter: anyio.CapacityLimiter, entry: ThreadEntry, known: IndexedThread | None, total: int
) -> None:
    async with limiter:
        try:
            await _read_one(run, entry, known)
            await run.renew()
        except IndexStoreError as e:  # every further write would fail too: stop this provider
            run.out.error = run.reason(e)
            if run.reads is not None:
                run.reads.cancel()
            return
        run.out.not_refreshed.remove(entry.ref)
        run.done += 1
        if run.progress is not None:
            await run.progress(SyncProgress(run.provider.id, run.done, total, entry.ref))


async def _read_one(run: _Run, entry: ThreadEntry, known: IndexedThread | None) -> None:
    """Read one thread; a vendor failure is noted and the others go on."""
    try:
        reading = Reading(run.index, run.provider, parse_ref(entry.ref), entry, run.options.page_size, run.renew)
        await read_thread(reading, start_of(known))
    except NotFoundError:
        await run.index.remove(entry.ref)
        run.out.removed += 1
    except IndexStoreError:
        raise
    except AgentThreadsError as e:
        run.out.failed.append(ThreadProblem(ref=entry.ref, reason=run.reason(e)))
