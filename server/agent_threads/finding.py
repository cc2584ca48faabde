"""What ``search_threads`` and ``find_failures`` share: an optional bounded refresh of the index with progress,
the answer fitted to the output budget with a cursor bound to the query, and a ``resource_link`` per thread named.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from mcp.types import ContentBlock, ResourceLink, TextContent

from . import render_index as text_of
from .cursors import Codec
from .providers.base import Provider
from .refs import thread_uri
from .render import cut
from .schemas import ExampleView, FailuresView, GroupView, HitsView, SearchView
from .shaping import FIELD, estimate_tokens, fit
from .writethrough import unwrapped

if TYPE_CHECKING:
    from datetime import datetime

    from .index import FailurePage, SearchPage, SyncProgress, SyncSummary, ThreadIndex

REFRESH_S = 20.0
"""How long a refresh a tool asks for may take; what it did not reach is named, and the next one resumes."""
Report = Callable[[float, float | None, str], Awaitable[None]]


async def refresh(
    index: ThreadIndex, providers: Sequence[Provider], since: datetime | None, report: Report, fresh_for: float = 0.0
) -> SyncSummary:
    """An incremental sync of these providers within REFRESH_S, each thread read reported as progress; a provider
    whose last complete sync ended less than ``fresh_for`` seconds ago is not listed again."""
    from .index.sync import SyncOptions, sync

    totals: dict[str, tuple[int, int]] = {}

    async def progress(event: SyncProgress) -> None:
        totals[event.provider] = (event.done, event.total)
        done, total = (sum(x) for x in zip(*totals.values()))
        await report(float(done), float(total), text_of.sync_progress(done, total, event.ref))

    options = SyncOptions(since=since, deadline=REFRESH_S, lock_wait=REFRESH_S / 2, fresh_for=fresh_for)
    return await sync(index, [unwrapped(p) for p in providers], options, progress)


def scope(kind: str, **query: Any) -> str:
    """A cursor scope naming the query, so a cursor continues only the search it came from."""
    return f"{kind}:" + json.dumps(query, sort_keys=True, default=str, ensure_ascii=False)


def _fit(blocks: list[list[str]], head: list[str], budget: int) -> tuple[list[str], int]:
    """Whole blocks (a thread with its hits, a failure group) while they fit the budget, at least one
    (``shaping.fit``); the lines and how many blocks."""
    taken, _ = fit(blocks, _tokens, budget - _tokens(head))
    return [*head, *(line for block in taken for line in block)], len(taken)


def _tokens(lines: list[str]) -> int:
    return sum(estimate_tokens(line) for line in lines)


def _link(ref: str, title: str | None) -> ResourceLink:
    title = cut(title, FIELD) if title else None
    return ResourceLink(type="resource_link", uri=thread_uri(ref), name=ref, title=title, mime_type="text/plain")


def search_blocks(page: SearchPage) -> list[list[str]]:
    """Each thread of a search page: its line, its digest, its hits."""
    blocks = []
    for t in page.threads:
        block = [text_of.thread_head(t.ref, t.title, t.status, t.time, t.running)]
        block += [text_of.digest_line(t.digest)] if t.digest else []
        blocks.append(block + [text_of.hit_line(h) for h in t.hits])
    return blocks


def failure_blocks(page: FailurePage, offset: int) -> list[list[str]]:
    return [text_of.failure_rows(g, offset + i + 1) for i, g in enumerate(page.groups)]


def search_answer(
    page: SearchPage, query: str | None, offset: int, budget: int, notes: list[str], codec: Codec, at: str
) -> tuple[SearchView, list[ContentBlock]]:
    body, shown = _fit(search_blocks(page), notes, budget)
    cut = shown < len(page.threads)
    more = offset + shown if cut else page.next_offset
    cursor = codec.encode(at, {"o": more}) if more is not None else None
    text = [
        text_of.search_head(query, page, offset, shown),
        *body,
        text_of.coverage_text(page.coverage, page.total),
    ]
    text += text_of.find_footer(cursor, cut, budget, text_of.OPEN_HIT)
    threads = page.threads[:shown]
    hits = [HitsView(ref=t.ref, seqs=[h.seq for h in t.hits]) for t in threads]
    view = SearchView(total=page.total, threads=hits, next_cursor=cursor)
    return view, [TextContent(type="text", text="\n".join(text)), *(_link(t.ref, t.title) for t in threads)]


def failures_answer(
    page: FailurePage, offset: int, budget: int, notes: list[str], codec: Codec, at: str
) -> tuple[FailuresView, list[ContentBlock]]:
    body, shown = _fit(failure_blocks(page, offset), notes, budget)
    cut = shown < len(page.groups)
    more = offset + shown if cut else page.next_offset
    cursor = codec.encode(at, {"o": more}) if more is not None else None
    text = [
        text_of.failures_head(page, offset, shown),
        *body,
        text_of.coverage_text(page.coverage, page.total),
    ]
    text += text_of.find_footer(cursor, cut, budget, text_of.FAILURE_HINT)
    groups = page.groups[:shown]
    view = FailuresView(
        total=page.total,
        groups=[
            GroupView(
                signature=g.signature,
                count=g.count,
                threads=g.threads,
                examples=[ExampleView(ref=e.ref, seq=e.seq) for e in g.examples],
            )
            for g in groups
        ],
        next_cursor=cursor,
    )
    named = {e.ref: e.title for g in groups for e in g.examples}
    return view, [TextContent(type="text", text="\n".join(text)), *(_link(r, t) for r, t in named.items())]
