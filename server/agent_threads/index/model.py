"""What the thread index answers with: plain models whose fields the compact renderer and the tools need.

Every text in them (snippets, failure messages, answers, usage) is redacted text from the index: the index
stores nothing else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from ..errors import AgentThreadsError

MARK_OPEN, MARK_CLOSE = "«", "»"
"""Around each match in a snippet. The same characters inside stored text are shown as ‹ ›, so a mark is ours."""


class IndexStoreError(AgentThreadsError):
    """The index cannot be written or read (disk full, read-only, unreachable database); threads still read."""

    hint = "Reading threads from the vendors still works; fix the index store or set AGENT_THREADS_INDEX=off."


class Hit(BaseModel):
    seq: int
    role: str
    time: datetime | None = None
    snippet: str
    failure: str | None = None
    """The failure's signature when this message carries one."""


class Digest(BaseModel):
    """One short line about an indexed thread: sizes, failures, duration, the last answer's first words, usage."""

    ref: str
    messages: int
    tool_calls: int
    failures: int
    first_time: datetime | None = None
    last_time: datetime | None = None
    answer: str | None = None
    usage: str | None = None
    """As the vendor reported it (tokens, credits, model); None when it reports none: nothing is guessed."""

    @property
    def duration_s(self) -> float | None:
        if self.first_time is None or self.last_time is None:
            return None
        return (self.last_time - self.first_time).total_seconds()

    def line(self) -> str:
        bits = [_count(self.messages, "msg"), _count(self.tool_calls, "tool call") if self.tool_calls else None]
        bits.append(_count(self.failures, "failure") if self.failures else None)
        bits.append(_duration(self.duration_s))
        bits.append(self.usage)
        head = ", ".join(b for b in bits if b)
        return head + (f" · last: {self.answer}" if self.answer else "")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _duration(seconds: float | None) -> str | None:
    if seconds is None or seconds <= 0:
        return None
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


class ThreadHits(BaseModel):
    ref: str
    provider: str
    title: str | None = None
    status: str | None = None
    time: datetime | None = None
    running: bool = False
    matches: int
    """Messages of this thread that match; ``hits`` shows the best few."""
    hits: list[Hit]
    digest: Digest | None = None


class ProviderCoverage(BaseModel):
    provider: str
    threads: int = 0
    messages: int = 0
    running: int = 0
    incomplete: int = 0
    """Threads whose last read stopped part-way (time ran out, a vendor error): their newest messages may be missing."""
    oldest_sync: datetime | None = None
    newest_sync: datetime | None = None
    last_run: datetime | None = None
    last_error: str | None = None
    note: str | None = None
    """What the vendor's listing leaves out (e.g. DataAgent lists only the sessions this server has seen)."""


class Coverage(BaseModel):
    providers: list[ProviderCoverage]
    missing: list[str] = []
    """Providers configured here whose threads were never indexed."""

    @property
    def threads(self) -> int:
        return sum(p.threads for p in self.providers)

    def gaps(self) -> list[str]:
        """What the index does not cover, one plain sentence each."""
        out = [f"{p}: never indexed" for p in self.missing]
        for p in self.providers:
            if p.incomplete:
                out.append(f"{p.provider}: {p.incomplete} threads only partly read")
            if p.last_error:
                out.append(f"{p.provider}: last sync failed: {p.last_error}")
            if p.note:
                out.append(f"{p.provider}: {p.note}")
        return out

    def describe(self) -> str:
        """``N threads indexed (qoder 12, synced 5 min ago …)`` with what is not covered."""
        parts = [f"{p.provider} {p.threads}" + _fresh(p) for p in self.providers if p.threads]
        head = f"{self.threads} threads indexed" + (f" ({'; '.join(parts)})" if parts else "")
        gaps = self.gaps()
        return head + (f"; not covered: {'; '.join(gaps)}" if gaps else "")


def _fresh(p: ProviderCoverage) -> str:
    if p.newest_sync is None:
        return ""
    span = p.newest_sync.strftime("%Y-%m-%d %H:%M")
    if p.oldest_sync and p.oldest_sync.date() != p.newest_sync.date():
        span = f"{p.oldest_sync:%Y-%m-%d}…{span}"
    running = f", {p.running} running" if p.running else ""
    return f", synced {span} UTC{running}"


class ProviderRun(BaseModel):
    """The last sync of one provider, as recorded when it ended."""

    provider: str
    started: datetime | None = None
    finished: datetime | None = None
    error: str | None = None
    note: str | None = None
    since: datetime | None = None
    """The run listed threads updated from this time on (None: all of them)."""
    complete: bool = False
    """It listed the provider to the end and read every thread that had changed."""

    def fresh_for(self, since: datetime | None, now: datetime, window: float) -> float | None:
        """Seconds since this run ended, when it was complete, without error, covered ``since`` and ended less
        than ``window`` seconds before ``now``; else None (a refresh must list the provider again)."""
        if not self.complete or self.error or self.finished is None:
            return None
        if self.since is not None and (since is None or since < self.since):
            return None
        age = (now - self.finished).total_seconds()
        return age if 0 <= age < window else None


class SearchPage(BaseModel):
    threads: list[ThreadHits]
    total: int
    """Threads that match, over all pages."""
    next_offset: int | None = None
    coverage: Coverage


class FailureExample(BaseModel):
    ref: str
    seq: int
    time: datetime | None = None
    title: str | None = None


class FailureGroup(BaseModel):
    code: str
    pattern: str
    message: str
    """The latest failure's own message (redacted), as it was said."""
    count: int
    threads: int
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    examples: list[FailureExample]
    answer: str | None = None
    """The first line the agent answered after the latest example, in that thread."""

    @property
    def signature(self) -> str:
        return f"{self.code}: {self.pattern}" if self.pattern else self.code


class FailurePage(BaseModel):
    groups: list[FailureGroup]
    total: int
    next_offset: int | None = None
    coverage: Coverage


class IndexedThread(BaseModel):
    """A thread as the index holds it: what incremental sync and drill-down decide from."""

    ref: str
    provider: str
    title: str | None = None
    status: str | None = None
    kind: str | None = None
    created: datetime | None = None
    updated: datetime | None = None
    message_count: int = 0
    last_seq: int | None = None
    resume: dict[str, Any] | None = None
    """Where reading continues: ``{"state": <vendor paging state>, "seq": <seq before it>, "first": <id>}``;
    None means the thread is re-read from its start (its seqs count back from the newest)."""
    complete: bool = False
    running: bool = False
    listed: str | None = None
    """The listing entry's fingerprint when the thread was last read to its end."""
    synced_at: datetime | None = None
