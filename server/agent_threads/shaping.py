"""What a message becomes before the model sees it, and what it costs: cleaned of control characters, masked,
values cut to the detail's caps (each cut says so), vendor extras left to ``detail="full"``; token estimates and
the budget rule every output follows (``fit``, ``bounded``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from typing_extensions import assert_never

from .redact import mask, mask_secrets
from .render import CONTROL, Detail, cut, pairs, untrusted
from .transcript import (
    ArtifactPart,
    DataPart,
    EventPart,
    Message,
    Part,
    PlanPart,
    ReasoningPart,
    SubAgentPart,
    ThreadEntry,
    ToolCallPart,
    ToolResultPart,
)
from .wire import as_text

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
FIELD = 300
"""Characters a one-line vendor field (a title, a status, a name) keeps in any output, the rest marked as cut."""


@dataclass(frozen=True)
class Caps:
    text: int
    value: int
    reasoning: int
    tidy: bool = True
    """Tool results that are JSON lose their layout (a flat object reads as ``k=v, …``)."""


CAPS: dict[str, Caps] = {
    "brief": Caps(text=280, value=80, reasoning=0),
    "compact": Caps(text=2000, value=200, reasoning=240),
    "full": Caps(text=1_000_000, value=1_000_000, reasoning=1_000_000, tidy=False),
}


def estimate_tokens(text: str) -> int:
    """A cheap cl100k estimate: ~3.2 ASCII chars per token (ids and JSON run dense), ~1.3 tokens per CJK char."""
    wide = (len(text.encode("utf-8")) - len(text)) // 2
    return int((len(text) - wide) / 3.2 + wide * 1.3) + 1


def fit(items: Iterable[T], cost: Callable[[T], int], tokens: int, *, used: int = 0) -> tuple[list[T], T | None]:
    """The budget rule every output of many items follows (messages, list entries, search hits, failure groups):
    items are taken whole, in order, while their estimated tokens fit ``tokens``; the first that does not fit
    ends the output and is returned as well, so the caller's cursor continues right at it. The first item of an
    output is always taken: when it alone is over the budget the caller cuts it (``bounded``) or continues inside
    it, never drops it unsaid. ``used``: tokens the output already holds (then no item is taken for free).
    ``items`` is read lazily: nothing after the stop is rendered."""
    taken: list[T] = []
    shown = used > 0
    for item in items:
        spent = cost(item)
        if (taken or shown) and used + spent > tokens:
            return taken, item
        taken.append(item)
        used += spent
    return taken, None


def bounded(text: str, tokens: int) -> str:
    """One text cut to about ``tokens`` with the ``…(+N chars)`` marker: for what has no cursor of its own (an
    error's text, a heading)."""
    estimate = estimate_tokens(text)
    if estimate <= tokens:
        return text
    return cut(text, max(1, len(text) * tokens // estimate - 12))


ERROR_TOKENS = 1000
"""An error's text is bounded here (or by a smaller budget_tokens): a vendor's message can be any size."""


def error_text(text: str, *, redact: bool = True, secrets: Sequence[str] = (), tokens: int = ERROR_TOKENS) -> str:
    """An error as the model reads it: masked as a transcript is, bounded, and under the one rule of ``untrusted``
    (a vendor's message is part of it)."""
    return untrusted(bounded(clean(text, redact=redact, secrets=secrets), min(tokens, ERROR_TOKENS)))


def clean(text: str, *, redact: bool, secrets: Sequence[str] = ()) -> str:
    """A vendor string without control characters, this server's own ``secrets`` masked always and credential-like
    strings masked when ``redact``."""
    text = CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if secrets:
        text = mask_secrets(text, secrets)
    return mask(text) if redact else text


def scrub(value: Any, *, redact: bool, secrets: Sequence[str] = ()) -> Any:
    """A JSON value (vendor extras, structured data) with every string in it, keys too, cleaned as ``clean``
    cleans text: the same masking reaches ``detail="full"`` and ``format="json"``."""
    if isinstance(value, str):
        return clean(value, redact=redact, secrets=secrets)
    if isinstance(value, list):
        return [scrub(v, redact=redact, secrets=secrets) for v in value]  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, dict):
        return {
            scrub(k, redact=redact, secrets=secrets): scrub(v, redact=redact, secrets=secrets)
            for k, v in value.items()  # pyright: ignore[reportUnknownVariableType]
        }
    return value


def _with(model: M, update: dict[str, Any]) -> M:
    """``model`` with ``update`` applied, copied only when a value differs (copies dominate a page's CPU time)."""
    for key, value in update.items():
        old = getattr(model, key)
        if old is not value and old != value:
            return model.model_copy(update=update)
    return model


def shape(
    message: Message,
    detail: Detail | Caps,
    *,
    redact: bool = True,
    seq: int | None = None,
    secrets: Sequence[str] = (),
) -> Message:
    """The message as the model will get it: cleaned and masked (``secrets``, this server's own credentials, always),
    values previewed, vendor extras kept, masked the same way, for ``full`` only; ``seq`` numbers a message that
    has none."""
    caps = detail if isinstance(detail, Caps) else CAPS[detail]
    parts = [p for p in (_shape_part(p, caps, redact, secrets) for p in message.parts) if p is not None]
    vendor = scrub(message.vendor, redact=redact, secrets=secrets) if detail == "full" and message.vendor else None
    update: dict[str, Any] = {
        "text": cut(clean(message.text, redact=redact, secrets=secrets), caps.text),
        "parts": parts,
        "vendor": vendor,
        "author": clean(message.author, redact=False, secrets=secrets) if message.author else None,
    }
    if seq is not None and not message.seq:
        update["seq"] = seq
    return _with(message, update)


def shape_entry(entry: ThreadEntry, *, redact: bool = True, secrets: Sequence[str] = ()) -> ThreadEntry:
    """A list entry as the model gets it: its strings cleaned, masked and cut as a message's names are, its vendor
    extras masked and, when long, kept as cut JSON text."""
    update = _names(entry, redact, secrets)
    if entry.vendor:
        vendor = scrub(entry.vendor, redact=redact, secrets=secrets)
        extras = as_text(vendor)
        update["vendor"] = {"cut": cut(extras, FIELD)} if len(extras) > FIELD else vendor
    return _with(entry, update)


def squeeze(
    message: Message, tokens: int, *, redact: bool = True, seq: int | None = None, secrets: Sequence[str] = ()
) -> Message:
    """A message alone over the budget, in its JSON form: its text and values cut to share about ``tokens``, its
    vendor extras, if any, as JSON text cut the same way (each cut says so)."""
    room = max(300, tokens * 3)
    share = max(80, room // (3 + len(message.parts)))
    shaped = shape(
        message, Caps(text=room // 3, value=share, reasoning=share, tidy=False), redact=redact, seq=seq, secrets=secrets
    )
    if not message.vendor:
        return shaped
    vendor = scrub(message.vendor, redact=redact, secrets=secrets)
    extras = as_text(vendor)
    return shaped.model_copy(update={"vendor": {"cut": cut(extras, share)} if len(extras) > share else vendor})


def _shape_part(part: Part, caps: Caps, redact: bool, secrets: Sequence[str]) -> Part | None:
    def c(text: str | None, limit: int = caps.value) -> str | None:
        return None if text is None else cut(clean(text, redact=redact, secrets=secrets), limit)

    def result(text: str | None) -> str | None:
        return c(tidy_json(text) if caps.tidy and text else text)

    part = _with(part, _names(part, redact, secrets))
    if isinstance(part, ToolCallPart):
        args = c(as_text(part.arguments)) if part.arguments is not None else None
        return _with(part, {"arguments": args, "result": result(part.result)})
    if isinstance(part, ToolResultPart):
        return _with(part, {"result": result(part.result)})
    if isinstance(part, ReasoningPart):
        return _with(part, {"text": c(part.text, caps.reasoning)}) if caps.reasoning else None
    if isinstance(part, (SubAgentPart, ArtifactPart)):
        return _with(part, {"text": c(part.text)})
    if isinstance(part, EventPart):
        return _with(part, {"message": c(part.message)})
    if isinstance(part, DataPart):
        return _with(part, {"data": c(as_text(part.data))})
    if isinstance(part, PlanPart):
        steps = [_with(s, _names(s, redact, secrets, FIELD * 2)) for s in part.steps]
        return _with(part, {"steps": steps})
    assert_never(part)


_VALUES = frozenset({"text", "result", "message", "arguments", "data", "steps"})
"""Part fields shaped by their detail's caps; every other string field of a part is a name, cut at FIELD."""
_WHOLE = frozenset({"id", "ref", "thread", "uri"})
"""Names that only work whole (refs, ids, links): cleaned and masked but never cut."""


def _names(model: BaseModel, redact: bool, secrets: Sequence[str], limit: int = FIELD) -> dict[str, Any]:
    """The short string fields of a part or entry (names, statuses, codes, refs) cleaned, masked and, but for
    refs, ids and links, cut at ``limit``."""
    update: dict[str, Any] = {}
    for key in type(model).model_fields:
        value = getattr(model, key)
        if key not in _VALUES and isinstance(value, str):
            value = clean(value, redact=redact, secrets=secrets)
            update[key] = value if key in _WHOLE else cut(value, limit)
    return update


def tidy_json(text: str) -> str:
    """A JSON result without its layout: a flat object as ``k=v, …`` (as tool arguments show) unless the secret
    masking would read that form differently; other JSON compact; anything else unchanged."""
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return text
    try:
        value: Any = json.loads(stripped)
    except ValueError:
        return text
    compact = as_text(value)
    flat = pairs(value) if value else None
    return flat if flat is not None and mask(flat) == flat and mask(compact) == compact else compact
