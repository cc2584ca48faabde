"""Drill-down: a page of a thread that starts at a given ``#seq`` (a search hit, a failure).

From the thread index when it holds the whole thread and the vendor's listing shows it unchanged since (no
transcript read at all); otherwise from the vendor, reading its pages in order up to the one holding the seq
and starting there — the next_cursor then goes on as any other. ``detail="full"`` always reads the vendor (the
index keeps no vendor extras).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import pages, readahead, render, render_index
from .cursors import Codec
from .errors import UsageError
from .fill import Fill
from .providers.base import Batch, Provider, State, listed_entry
from .readahead import ReadAhead
from .refs import ThreadRef
from .transcript import MessagePage

if TYPE_CHECKING:
    from .index import IndexedThread, ThreadIndex

MAX_PAGES = 500
LIST_PAGES = 5
"""Listing pages looked through for the thread's entry (its fingerprint) before trusting the vendor instead."""


@dataclass(frozen=True)
class Sources:
    """Where a page can come from besides the vendor, and how its cursor is made."""

    codec: Codec
    ahead: ReadAhead | None = None
    index: ThreadIndex | None = None


def scope(ref: ThreadRef) -> str:
    return f"msgs:{ref}"  # the scope pages.read_page gives a thread's cursors


async def read_from(
    src: Sources,
    provider: Provider,
    ref: ThreadRef,
    start: tuple[int, int],
    limit: int,
    f: pages.Filters,
    v: pages.View,
) -> tuple[MessagePage, str]:
    """The page starting at ``start``: a seq, and how many characters of that message's line were shown already
    (a message larger than the budget goes on over pages)."""
    from_seq, offset = start
    stored = await _servable(src, provider, ref) if v.detail != "full" else None
    if stored is not None:
        return await _from_index(src, stored, ref, start, limit, f, v)
    state = await _page_holding(src, provider, ref, from_seq)
    cursor = src.codec.encode(scope(ref), {**state, "off": offset})
    return await pages.read_page(provider, ref, cursor, limit, f, v, src.codec, src.ahead)


def index_start(codec: Codec, ref: ThreadRef, cursor: str) -> tuple[int, int] | None:
    """Where a cursor made by an index-served page continues (a seq, and the characters of its line already
    shown); None for a vendor cursor."""
    state = codec.decode(scope(ref), cursor)
    return (int(state["ix"]), int(state.get("off", 0))) if "ix" in state else None


async def _servable(src: Sources, provider: Provider, ref: ThreadRef) -> IndexedThread | None:
    """The indexed thread, when it is whole and the vendor lists it unchanged since."""
    if src.index is None:
        return None
    from .index import IndexStoreError
    from .index.records import fingerprint

    try:
        stored = await src.index.thread(str(ref))
    except IndexStoreError:
        return None
    if stored is None or not stored.complete or stored.running or stored.listed is None:
        return None
    entry = await listed_entry(provider, ref, LIST_PAGES)
    return stored if entry is not None and fingerprint(entry) == stored.listed else None


async def _from_index(
    src: Sources,
    stored: IndexedThread,
    ref: ThreadRef,
    start: tuple[int, int],
    limit: int,
    f: pages.Filters,
    v: pages.View,
) -> tuple[MessagePage, str]:
    assert src.index is not None
    found = await src.index.messages(str(ref), start[0], limit + 1)
    if not found:
        raise UsageError(f"{ref} has no message #{start[0]} or later.", hint=f"Its last is #{stored.last_seq}.")
    batch, fill = found[:limit], Fill(limit, f, v, str(ref))
    heading = Batch([], None, stored.title, stored.status, note=render_index.from_index_note(stored.synced_at))
    fill.meta(heading, [], fresh=True)
    stop = fill.add(batch, 0, (0, start[1]))
    following = (batch[stop[0]].seq, stop[1]) if stop else (found[limit].seq, 0) if len(found) > limit else None
    cursor = src.codec.encode(scope(ref), {"ix": following[0], "off": following[1]}) if following else None
    page = fill.page(str(ref), cursor)
    lines = fill.lines() if v.fmt == "text" else [render.json_summary(page)]
    return page, render.page_text(page, lines, v.budget_tokens)


async def _page_holding(src: Sources, provider: Provider, ref: ThreadRef, seq: int) -> dict[str, Any]:
    """The cursor state of the vendor page that holds ``seq``, skipping the messages before it."""
    state: State | None = None
    first, low, high = 0, None, None
    for _ in range(MAX_PAGES):
        batch = await provider.read(ref, state, pages.VENDOR_PAGE)
        seqs = [m.seq or first + i + 1 for i, m in enumerate(batch.messages)]
        if seqs and min(seqs) <= seq <= max(seqs):
            if src.ahead is not None:  # read_page takes this page instead of asking the vendor again
                src.ahead.keep(readahead.key(provider.id, str(ref), state, pages.VENDOR_PAGE), batch)
            return {"v": state, "skip": next(i for i, s in enumerate(seqs) if s >= seq), "seq": first}
        low = min([low, *seqs]) if low is not None else min(seqs, default=None)
        high = max([high, *seqs]) if high is not None else max(seqs, default=None)
        if batch.next_state is None:
            break
        state, first = batch.next_state, first + len(batch.messages)
    raise UsageError(
        f"{ref} has no message #{seq}" + (f" (its messages are #{low}…#{high})." if low is not None else "."),
        hint="Use a #seq from search_threads, find_failures or get_thread_messages.",
    )
