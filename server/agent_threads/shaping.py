"""What a message becomes before the model sees it, and what it costs: cleaned of control characters, masked,
values cut to the detail's caps (each cut says so), vendor extras left to ``detail="full"``; token estimates."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from typing_extensions import assert_never

from .redact import mask
from .render import Detail, cut, pairs
from .transcript import (
    ArtifactPart,
    DataPart,
    EventPart,
    Message,
    Part,
    PlanPart,
    ReasoningPart,
    SubAgentPart,
    ToolCallPart,
    ToolResultPart,
)
from .wire import as_text

M = TypeVar("M", bound=BaseModel)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


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


def clean(text: str, *, redact: bool) -> str:
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return mask(text) if redact else text


def _with(model: M, update: dict[str, Any]) -> M:
    """``model`` with ``update`` applied, copied only when a value differs (copies dominate a page's CPU time)."""
    for key, value in update.items():
        old = getattr(model, key)
        if old is not value and old != value:
            return model.model_copy(update=update)
    return model


def shape(message: Message, detail: Detail, *, redact: bool = True, seq: int | None = None) -> Message:
    """The message as the model will get it: cleaned, masked, values previewed, vendor extras dropped; ``seq``
    numbers a message that has none."""
    caps = CAPS[detail]
    parts = [p for p in (_shape_part(p, caps, redact) for p in message.parts) if p is not None]
    update: dict[str, Any] = {
        "text": cut(clean(message.text, redact=redact), caps.text),
        "parts": parts,
        "vendor": message.vendor if detail == "full" else None,
        "author": clean(message.author, redact=False) if message.author else None,
    }
    if seq is not None and not message.seq:
        update["seq"] = seq
    return _with(message, update)


def _shape_part(part: Part, caps: Caps, redact: bool) -> Part | None:
    def c(text: str | None, limit: int = caps.value) -> str | None:
        return None if text is None else cut(clean(text, redact=redact), limit)

    def result(text: str | None) -> str | None:
        return c(tidy_json(text) if caps.tidy and text else text)

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
        return part
    assert_never(part)


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
