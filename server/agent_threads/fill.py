"""What one page of a thread shows: messages filtered, shaped, numbered and rendered until the page holds
``limit`` of them or the output budget is spent, with the heading the vendor pages read give it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import chain, islice
from typing import Literal

from . import render
from .providers.base import Batch
from .render import Detail, Renderer, cut
from .shaping import FIELD, clean, estimate_tokens, fit, shape, squeeze
from .transcript import Message, MessagePage
from .wire import compact_json

FRAME_TOKENS = 150
"""Room kept for what surrounds the messages: the notices, the cursor (sealed ones run long), the metadata."""
Stop = tuple[int, int]
"""Where a page stopped inside its vendor page: the index of the first message not (wholly) shown, and how many
characters of that message's rendered line were shown already (0: none)."""
Item = tuple[int, Message, str, int]
"""A message ready for the page: its index on the vendor page, shaped, its line, and its cost in tokens."""


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
    """text: the transcript is the text (there is no structuredContent); json: the page is structuredContent."""
    secrets: tuple[str, ...] = ()
    """This server's own credentials: masked wherever they appear, whatever ``redact`` says."""
    framed: bool = True
    """False: a page's text is its message lines alone (a resource frames its pages itself)."""


class Fill:
    """A page being filled from one vendor page after another: the messages shown with their lines, the tokens
    left, whether the budget cut it, and its heading (title and status from the first vendor page that has them;
    a vendor page's note only where the page starts it; what any vendor page read lacks)."""

    def __init__(self, limit: int, filters: Filters, view: View, thread: str) -> None:
        self._limit, self._filters, self._view = limit, filters, view
        self._renderer = Renderer(view.detail, thread)
        self.tokens = view.budget_tokens - FRAME_TOKENS
        self.used = 0
        self.shown: list[tuple[Message, str]] = []
        self.cut = False
        self.title: str | None = None
        self.status: str | None = None
        self.notes: list[str] = []
        self.incomplete: str | None = None

    def meta(self, batch: Batch, dropped: list[str], fresh: bool) -> None:
        """Take a vendor page's heading (``fresh``: the page starts at its beginning; ``dropped``: ids it
        repeated), keeping room in the budget for what it adds."""
        had = (self.title, self.status, self.incomplete)
        self.title = self.title or field(batch.title, self._view)
        self.status = self.status or field(batch.status, self._view)
        self.incomplete = self.incomplete or field(batch.incomplete, self._view, 4)
        notes = [x for x in (batch.note if fresh else None, render.repeated_note(dropped)) if x]
        self.notes += notes
        new = [x for x, was in zip((self.title, self.status, self.incomplete), had) if x and not was]
        self.tokens -= sum(estimate_tokens(x or "") for x in (*new, *(field(n, self._view, 4) for n in notes)))

    def full(self) -> bool:
        return len(self.shown) >= self._limit

    def add(self, messages: list[Message], first_seq: int, start: Stop) -> Stop | None:
        """Messages from ``start``, numbered from ``first_seq`` + 1 where the vendor gave no seq, while the page has
        room and budget; where the page stopped inside ``messages`` (None: all of them were taken)."""
        keep = self._filters.keep
        indices = (i for i in range(start[0], len(messages)) if keep(messages[i]))
        chosen = list(islice(indices, self._limit - len(self.shown)))
        beyond = next(indices, None)
        items = (self._item(messages[i], first_seq + i + 1, i) for i in chosen)
        stop = self._fit(items, messages, start)
        if stop is None and beyond is not None:
            return (beyond, start[1] if beyond == start[0] else 0)
        return stop

    def page(self, thread: str, next_cursor: str | None) -> MessagePage:
        note = field("; ".join(self.notes), self._view, 4) if self.notes else None
        return MessagePage(
            thread=thread,
            title=self.title,
            status=self.status,
            messages=[m for m, _ in self.shown],
            next_cursor=next_cursor,
            truncated=self.cut,
            note=note,
            incomplete=self.incomplete,
        )

    def lines(self) -> list[str]:
        return [line for _, line in self.shown]

    def _item(self, message: Message, seq: int, index: int) -> Item:
        view = self._view
        shaped = shape(message, view.detail, redact=view.redact, seq=seq, secrets=view.secrets)
        line = self._renderer.message(shaped)
        return index, shaped, line, self._cost(shaped, line)

    def _fit(self, items: Iterator[Item], messages: list[Message], start: Stop) -> Stop | None:
        """Take ``items`` while they fit (``shaping.fit``). A message alone over the budget at the top of the page
        is shown in pieces across pages (text) or with its values shortened to fit (json)."""
        first = next(items, None)
        if first is None:
            return None
        index, shaped, line, cost = first
        offset = start[1] if index == start[0] else 0
        if not self.shown and (offset or cost > self.tokens):
            shaped, line, more = _oversized(messages[index], shaped, line, offset, self.tokens, self._view)
            self._take((index, shaped, line, self._cost(shaped, line)))
            if more is not None:
                self.cut = True
                return (index, more)
        else:
            items = chain([first], items)
        taken, left = fit(items, lambda item: item[3], self.tokens, used=self.used)
        for item in taken:
            self._take(item)
        self.cut = self.cut or left is not None
        return (left[0], 0) if left else None

    def _take(self, item: Item) -> None:
        self.shown.append((item[1], item[2]))
        self.used += item[3]

    def _cost(self, message: Message, line: str) -> int:
        """Estimated tokens of a message as this view returns it: its line, or its JSON (vendor extras and all)."""
        if self._view.fmt == "text":
            return estimate_tokens(line)
        return estimate_tokens(compact_json(message.model_dump(mode="json", exclude_none=True)))


def field(value: str | None, view: View, lines: int = 1) -> str | None:
    """A vendor field of a heading or listing (a title, a status, a note): cleaned, masked and cut."""
    return None if value is None else cut(clean(value, redact=view.redact, secrets=view.secrets), FIELD * lines)


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
