"""Vendor-neutral page assembly: cursors, filters and the output budget around a provider's read.

A message cursor holds the provider's own paging state (``v``), how many messages of that vendor page
were already shown (``skip``), the seq of the page's first message (``seq``) and the page size. When the
budget cuts a page, the next cursor re-reads the same vendor page and skips what was shown: nothing is
lost and nothing is shown twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import chain
from typing import Any, Literal

from . import readahead, render
from .cursors import Codec
from .errors import ProtocolError
from .providers.base import Batch, Listing, Provider, State
from .readahead import ReadAhead
from .refs import ThreadRef
from .render import Detail, Renderer, cut
from .shaping import FIELD, clean, estimate_tokens, fit, shape, shape_entry, squeeze
from .transcript import Message, MessagePage, ThreadEntry, ThreadList
from .walk import HINT, Walk
from .wire import compact_json


@dataclass(frozen=True)
class Filters:
    roles: frozenset[str] | None = None
    kinds: frozenset[str] | None = None
    since: datetime | None = None

    def keep(self, m: Message) -> bool:
        if self.roles and m.role not in self.roles:
            return False
        if self.kinds and not (m.kinds() & self.kinds):
            return False
        return not (self.since and m.time and m.time < self.since)


@dataclass(frozen=True)
class View:
    detail: Detail = "compact"
    budget_tokens: int = 8000
    redact: bool = True
    fmt: Literal["text", "json"] = "text"
    """text: the transcript is the text, structuredContent only the page's metadata; json: the reverse."""
    secrets: tuple[str, ...] = ()
    """This server's own credentials: masked wherever they appear, whatever ``redact`` says."""
    framed: bool = True
    """False: a page's text is its message lines alone (a resource frames its pages itself)."""


FRAME_TOKENS = 150
"""Room kept for what surrounds the messages: the notices, the cursor (sealed ones run long), the metadata."""
Digests = Callable[[list[str]], Awaitable[Mapping[str, str]]]
"""The digest line of each listed thread the index holds, by ref (``render_index.digest_line``)."""
Stop = tuple[int, int]
"""Where a page stopped inside its vendor page: the index of the first message not (wholly) shown, and how many
characters of that message's rendered line were shown already (0: none)."""


async def read_page(
    provider: Provider,
    ref: ThreadRef,
    cursor: str | None,
    limit: int,
    filters: Filters,
    view: View,
    codec: Codec,
    ahead: ReadAhead | None = None,
) -> tuple[MessagePage, str]:
    """One page of a thread and its text: heading, message lines, what was cut and where to continue (the lines
    alone when the view is not ``framed``)."""
    scope = f"msgs:{ref}"
    state: dict[str, Any] = codec.decode(scope, cursor) if cursor else {"v": None, "skip": 0, "seq": 0, "n": limit}
    if state.get("x"):
        raise ProtocolError(str(state["x"]), provider=provider.id, hint=HINT)
    size, walk = int(state.get("n", limit)), Walk.load(state.get("w"))
    batch, state = await _filled_page(provider, ref, state, size, walk, ahead)
    messages, dropped = walk.unique(batch.messages, int(state.get("seq", 0)))
    page = _headed(ref, batch, dropped, view)
    frame = estimate_tokens(render.heading(page.thread, page.title, page.status, page.note, page.incomplete))
    frame += FRAME_TOKENS
    start = (int(state.get("skip", 0)), int(state.get("off", 0)))
    shown, stop = _fit(messages, int(state.get("seq", 0)), start, filters, view, view.budget_tokens - frame)
    next_state: dict[str, Any] | None = None
    if stop is not None:
        next_state = {**state, "skip": stop[0], "off": stop[1], "w": walk.dump()}
        if ahead is not None:
            ahead.keep(readahead.key(provider.id, str(ref), state.get("v"), size), batch)
    elif batch.next_state is not None:
        after = {**state, "seq": int(state.get("seq", 0)) + len(batch.messages)}  # numbered by place on the page
        next_state = _onward(provider, ref, after, batch.next_state, messages, walk, ahead)
    page.messages = [m for m, _ in shown]
    page.next_cursor = codec.encode(scope, next_state) if next_state else None
    page.truncated = stop is not None
    lines = [line for _, line in shown] if view.fmt == "text" else [render.json_summary(page)]
    return page, render.page_text(page, lines, view.budget_tokens, view.detail) if view.framed else "\n".join(lines)


def _headed(ref: ThreadRef, batch: Batch, dropped: list[str], view: View) -> MessagePage:
    """A page with its heading (title, status, note: cleaned, masked, cut) and no messages yet."""
    note = "; ".join(filter(None, [batch.note, render.repeated_note(dropped)])) or None
    return MessagePage(
        thread=str(ref),
        title=_field(batch.title, view),
        status=_field(batch.status, view),
        messages=[],
        note=_field(note, view, 4),
        incomplete=_field(batch.incomplete, view, 4),
    )


def _field(value: str | None, view: View, lines: int = 1) -> str | None:
    return None if value is None else cut(clean(value, redact=view.redact, secrets=view.secrets), FIELD * lines)


async def _filled_page(
    provider: Provider, ref: ThreadRef, state: dict[str, Any], size: int, walk: Walk, ahead: ReadAhead | None
) -> tuple[Batch, dict[str, Any]]:
    """The vendor page ``state`` points to; empty pages that say more follows are stepped over (the walk counts
    them, and gives up on too many), keeping the first page's heading."""
    first = batch = await _vendor_page(provider, ref, state.get("v"), size, ahead)
    while not batch.messages and batch.next_state is not None and not batch.incomplete:
        walk.step(batch.next_state, [], provider=provider.id)
        state = {**state, "v": batch.next_state, "skip": 0, "off": 0}
        batch = await _vendor_page(provider, ref, batch.next_state, size, ahead)
    if batch is not first:
        batch = replace(batch, title=first.title, status=first.status, note=first.note or batch.note)
    return batch, state


def _onward(
    provider: Provider,
    ref: ThreadRef,
    state: dict[str, Any],
    following: State,
    messages: list[Message],
    walk: Walk,
    ahead: ReadAhead | None,
) -> dict[str, Any]:
    """The cursor state for the vendor page after this one (fetched ahead; ``state`` holds the seq it starts
    after). A page cursor that went round makes a cursor that raises the walk's error when followed: this page is
    still shown."""
    try:
        walk.step(following, [m.id for m in messages], provider=provider.id)
    except ProtocolError as e:
        return {"x": e.message}
    size = int(state.get("n", 0))
    _read_ahead(provider, ref, following, size, ahead)
    return {"v": following, "skip": 0, "seq": int(state.get("seq", 0)), "n": size, "w": walk.dump()}


async def _vendor_page(
    provider: Provider, ref: ThreadRef, state: State | None, size: int, ahead: ReadAhead | None
) -> Batch:
    found = await ahead.take(readahead.key(provider.id, str(ref), state, size)) if ahead is not None else None
    return found if found is not None else await provider.read(ref, state, size)


def _read_ahead(provider: Provider, ref: ThreadRef, state: State, size: int, ahead: ReadAhead | None) -> None:
    if ahead is not None:
        ahead.start(readahead.key(provider.id, str(ref), state, size), lambda: provider.read(ref, state, size))


def structured(page: MessagePage, fmt: Literal["text", "json"]) -> dict[str, Any]:
    """The structuredContent for a page: the whole page for json; for text, only what the text does not say."""
    if fmt == "json":
        return page.model_dump(mode="json", exclude_none=True)
    meta: dict[str, Any] = {"count": len(page.messages)}  # thread, title, status and each #seq are in the text
    meta |= {"next_cursor": page.next_cursor} if page.next_cursor else {}
    meta |= {"incomplete": page.incomplete} if page.incomplete else {}
    return meta | ({"truncated": True} if page.truncated else {})


def _fit(
    messages: list[Message], first_seq: int, start: Stop, filters: Filters, view: View, tokens: int
) -> tuple[list[tuple[Message, str]], Stop | None]:
    """Shape, number (from ``first_seq`` + 1 where the vendor gave no seq) and render messages from ``start`` while
    they fit ``tokens`` (``shaping.fit``); returns them and where the page stopped. A message alone over the budget
    is shown in pieces across pages (text) or with its values shortened to fit (json)."""
    renderer = Renderer(view.detail)

    def items() -> Iterator[tuple[int, Message, str]]:
        for index in range(start[0], len(messages)):
            if filters.keep(messages[index]):
                shaped = shape(
                    messages[index], view.detail, redact=view.redact, seq=first_seq + index + 1, secrets=view.secrets
                )
                yield index, shaped, renderer.message(shaped)

    pending = items()
    first = next(pending, None)
    if first is None:
        return [], None
    index, shaped, line = first
    if start[1] or _cost(shaped, line, view) > tokens:
        piece = _oversized(messages[index], shaped, line, start[1], tokens, view)
        if piece[2] is not None:
            return [piece[:2]], (index, piece[2])
        taken, left = fit(pending, lambda item: _cost(item[1], item[2], view), tokens, used=_cost(*piece[:2], view))
        return [piece[:2], *((m, text) for _, m, text in taken)], (left[0], 0) if left else None
    taken, left = fit(chain([first], pending), lambda item: _cost(item[1], item[2], view), tokens)
    return [(m, text) for _, m, text in taken], (left[0], 0) if left else None


def _cost(message: Message, line: str, view: View) -> int:
    """Estimated tokens of a message as this view returns it: its line, or its JSON (vendor extras and all)."""
    if view.fmt == "text":
        return estimate_tokens(line)
    return estimate_tokens(compact_json(message.model_dump(mode="json", exclude_none=True)))


def _oversized(
    raw: Message, shaped: Message, line: str, offset: int, tokens: int, view: View
) -> tuple[Message, str, int | None]:
    """A message alone over the budget. Text: the piece of its line from ``offset`` that fits, and where the next
    page goes on inside it (None: it ends here). JSON: the message with its values cut to share the budget."""
    if view.fmt == "json":
        squeezed = squeeze(raw, tokens, redact=view.redact, seq=shaped.seq, secrets=view.secrets)
        return squeezed, "", None
    rest = line[offset:]
    room = max(400, len(rest) * tokens // max(1, estimate_tokens(rest)) - 80)
    head = f"#{shaped.seq} (continued) " if offset else ""
    if len(rest) <= room:
        return shaped, head + rest, None
    return shaped, f"{head}{rest[:room]}…[continued on the next page]", offset + room


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
    note = _field(listing.note, view, 4)
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
