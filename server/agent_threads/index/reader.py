"""Reading one thread into the index: from where the last read stopped when the vendor's paging goes forward,
from the start otherwise; every vendor page is one write, so an interrupted read resumes at the next page."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..errors import AuthError, PermissionError_, ProtocolError, ProviderAPIError
from ..failures import is_running
from ..providers.base import Batch, Provider, State, listed_entry
from ..refs import ThreadRef
from ..transcript import ThreadEntry
from .model import IndexedThread
from .records import MessageRecord, Progress, ThreadWrite, fingerprint, usage
from .store import ThreadIndex

MAX_PAGES = 10_000


@dataclass(frozen=True)
class Start:
    state: State | None = None
    seq: int = 0
    first: str | None = None
    """The vendor id of the first message this state returned last time: if it differs now, re-read whole."""

    @property
    def full(self) -> bool:
        return self.state is None and self.seq == 0


class _Moved(Exception):
    """The stored paging state no longer returns what it did: the thread is read again from its start."""


def start_of(stored: IndexedThread | None) -> Start:
    resume = stored.resume if stored else None
    if not resume:
        return Start()
    return Start(state=resume.get("state"), seq=int(resume.get("seq") or 0), first=resume.get("first"))


@dataclass(frozen=True)
class Reading:
    """One thread to read into the index; ``on_page`` runs after each page is written (a sync renews its lock)."""

    index: ThreadIndex
    provider: Provider
    ref: ThreadRef
    entry: ThreadEntry
    page_size: int = 50
    on_page: Callable[[], Awaitable[object]] | None = None
    relisted: bool = False
    """The thread's listing changes with its read (``VendorSpec.lists_what_it_reads``): keep it as listed after."""


async def read_thread(reading: Reading, start: Start) -> None:
    """Raises:
    ProviderError: the vendor failed (``NotFoundError`` when the thread is gone).
    IndexStoreError: the index cannot be written."""
    if start.full:  # from the start anyway: what the first page held last time does not matter
        return await _read(reading, Start())
    try:
        await _read(reading, start)
    except _Moved:
        await _read(reading, Start())
    except ProviderAPIError as e:  # a stored cursor the vendor no longer accepts
        if e.retryable or isinstance(e, (AuthError, PermissionError_)):
            raise
        await _read(reading, Start())


async def _read(r: Reading, start: Start) -> None:
    state, seq, seen = start.state, start.seq, set[str]()
    status = r.entry.status
    for page in range(MAX_PAGES):
        batch = await r.provider.read(r.ref, state, r.page_size)
        if page == 0 and _moved(batch, start):
            raise _Moved
        status = (batch.status or status) if page == 0 else status
        records = r.index.records(batch.messages, seq)
        relative = any(rec.seq < 0 for rec in records)
        key = json.dumps(batch.next_state, sort_keys=True, default=str)
        last = batch.next_state is None or key in seen
        seen.add(key)
        entry = await _as_listed(r) if last and r.relisted else r.entry
        progress = _progress(state, seq, batch, records, relative=relative, last=last, entry=entry)
        replace = page == 0 and start.full and relative  # seqs that count back from the newest all move
        used = usage(batch.messages, r.index.secrets)
        await r.index.write(_write(r.provider.id, r.entry, batch, status, records, progress, used, replace=replace))
        if r.on_page is not None:
            await r.on_page()
        if last:
            return
        state, seq = batch.next_state, seq + len(batch.messages)
    raise ProtocolError(f"the thread has more than {MAX_PAGES} pages", provider=r.provider.id)


async def _as_listed(r: Reading) -> ThreadEntry:
    return await listed_entry(r.provider, r.ref) or r.entry


def _moved(batch: Batch, start: Start) -> bool:
    first = batch.messages[0].id if batch.messages else None
    return bool(start.first and first and first != start.first) or (bool(start.first) and not batch.messages)


def _progress(
    state: State | None,
    seq: int,
    batch: Batch,
    records: list[MessageRecord],
    *,
    relative: bool,
    last: bool,
    entry: ThreadEntry,
) -> Progress:
    """Where the next read starts: after this page while reading on; at this page once it is the last (the
    thread grows there); nowhere (re-read) when the seqs count back from the newest."""
    resume: dict[str, Any] | None
    if relative:
        resume = None
    elif last:
        resume = {"state": state, "seq": seq, "first": batch.messages[0].id if batch.messages else None}
    else:
        resume = {"state": batch.next_state, "seq": seq + len(records), "first": None}
    whole = last and not batch.incomplete  # a page the vendor's reply cut short is read again next time
    return Progress(resume=resume, complete=whole, listed=fingerprint(entry) if whole else None)


def _write(
    provider: str,
    entry: ThreadEntry,
    batch: Batch,
    status: str | None,
    records: list[MessageRecord],
    progress: Progress,
    used: str | None,
    *,
    replace: bool,
) -> ThreadWrite:
    tail = progress.complete and records and progress.resume is not None
    return ThreadWrite(
        ref=entry.ref, provider=provider, title=batch.title or entry.title, status=status, kind=entry.kind,
        created=entry.created, updated=entry.updated, messages=records, replace=replace,
        drop_after=max(r.seq for r in records) if tail else None, progress=progress,
        usage=used, running=is_running(status) if status else None,
    )  # fmt: skip
