"""A search query as terms, and the snippet that shows where they matched.

Query semantics, the same on every backend: the words of the query (a quoted span counts as one) must all
occur in a message, each as a literal, case-insensitive substring — inside a Chinese or Japanese word too.
Search-engine syntax (``*``, ``-``, ``NEAR``, ``OR``, parentheses) has no special meaning: it is matched as
text, so no query can fail to parse. A bare ``AND`` between words is dropped (it is what words do anyway).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from .model import MARK_CLOSE, MARK_OPEN

MAX_TERMS = 8
MAX_TERM = 200
SNIPPET = 160
_QUOTED = re.compile(r'"([^"]*)"|(\S+)')


def terms(query: str | None) -> list[str]:
    """The query's terms, lower-cased, each once, in order."""
    found: list[str] = []
    for quoted, word in _QUOTED.findall(query or ""):
        term = " ".join((quoted if quoted else word).split()).lower()[:MAX_TERM]
        if word == "AND" or not term or term in found:
            continue
        found.append(term)
    return found[:MAX_TERMS]


def snippet(text: str, found: list[str], width: int = SNIPPET) -> str:
    """One line of ``text`` around the first match, each match marked ``«…»``; the start when nothing matches."""
    flat = " ".join(text.split()).replace(MARK_OPEN, "‹").replace(MARK_CLOSE, "›")
    folded = flat.lower()
    if len(folded) != len(flat):  # a character that lower-cases to two: show the folded text
        flat = folded
    spans = _spans(folded, found)
    start = max(0, spans[0][0] - width // 3) if spans else 0
    end = min(len(flat), start + width)
    shown = [(a, b) for a, b in spans if a >= start and b <= end]
    out, at = [], start
    for a, b in shown:
        out += [flat[at:a], MARK_OPEN, flat[a:b], MARK_CLOSE]
        at = b
    out.append(flat[at:end])
    return ("…" if start > 0 else "") + "".join(out) + ("…" if end < len(flat) else "")


def _spans(folded: str, found: list[str]) -> list[tuple[int, int]]:
    """Non-overlapping match spans, longer terms first where two overlap."""
    taken: list[tuple[int, int]] = []
    for term in sorted(found, key=len, reverse=True):
        at = folded.find(term)
        while at >= 0:
            span = (at, at + len(term))
            if all(span[1] <= a or span[0] >= b for a, b in taken):
                taken.append(span)
            at = folded.find(term, at + len(term))
    return sorted(taken)


@dataclass(frozen=True)
class Filters:
    """What both searches and failure groups can be narrowed by."""

    provider: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class SearchQuery:
    terms: list[str]
    filters: Filters = Filters()
    statuses: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    kinds: int = 0
    """Bit mask of part kinds (``records.kinds_mask``); a message matches when it has any of them."""
    errors_only: bool = False
    limit: int = 10
    offset: int = 0
    per_thread: int = 3
