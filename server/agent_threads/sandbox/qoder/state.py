"""The Qoder sandbox's state: per-session event logs with their session and thread views, cursor paging, and
the in-progress event whose deltas a stream shows before its final form lands in the log.

Event ids encode the session tag and the log position (``evt_019f`` + 4 hex tag + 24 hex position), so a
cursor or ``Last-Event-ID`` maps back to a position without an index, even in a generated 100k-event log.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import anyio

Event = dict[str, Any]
_PREFIX = "evt_019f"


def event_id(tag: int, pos: int) -> str:
    return f"{_PREFIX}{tag:04x}{pos:024x}"


def stamp(when: datetime) -> str:
    """RFC 3339 with nanoseconds, as Qoder writes ``processed_at``."""
    ns = when.microsecond * 1000 + 123
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{ns:09d}Z"


def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Record:
    """One event and where it shows: the session-level list and/or the lists of some threads."""

    event: Event
    threads: frozenset[str]
    in_session: bool = True


class View:
    """Log positions visible on one route (the session, or one thread), in order."""

    def __init__(self, base: Sequence[int]) -> None:
        self.base = base
        self.extra: list[int] = []

    def __len__(self) -> int:
        return len(self.base) + len(self.extra)

    def __getitem__(self, i: int) -> int:
        n = len(self.base)
        return self.base[i] if i < n else self.extra[i - n]

    def left(self, pos: int) -> int:
        """How many visible positions are < pos."""
        i = bisect_left(self.base, pos)
        return i if i < len(self.base) else len(self.base) + bisect_left(self.extra, pos)

    def right(self, pos: int) -> int:
        """How many visible positions are <= pos."""
        i = bisect_right(self.base, pos)
        return i if i < len(self.base) else len(self.base) + bisect_right(self.extra, pos)


@dataclass
class Pending:
    """An event being streamed: its ``event_start``/``event_delta`` frames so far, final form not yet logged."""

    id: str
    type: str
    record: Record
    frames: list[Event] = field(default_factory=list[Event])


class Log:
    """One session's events: a fixed or generated history plus what live turns append."""

    def __init__(self, tag: int, history: Sequence[Record], views: dict[str | None, Sequence[int]]) -> None:
        self.tag = tag
        self.history = history
        self.appended: list[Record] = []
        self.views = {key: View(base) for key, base in views.items()}

    def __len__(self) -> int:
        return len(self.history) + len(self.appended)

    def __getitem__(self, pos: int) -> Record:
        n = len(self.history)
        return self.history[pos] if pos < n else self.appended[pos - n]

    def view(self, thread: str | None) -> View:
        return self.views.setdefault(thread, View(()))

    def position(self, eid: str) -> int | None:
        """The log position of an event id of this session, or None."""
        head = f"{_PREFIX}{self.tag:04x}"
        tail = eid[len(head) :]
        if not eid.startswith(head) or len(tail) != 24 or not all(c in "0123456789abcdef" for c in tail):
            return None
        pos = int(tail, 16)
        return pos if pos < len(self) else None

    def append(self, record: Record) -> None:
        pos = len(self)
        self.appended.append(record)
        if record.in_session:
            self.view(None).extra.append(pos)
        for thread in record.threads:
            self.view(thread).extra.append(pos)

    def next_id(self) -> str:
        return event_id(self.tag, len(self))


@dataclass
class Live:
    """What streams wait on: the in-progress event, and a signal replaced on every change."""

    pending: Pending | None = None
    changed: anyio.Event = field(default_factory=anyio.Event)
    busy: bool = False
    listeners: int = 0
    """Open stream connections (a turn may wait for one, see ``qoder.turn_waits_for_listener``)."""
    sent: dict[str, Event] = field(default_factory=dict[str, Event])
    """Replies to POSTs by Idempotency-Key: a retried send is answered, not repeated."""

    def notify(self) -> None:
        self.changed.set()
        self.changed = anyio.Event()


def walk(n: int, start: int, step: int) -> Iterator[int]:
    i = start
    while 0 <= i < n:
        yield i
        i += step


def select(
    n: int,
    locate: Callable[[str], tuple[int, int]],
    *,
    order: str,
    after: str | None,
    before: str | None,
    limit: int,
    keep: Callable[[int], bool],
) -> tuple[list[int], bool]:
    """Indices of one page in list order, and whether more follow in the paging direction.

    ``after``/``before`` are relative to the list order (``order=desc`` lists newest first); ``locate(id)`` gives
    (count of entries < id, count of entries <= id) in ascending order.
    """
    step = 1 if order == "asc" else -1
    if before is None:
        start = 0 if step == 1 else n - 1
        if after is not None:
            lo, hi = locate(after)
            start = hi if step == 1 else lo - 1
        picked = _take(walk(n, start, step), keep, limit + 1)
        return picked[:limit], len(picked) > limit
    lo, hi = locate(before)
    picked = _take(walk(n, lo - 1 if step == 1 else hi, -step), keep, limit + 1)
    return picked[:limit][::-1], len(picked) > limit


def _take(indices: Iterator[int], keep: Callable[[int], bool], count: int) -> list[int]:
    out: list[int] = []
    for i in indices:
        if keep(i):
            out.append(i)
            if len(out) == count:
                break
    return out


def at(base: datetime, seconds: float) -> str:
    return stamp(base + timedelta(seconds=seconds))
