"""``--format otel-messages``: the thread as OpenTelemetry GenAI messages, the value ``gen_ai.input.messages`` holds.

A JSON array of ``{role, parts[], name?}`` with ``text`` / ``tool_call`` / ``tool_call_response`` / ``reasoning``
parts; the other part kinds become generic parts (``{"type": "event", ...}``), which the schema allows. ``seq``,
``time`` and ``id`` ride along as extras. The OTLP trace export reuses this mapping for a turn's messages.
"""

from __future__ import annotations

from typing import Any, TextIO

from typing_extensions import assert_never

from ..transcript import (
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
from ..wire import compact_json
from .base import iso_z


class OtelMessagesWriter:
    """A JSON array, one OTel message per line, written as the pages arrive."""

    def __init__(self, out: TextIO, ref: str) -> None:
        self.out, self.first = out, True

    def start(self, title: str | None, status: str | None) -> None:
        self.out.write("[")

    def message(self, m: Message) -> None:
        for item in otel_messages(m):
            self.out.write(("\n" if self.first else ",\n") + compact_json(item))
            self.first = False

    def end(self, count: int) -> None:
        self.out.write("]\n" if self.first else "\n]\n")


OTEL_ROLES = {
    "user": "user",
    "assistant": "assistant",
    "agent": "assistant",
    "tool": "tool",
    "system": "system",
    "event": "system",
}


def otel_messages(m: Message) -> list[dict[str, Any]]:
    """One message as OTel GenAI messages; a tool call that carries its result adds a ``tool`` message after it."""
    parts: list[dict[str, Any]] = [{"type": "text", "content": m.text}] if m.text else []
    parts += [otel_part(p) for p in m.parts]
    extras = _compact({"name": m.author, "seq": m.seq, "time": iso_z(m.time) if m.time else None, "id": m.id})
    out = [{"role": OTEL_ROLES[m.role], "parts": parts, **extras}]
    for p in m.parts:
        if isinstance(p, ToolCallPart) and p.result is not None:
            response = _compact(
                {"type": "tool_call_response", "id": p.id, "response": p.result, "is_error": p.is_error}
            )
            out.append({"role": "tool", "parts": [response], "seq": m.seq})
    return out


def otel_part(part: Part) -> dict[str, Any]:
    if isinstance(part, ToolCallPart):
        return _compact(
            {"type": "tool_call", "id": part.id, "name": part.name, "arguments": part.arguments, "status": part.status}
        )
    if isinstance(part, ToolResultPart):
        return _compact(
            {
                "type": "tool_call_response",
                "id": part.id,
                "response": part.result,
                "name": part.name,
                "is_error": part.is_error,
            }
        )
    if isinstance(part, ReasoningPart):
        return {"type": "reasoning", "content": part.text}
    if isinstance(part, SubAgentPart):
        return _compact(
            {"type": "sub_agent", "name": part.name, "thread": part.thread, "content": part.text, "status": part.status}
        )
    if isinstance(part, ArtifactPart):
        return _artifact(part)
    if isinstance(part, PlanPart):
        return _compact(
            {"type": "plan", "title": part.title, "steps": [s.model_dump(exclude_none=True) for s in part.steps]}
        )
    if isinstance(part, EventPart):
        return _compact({"type": "event", **part.model_dump(exclude={"kind"}, exclude_none=True)})
    if isinstance(part, DataPart):
        return _compact({"type": "data", "category": part.category, "data": part.data})
    assert_never(part)


def _artifact(part: ArtifactPart) -> dict[str, Any]:
    fields = {"name": part.name, "mime_type": part.mime, "byte_size": part.size}
    if part.uri:
        return _compact(
            {"type": "uri", "modality": _modality(part.mime), "uri": part.uri, **fields, "content": part.text}
        )
    return _compact({"type": "artifact", **fields, "content": part.text})


def _modality(mime: str | None) -> str:
    kind = (mime or "").split("/", 1)[0]
    return kind if kind in ("image", "video", "audio") else "document"


def _compact(d: dict[str, Any]) -> dict[str, Any]:
    """Drop absent optional fields ("omit when not captured"); a tool call's null arguments are omitted too."""
    return {k: v for k, v in d.items() if v is not None}
