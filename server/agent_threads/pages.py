"""Vendor-neutral page assembly: cursors, filters and the output budget around a provider's read.

A message cursor holds the provider's own paging state (``v``), how many messages of that vendor page
were already shown (``skip``), the seq of the page's first message (``seq``) and the page size. When the
budget cuts a page, the next cursor re-reads the same vendor page and skips what was shown: nothing is
lost and nothing is shown twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from . import readahead, render
from .cursors import Codec
from .providers.base import Batch, Provider, State
from .readahead import ReadAhead
from .refs import ThreadRef
from .render import Detail, Renderer, cut
from .shaping import estimate_tokens, shape
from .transcript import Message, MessagePage, ThreadList


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
    scope = f"msgs:{ref}"
    state: dict[str, Any] = codec.decode(scope, cursor) if cursor else {"v": None, "skip": 0, "seq": 0, "n": limit}
    size = int(state.get("n", limit))
    batch = await _vendor_page(provider, ref, state.get("v"), size, ahead)
    messages = batch.messages
    shown, used, stop = _fit(messages, int(state.get("seq", 0)), int(state.get("skip", 0)), filters, view)
    next_state: dict[str, Any] | None = None
    if stop is not None:
        next_state = {**state, "skip": stop}
        if ahead is not None:
            ahead.keep(readahead.key(provider.id, str(ref), state.get("v"), size), batch)
    elif batch.next_state is not None:
        next_state = {"v": batch.next_state, "skip": 0, "seq": int(state.get("seq", 0)) + len(messages), "n": size}
        _read_ahead(provider, ref, batch.next_state, size, ahead)
    page = MessagePage(
        thread=str(ref),
        title=batch.title,
        status=batch.status,
        messages=[m for m, _ in shown],
        next_cursor=codec.encode(scope, next_state) if next_state else None,
        truncated=stop is not None,
        note=batch.note,
        incomplete=batch.incomplete,
    )
    lines = [line for _, line in shown] if view.fmt == "text" else [render.json_summary(page)]
    return page, render.page_text(page, lines, view.budget_tokens, view.detail)


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
    messages: list[Message], first_seq: int, skip: int, filters: Filters, view: View
) -> tuple[list[tuple[Message, str]], int, int | None]:
    """Shape, number (from ``first_seq`` + 1 where the vendor gave no seq) and render messages until the budget
    is spent; returns them, tokens used, and where it stopped."""
    renderer = Renderer(view.detail)
    weight = 1 if view.fmt == "text" else 2  # the JSON form runs about twice the text's tokens
    shown: list[tuple[Message, str]] = []
    used = 0
    for index in range(skip, len(messages)):
        if not filters.keep(messages[index]):
            continue
        shaped = shape(messages[index], view.detail, redact=view.redact, seq=first_seq + index + 1)
        line = renderer.message(shaped)
        cost = estimate_tokens(line) * weight
        if used + cost > view.budget_tokens:
            if shown:
                return shown, used, index
            shaped, line = _squeeze(shaped, view.budget_tokens // weight, view.detail)
            cost = estimate_tokens(line) * weight
        shown.append((shaped, line))
        used += cost
    return shown, used, None


def _squeeze(message: Message, tokens: int, detail: Detail) -> tuple[Message, str]:
    """A lone message bigger than the budget: cut its text to fit and say so."""
    room = max(200, tokens * 3)
    cut_msg = message.model_copy(update={"text": cut(message.text, room), "parts": message.parts[:3]})
    return cut_msg, Renderer(detail).message(cut_msg)


async def list_page(
    provider: Provider, parent: ThreadRef | None, cursor: str | None, limit: int, codec: Codec
) -> tuple[ThreadList, str]:
    scope = f"list:{provider.id}:{parent or ''}"
    state = codec.decode(scope, cursor).get("v") if cursor else None
    listing = await provider.list_threads(parent, state, limit)
    result = ThreadList(
        provider=provider.id,
        parent=str(parent) if parent else None,
        threads=listing.threads,
        next_cursor=codec.encode(scope, {"v": listing.next_state}) if listing.next_state else None,
        note=listing.note,
    )
    return result, render.list_text(result)
