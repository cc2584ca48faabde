"""The compact renderer and the output budget.

One message becomes one header line (``#seq time role[author]: text``); its further text lines and its
parts follow, each indented by two spaces, so nothing inside a message can pass for the server's own
markup (which always starts at column 0). Long values are cut with an explicit ``…(+N chars)`` marker.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel
from typing_extensions import assert_never

from .redact import mask
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

Detail = Literal["brief", "compact", "full"]
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


def cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…(+{len(text) - limit} chars)"


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


_QUIET = frozenset(
    {"success", "succeeded", "successful", "done", "ok", "completed", "complete", "finished", "auto_approved"}
)
"""Tool statuses that only say "it worked": left out of the compact line (errors and anything else stay)."""


def _args(value: Any) -> str:
    """Tool arguments: a flat object as ``k=v, …`` (fewer tokens than JSON), anything else as compact JSON."""
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    pairs = _pairs(value)
    return pairs if pairs is not None else as_text(value)


def _pairs(value: Any) -> str | None:
    """A flat object as ``k=v, …``; None for anything else."""
    if isinstance(value, dict) and all(isinstance(v, (str, int, float, bool)) or v is None for v in value.values()):
        return ", ".join(f"{k}={_scalar(v)}" for k, v in value.items())
    return None


def _scalar(value: Any) -> str:
    if isinstance(value, str) and value and not any(c in value for c in ",=()\n") and value.strip() == value:
        return value
    return json.dumps(value, ensure_ascii=False)


def part_line(part: Part) -> str:
    if isinstance(part, ToolCallPart):
        status = f" [{part.status}]" if part.status and part.status.lower() not in _QUIET else ""
        result = f" → {'ERROR ' if part.is_error else ''}{part.result}" if part.result else ""
        return f"tool {part.name}({_args(part.arguments)}){status}{result}"
    if isinstance(part, ToolResultPart):
        return f"tool result{' ' + part.name if part.name else ''}: {'ERROR ' if part.is_error else ''}{part.result}"
    if isinstance(part, ReasoningPart):
        return f"thinking: {part.text}"
    if isinstance(part, SubAgentPart):
        bits = [
            f"sub-agent {part.name}",
            f"[{part.status}]" if part.status else "",
            f"→ {part.thread}" if part.thread else "",
        ]
        return " ".join(b for b in bits if b) + (f": {part.text}" if part.text else "")
    if isinstance(part, ArtifactPart):
        meta = ", ".join(x for x in (part.mime, f"{part.size} bytes" if part.size else None, part.uri) if x)
        return f"artifact {part.name}" + (f" ({meta})" if meta else "") + (f": {part.text}" if part.text else "")
    if isinstance(part, PlanPart):
        return _plan_line(part)
    if isinstance(part, EventPart):
        return _event_line(part)
    if isinstance(part, DataPart):
        return f"data{' ' + part.category if part.category else ''}: {part.data}"
    assert_never(part)


def _plan_line(part: PlanPart) -> str:
    status, *statuses = quiet([part.status, *(s.status for s in part.steps)], skip_first=part.status is None)
    numbered = [f"{i}. {s.title}" if len(part.steps) > 1 else s.title for i, s in enumerate(part.steps, 1)]
    steps = "; ".join(t + (f" [{st}]" if st else "") for t, st in zip(numbered, statuses))
    head = "plan" + (f" {part.title}" if part.title else "") + (f" [{status}]" if status else "")
    return f"{head}: {steps}"


def quiet(statuses: list[str | None], *, skip_first: bool = False) -> list[str | None]:
    """Statuses of a plan and its steps with those that only say done left out, when each has one (where some
    step has none, a step without one must not read as done); ``skip_first``: the plan itself has no status."""
    judged = statuses[1:] if skip_first else statuses
    if not judged or not all(s and s.strip() for s in judged):
        return statuses
    return [None if s is None or s.strip().lower() in _QUIET else s for s in statuses]


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
    pairs = _pairs(value) if value else None
    return pairs if pairs is not None and mask(pairs) == pairs and mask(compact) == compact else compact


def _event_line(part: EventPart) -> str:
    head = "error" if part.is_error else "event"
    bits = [part.name, f"[{part.status}]" if part.status else "", part.code or ""]
    text = f"{head} " + " ".join(b for b in bits if b)
    if part.message:
        text += f": {part.message}"
    return text + (f" ({part.duration_s:g}s)" if part.duration_s is not None else "")


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


class Renderer:
    """Renders messages one by one. Compact views show ``HH:MM`` only when the minute changes (the date when the
    day does); ``full`` shows every timestamp to the second."""

    def __init__(self, detail: Detail = "compact") -> None:
        self._full = detail == "full"
        self._day: str | None = None
        self._minute: str | None = None

    def time(self, when: datetime | None) -> str:
        if when is None:
            return ""
        stamp = when.isoformat()  # "YYYY-MM-DDTHH:MM:SS…": slicing is ~5x cheaper than two strftime calls
        day, clock = stamp[:10], stamp[11:19] if self._full else stamp[11:16]
        if day != self._day:
            self._day, self._minute = day, clock
            return f"{day} {clock} "
        if clock == self._minute and not self._full:
            return ""
        self._minute = clock
        return clock + " "

    def message(self, m: Message) -> str:
        head = f"#{m.seq} {self.time(m.time)}"
        if m.role == "event" and not m.text:  # status changes: one line, no role label
            return head + " · ".join(_indent(part_line(p)) for p in m.parts)
        who = m.role + (f"[{m.author}]" if m.author else "")
        if not m.text and len(m.parts) == 1:
            return f"{head}{who}: {_indent(part_line(m.parts[0]))}"
        lines = [f"{head}{who}:" + (f" {_indent(m.text)}" if m.text else "")]
        lines.extend(f"  ↳ {_indent(part_line(p))}" for p in m.parts)
        return "\n".join(lines)
