"""The model-visible text of the thread index (``render.py``'s part for it): search hits grouped by thread,
failure groups, digests, coverage and what a refresh did. Vendor text (titles, snippets, failure messages) is
flattened to one line and never starts a line, so it cannot pass for this server's own markup.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from .render import untrusted

if TYPE_CHECKING:
    from .index import Coverage, Digest, FailureGroup, FailurePage, Hit, SearchPage, SyncSummary

INDEX_OFF = (
    "The thread index is off (AGENT_THREADS_INDEX=off), so there is nothing to search. Unset AGENT_THREADS_INDEX "
    "(it defaults to a local SQLite file) and restart the server; `agent-threads-mcp sync` fills it at once."
)
OPEN_HIT = "get_thread_messages(thread=REF, from_seq=SEQ) opens the page at a hit"


def from_index_note(synced: datetime | None) -> str:
    when = f" at {_when(synced)} UTC" if synced else ""
    return f"from the thread index (read whole{when}; the vendor lists it unchanged since)"


def index_unavailable(why: str) -> str:
    return f"The thread index could not be opened: {why} Reading threads with get_thread_messages still works."


def _one_line(text: str | None) -> str:
    """A vendor string on one line, under ``render.untrusted``'s rule (what is left of its controls dropped)."""
    return untrusted(" ".join((text or "").split()))


def _when(when: datetime | None) -> str | None:
    return when.strftime("%Y-%m-%d %H:%M") if when else None


def refresh_text(summary: SyncSummary, window: float = 0.0) -> str:
    """What a refresh did, which providers were fresh enough to skip, and what it could not bring up to date."""
    listed = [p for p in summary.providers if p.fresh_s is None]
    fresh = [f"{p.provider} {p.fresh_s:.0f} s ago" for p in summary.providers if p.fresh_s is not None]
    counts = [sum(getattr(p, k) for p in listed) for k in ("new", "changed", "unchanged")]
    head = "refreshed: {} new, {} changed, {} unchanged".format(*counts) if listed else "not refreshed"
    if fresh:
        head += f"; synced within the last {window:g} s, not listed again: {', '.join(fresh)}"
    gaps: list[str] = []
    for p in listed:
        if p.error:
            gaps.append(f"{p.provider}: {p.error}")
        if p.not_refreshed:
            gaps.append(f"{p.provider}: {len(p.not_refreshed)} threads (time ran out; the next refresh resumes)")
        gaps += [f"{f.ref}: {_one_line(f.reason)}" for f in p.failed]
    return head + (f"; not refreshed: {'; '.join(gaps)}" if gaps else "")


def coverage_text(coverage: Coverage, matched: int) -> str:
    if matched:
        return f"coverage: {coverage.describe()}"
    counts = ", ".join(f"{p.provider} {p.threads}" for p in coverage.providers if p.threads) or "none indexed yet"
    gaps = coverage.gaps()
    return f"no match in {coverage.threads} threads ({counts})" + (f"; not covered: {'; '.join(gaps)}" if gaps else "")


def digest_line(digest: Digest) -> str:
    return f"  ≡ {_one_line(digest.line())}"


def thread_head(ref: str, title: str | None, status: str | None, when: datetime | None, running: bool) -> str:
    bits = [ref, _one_line(title) or None, _one_line(status) or None, _when(when), "running" if running else None]
    return " · ".join(b for b in bits if b)


def hit_line(hit: Hit) -> str:
    failure = f" [failure {_one_line(hit.failure)}]" if hit.failure else ""
    return f"  #{hit.seq} {hit.role}: {_one_line(hit.snippet)}{failure}"


def search_head(query: str | None, page: SearchPage, first: int, shown: int) -> str:
    what = f"search {json.dumps(query, ensure_ascii=False)}" if query else "threads matching the filters"
    span = f"{first + 1}–{first + shown}" if shown else "none"
    return f"{what} · {page.total} threads match · showing {span} · times UTC · «» marks a match"


def failure_rows(group: FailureGroup, number: int) -> list[str]:
    """One group: its line, then the examples (each ready for from_seq) and what the agent answered after."""
    seen = f"first {_when(group.first_seen) or '?'}, last {_when(group.last_seen) or '?'}"
    times = "1 time" if group.count == 1 else f"{group.count} times"
    lines = [f"{number}. {_one_line(group.signature)} — {times} in {group.threads} threads · {seen}"]
    lines.append("  e.g. " + ", ".join(f"{e.ref} #{e.seq}" for e in group.examples))
    if group.message and group.message != group.pattern:
        lines.append(f"  latest: {_one_line(group.message)}")
    if group.answer:
        lines.append(f"  answered after: {_one_line(group.answer)}")
    return lines


def failures_head(page: FailurePage, first: int, shown: int) -> str:
    span = f"{first + 1}–{first + shown}" if shown else "none"
    return f"failure groups · {page.total} groups · showing {span} · most threads affected first · times UTC"


def find_footer(next_cursor: str | None, cut_at_budget: bool, budget_tokens: int, hint: str) -> list[str]:
    out = [f"[cut at the output budget (~{budget_tokens} tokens); next_cursor continues]"] if cut_at_budget else []
    out.append(f"next_cursor: {next_cursor}" if next_cursor else "end of results")
    return [*out, hint]


def sync_progress(done: int, total: int, ref: str | None) -> str:
    return f"indexed {done}/{total} changed threads" + (f" (last: {ref})" if ref else "")


FAILURE_HINT = "get_thread_messages(thread=REF, from_seq=SEQ) opens the page at a failure"

TRIAGE = """Triage the failures of the agents{scope}.
For each failure group below (most threads affected first): say what failed in plain words, the likely cause \
(from the signature, the latest message and what the agent answered afterwards), and what to check next. Open an \
example at the failure with get_thread_messages(thread=REF, from_seq=SEQ) when the signature does not say enough. \
Close with the groups that matter most and why. Call find_failures(refresh=true) first if the coverage looks \
stale."""

THREAD_FAILURES = "Failures the thread index found in this thread (the signature groups the same cause across \
threads):"


def thread_failure_lines(found: Sequence[tuple[int, str, int]]) -> list[str]:
    """``(seq, signature, threads with it)`` per failure of one thread."""
    if not found:
        return ["  (none recorded in the index; read the transcript)"]
    return [
        f"  #{seq} {_one_line(signature)}" + (f" — also in {n - 1} other threads" if n > 1 else "")
        for seq, signature, n in found
    ]
