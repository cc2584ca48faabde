"""Vendor-neutral page assembly: cursors, filters and the output budget around a provider's read.

A page holds up to ``limit`` transcript messages, taken from as many vendor pages as it needs. A message
cursor holds the provider's own paging state of the vendor page where the next page starts (``v``), how many
messages of that vendor page were already shown (``skip``) and the seq of the message before it (``seq``).
When the limit or the budget ends a page inside a vendor page, the read-ahead keeps that vendor page, and the
next cursor continues in it right after the last message shown: nothing is lost, nothing is shown twice, and
the vendor is not asked again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
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

VENDOR_PAGE = 100
"""The page size a provider is asked for: a provider that pages by a count asks its vendor for the largest page."""
FILL_SECONDS = 10.0
"""A page stops taking further vendor pages after this long and returns what it holds, with a cursor."""


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
    """text: the transcript is the text (and there is no structuredContent); json: the page is structuredContent."""


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
    """Up to ``limit`` transcript messages, from as many vendor pages as it takes, within the budget and
    ``FILL_SECONDS``; what the page does not show stays with the read-ahead for the next cursor."""
    scope, started = f"msgs:{ref}", clock()
    at = _At.of(codec.decode(scope, cursor)) if cursor else _At(None, 0, 0)
    fill = _Fill(limit, filters, view, str(ref))
    while True:
        batch = await _vendor_page(provider, ref, at.v, ahead)
        fill.meta(batch, at)
        stop = fill.add(batch.messages, at)
        if stop is not None:  # the limit or the budget ends the page inside this vendor page
            _keep(provider, ref, at.v, batch, ahead)
            after: _At | None = _At(at.v, stop, at.seq)
            break
        after = _At(batch.next_state, 0, at.seq + len(batch.messages)) if batch.next_state is not None else None
        if after is None or fill.full() or batch.incomplete or clock() - started >= FILL_SECONDS:
            break
        at = after
    if batch.next_state is not None:
        _read_ahead(provider, ref, batch.next_state, ahead)
    page = fill.page(str(ref), codec.encode(scope, after.state()) if after else None)
    lines = fill.lines() if view.fmt == "text" else [render.json_summary(page)]
    return page, render.page_text(page, lines, view.budget_tokens)


@dataclass(frozen=True)
class _At:
    """A place in a thread: the provider's paging state of a vendor page, how many of its messages were shown
    already, and the seq of the message before it."""

    v: State | None
    skip: int
    seq: int

    @classmethod
    def of(cls, state: dict[str, Any]) -> _At:
        return cls(state.get("v"), int(state.get("skip", 0)), int(state.get("seq", 0)))

    def state(self) -> dict[str, Any]:
        return {"v": self.v, "skip": self.skip, "seq": self.seq}


class _Fill:
    """A page being filled: messages shaped and rendered until the limit or the budget, and the thread's title,
    status and note from the vendor pages read."""

    def __init__(self, limit: int, filters: Filters, view: View, thread: str) -> None:
        self._limit, self._filters, self._view = limit, filters, view
        self._renderer = Renderer(view.detail, thread)
        self._weight = 1 if view.fmt == "text" else 2  # the JSON form runs about twice the text's tokens
        self.shown: list[tuple[Message, str]] = []
        self.used, self.cut = 0, False
        self.title: str | None = None
        self.status: str | None = None
        self.note: str | None = None
        self.incomplete: str | None = None

    def meta(self, batch: Batch, at: _At) -> None:
        """Title and status from the first vendor page that has them; a vendor page's note only on the page
        that starts it (it says something once, not on every page taken from the same vendor page); what any
        vendor page read lacks."""
        self.title, self.status = self.title or batch.title, self.status or batch.status
        self.note = self.note or (batch.note if at.skip == 0 else None)
        self.incomplete = self.incomplete or batch.incomplete

    def full(self) -> bool:
        return len(self.shown) >= self._limit

    def add(self, messages: list[Message], at: _At) -> int | None:
        """Messages from ``at.skip`` on, numbered from ``at.seq`` + 1 where the vendor gave no seq; the index
        of the first one left out when the page is full or the budget spent, else None."""
        view = self._view
        for index in range(at.skip, len(messages)):
            if not self._filters.keep(messages[index]):
                continue
            if self.full():
                return index
            shaped = shape(messages[index], view.detail, redact=view.redact, seq=at.seq + index + 1)
            line = self._renderer.message(shaped)
            cost = estimate_tokens(line) * self._weight
            if self.used + cost > view.budget_tokens:
                if self.shown:
                    self.cut = True
                    return index
                shaped, line = _squeeze(shaped, view.budget_tokens // self._weight, view.detail)
                cost = estimate_tokens(line) * self._weight
            self.shown.append((shaped, line))
            self.used += cost
        return None

    def lines(self) -> list[str]:
        return [line for _, line in self.shown]

    def page(self, thread: str, next_cursor: str | None) -> MessagePage:
        messages = [m for m, _ in self.shown]
        return MessagePage(
            thread=thread,
            title=self.title,
            status=self.status,
            messages=messages,
            next_cursor=next_cursor,
            truncated=self.cut,
            note=self.note,
            incomplete=self.incomplete,
        )


def fit(
    messages: list[Message], filters: Filters, view: View, thread: str
) -> tuple[list[tuple[Message, str]], int | None]:
    """``messages`` (numbered already) shaped and rendered until the budget is spent: those shown with their
    lines, and the index of the first one left out (None when all fit)."""
    fill = _Fill(len(messages), filters, view, thread)
    stop = fill.add(messages, _At(None, 0, 0))
    return fill.shown, stop


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
