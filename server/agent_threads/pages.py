"""Vendor-neutral page assembly: cursors, filters and the output budget around a provider's read.

A page holds up to ``limit`` transcript messages, taken from as many vendor pages as it needs (``fill.Fill``
decides what it shows). A message cursor holds the provider's own paging state of the vendor page where the next
page starts (``v``), how many messages of that vendor page were already shown (``skip``), how many characters of
the next one's line (``off``: a message larger than the budget goes on over pages), the seq of the message
before the vendor page (``seq``) and the walk's memory (``w``). When the limit or the budget ends a page inside a
vendor page, the read-ahead keeps that vendor page and the next cursor continues in it right after what was
shown: nothing is lost, nothing is shown twice, and the vendor is not asked again.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

from . import readahead, render
from .cursors import Codec
from .errors import ProtocolError
from .fill import FRAME_TOKENS, Fill, Filters, View, field
from .providers.base import Batch, Listing, Provider, State
from .readahead import ReadAhead
from .refs import ThreadRef
from .shaping import estimate_tokens, fit, shape_entry
from .transcript import Message, MessagePage, ThreadEntry, ThreadList
from .walk import HINT, Walk

__all__ = ["FRAME_TOKENS", "Filters", "View", "list_page", "read_page", "structured"]

VENDOR_PAGE = 100
"""The page size a provider is asked for: a provider that pages by a count asks its vendor for the largest page."""
FILL_SECONDS = 10.0
"""A page stops taking further vendor pages after this long and returns what it holds, with a cursor."""
Digests = Callable[[list[str]], Awaitable[Mapping[str, str]]]
"""The digest line of each listed thread the index holds, by ref (``render_index.digest_line``)."""


async def read_page(
    provider: Provider,
    ref: ThreadRef,
    cursor: str | None,
    limit: int,
    filters: Filters,
    view: View,
    codec: Codec,
    ahead: ReadAhead | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[MessagePage, str]:
    """Up to ``limit`` transcript messages from as many vendor pages as it takes, within the budget and
    ``FILL_SECONDS``, and the page's text: heading, message lines, what was cut and where to continue (the lines
    alone when the view is not ``framed``)."""
    scope, started = f"msgs:{ref}", clock()
    state: dict[str, Any] = codec.decode(scope, cursor) if cursor else {"v": None, "skip": 0, "seq": 0}
    if state.get("x"):
        raise ProtocolError(str(state["x"]), provider=provider.id, hint=HINT)
    walk, fill = Walk.load(state.get("w")), Fill(limit, filters, view, str(ref))
    while True:
        at, seq = (int(state.get("skip", 0)), int(state.get("off", 0))), int(state.get("seq", 0))
        batch = await _vendor_page(provider, ref, state.get("v"), ahead)
        messages, dropped = walk.unique(batch.messages, seq)
        fill.meta(batch, dropped, fresh=at == (0, 0))
        stop = fill.add(messages, seq, at)
        if stop is not None:  # the limit or the budget ends the page inside this vendor page
            _keep(provider, ref, state.get("v"), batch, ahead)
            following: dict[str, Any] | None = {**state, "skip": stop[0], "off": stop[1], "w": walk.dump()}
            break
        following = None
        if batch.next_state is not None:
            following = _onward(provider, ref, seq + len(batch.messages), batch.next_state, messages, walk, ahead)
        if following is None or "x" in following or fill.full() or batch.incomplete:
            break
        if clock() - started >= FILL_SECONDS:
            break
        state = following
    page = fill.page(str(ref), codec.encode(scope, following) if following else None)
    lines = fill.lines() if view.fmt == "text" else [render.json_summary(page)]
    return page, render.page_text(page, lines, view.budget_tokens) if view.framed else "\n".join(lines)


def _onward(
    provider: Provider, ref: ThreadRef, seq: int, following: State, messages: list[Message], walk: Walk,
    ahead: ReadAhead | None,
) -> dict[str, Any]:  # fmt: skip
    """The cursor state for the vendor page after this one (fetched ahead; ``seq``: the seq it starts after). A
    page cursor that went round makes a cursor that raises the walk's error when followed: this page is still
    shown."""
    try:
        walk.step(following, [m.id for m in messages], provider=provider.id)
    except ProtocolError as e:
        return {"x": e.message}
    _read_ahead(provider, ref, following, ahead)
    return {"v": following, "skip": 0, "seq": seq, "w": walk.dump()}


async def _vendor_page(provider: Provider, ref: ThreadRef, state: State | None, ahead: ReadAhead | None) -> Batch:
    found = await ahead.take(readahead.key(provider.id, str(ref), state, VENDOR_PAGE)) if ahead is not None else None
    return found if found is not None else await provider.read(ref, state, VENDOR_PAGE)


def _keep(provider: Provider, ref: ThreadRef, state: State | None, batch: Batch, ahead: ReadAhead | None) -> None:
    """A vendor page the page stopped inside: the next cursor continues in it without asking the vendor again."""
    if ahead is not None:
        ahead.keep(readahead.key(provider.id, str(ref), state, VENDOR_PAGE), batch)


def _read_ahead(provider: Provider, ref: ThreadRef, state: State, ahead: ReadAhead | None) -> None:
    if ahead is not None:
        k = readahead.key(provider.id, str(ref), state, VENDOR_PAGE)
        ahead.start(k, lambda: provider.read(ref, state, VENDOR_PAGE))


def structured(page: MessagePage, fmt: Literal["text", "json"]) -> dict[str, Any] | None:
    """The structuredContent for a page: the whole page for json; none for text (the text says it all once)."""
    return page.model_dump(mode="json", exclude_none=True) if fmt == "json" else None


async def list_page(
    provider: Provider,
    parent: ThreadRef | None,
    cursor: str | None,
    limit: int,
    codec: Codec,
    view: View = View(),
    digests: Digests | None = None,
) -> tuple[ThreadList, str]:
    """One page of a listing: entries cleaned, masked and cut as messages are, each with its digest line when
    ``digests`` has one, as many as the budget holds (the cursor continues inside the vendor page when it cut one),
    the vendor's cursor walked as a thread's is."""
    scope = f"list:{provider.id}:{parent or ''}"
    state: dict[str, Any] = codec.decode(scope, cursor) if cursor else {}
    if state.get("x"):
        raise ProtocolError(str(state["x"]), provider=provider.id, hint=HINT)
    walk, skip, size = Walk.load(state.get("w")), int(state.get("skip", 0)), int(state.get("n", limit))
    listing = await provider.list_threads(parent, state.get("v"), size)
    entries = [shape_entry(e, redact=view.redact, secrets=view.secrets) for e in listing.threads[skip:]]
    lines = await digests([e.ref for e in entries if not e.children]) if digests and entries else {}
    note = field(listing.note, view, 4)
    tokens = view.budget_tokens - FRAME_TOKENS - estimate_tokens(note or "")

    def cost(e: ThreadEntry) -> int:
        text = render.entry_line(e) + lines.get(e.ref, "")
        return estimate_tokens(text) + estimate_tokens(e.model_dump_json(exclude_none=True))

    shown, left = fit(entries, cost, tokens)
    next_state = _list_onward(provider, listing, state, skip + len(shown) if left else None, size, walk)
    result = ThreadList(
        provider=provider.id,
        parent=str(parent) if parent else None,
        threads=shown,
        next_cursor=codec.encode(scope, next_state) if next_state else None,
        note=note,
    )
    return result, render.list_text(result, lines)


def _list_onward(
    provider: Provider, listing: Listing, state: dict[str, Any], cut_at: int | None, size: int, walk: Walk
) -> dict[str, Any] | None:
    """The listing cursor's state: inside this vendor page when the budget cut it at ``cut_at``, else the vendor's
    next page, walked (one that went round makes a cursor that raises the walk's error)."""
    if cut_at is not None:
        return {"v": state.get("v"), "skip": cut_at, "n": size, "w": walk.dump()}
    if listing.next_state is None:
        return None
    try:
        walk.step(listing.next_state, [e.ref for e in listing.threads], provider=provider.id)
    except ProtocolError as e:
        return {"x": e.message}
    return {"v": listing.next_state, "w": walk.dump()}
