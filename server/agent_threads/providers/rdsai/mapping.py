"""RDS AI rows and events onto the transcript.

Dify-style: a GetMessages row is one turn (``Query`` then ``Answer``) with its ``Events``; ChatMessages streams
``message``/``agent_message`` text, ``agent_thought`` reasoning, tool calls, ``message_end`` and ``error``.
Keys come in both casings (``event``/``Event``, ``ToolName``/``tool_name``), so every field accepts both.
Rows and the stream share :func:`answer_parts`.
"""

from __future__ import annotations

from typing import Any, Literal

from ...times import utc
from ...transcript import EventPart, Message, Part, ReasoningPart, ToolCallPart, ToolResultPart
from ...wire import as_text
from .wire import RdsEvent, Row

Kind = Literal["text", "replace", "thought", "tool_call", "tool_result", "error", "end", "skip", "other"]
_TEXT = frozenset({"message", "agent_message"})
_THOUGHT = frozenset({"agent_thought", "thought", "reasoning"})
_RESULT = frozenset({"tool_result", "tool_response", "tool_output", "observation"})
_OK = frozenset({"", "succeeded", "success", "finished", "completed", "normal", "done"})


def truthy(value: bool | str | None) -> bool:
    """``HasMore`` is a bool in one op and the string ``"true"``/``"false"`` in another."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def kind(ev: RdsEvent) -> Kind:
    name = (ev.event or "").lower()
    if ev.tool_name:
        return "tool_call"
    if name in _TEXT:
        return "text"
    if name == "message_replace":
        return "replace"
    if name in _THOUGHT:
        return "thought"
    if name in _RESULT or (ev.call_id and (ev.answer or ev.observation)):
        return "tool_result"
    if name == "error":
        return "error"
    if name == "message_end":
        return "end"
    if name in ("", "ping") and not (ev.answer or ev.description):
        return "skip"
    return "other"


def event_part(ev: RdsEvent) -> Part | None:
    """The part one event contributes on its own (text and the end are the message's, not parts)."""
    k = kind(ev)
    if k == "tool_call":
        result = ev.observation or (ev.answer if (ev.event or "").lower() not in _TEXT else None) or None
        return ToolCallPart(
            id=ev.call_id,
            name=ev.tool_name or "tool",
            arguments=ev.tool_arguments,
            status=ev.approval_status,
            result=result,
        )
    if k == "thought":
        text = ev.thought or ev.answer or ev.description
        return ReasoningPart(text=text) if text else None
    if k == "tool_result":
        return ToolResultPart(id=ev.call_id, result=ev.observation or ev.answer or "")
    if k == "error":
        return EventPart(
            name="reply",
            code=ev.code,
            message=ev.message or ev.answer,
            status=None if ev.status is None else as_text(ev.status),
            is_error=True,
        )
    if k == "other":
        return EventPart(name=ev.event or "event", message=ev.answer or ev.description or None)
    return None


def answer_parts(events: list[RdsEvent]) -> list[Part]:
    """The parts of one answer, each tool result folded into its call when both are there."""
    parts: list[Part] = []
    calls: dict[str, int] = {}
    for ev in events:
        part = event_part(ev)
        if isinstance(part, ToolResultPart) and part.id in calls:
            i = calls[part.id]
            parts[i] = parts[i].model_copy(update={"result": part.result, "is_error": part.is_error})
        elif part is not None:
            if isinstance(part, ToolCallPart) and part.id:
                calls[part.id] = len(parts)
            parts.append(part)
    return parts


def streamed_text(events: list[RdsEvent]) -> str:
    text = ""
    for ev in events:
        if kind(ev) == "text":
            text += ev.answer or ""
        elif kind(ev) == "replace":
            text = ev.answer or ""
    return text


def _feedback(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("rating") or value.get("Rating")
    return str(value) if value else None


def row_messages(row: Row) -> list[Message]:
    """One row as the user's query and the assistant's answer (with tool calls, feedback, failure)."""
    out: list[Message] = []
    when = utc(row.created_at)
    if row.query:
        files = [f.get("PreviewUrl") or f.get("Id") for f in row.message_files or []]
        out.append(
            Message(
                id=f"{row.id}:query", time=when, role="user", text=row.query, vendor={"files": files} if files else None
            )
        )
    parts = answer_parts(row.events)
    if rating := _feedback(row.feedback):
        parts.append(EventPart(name="feedback", status=rating))
    if (row.generation_status or "").lower() not in _OK:
        parts.append(_generation(row))
    text = row.answer or streamed_text(row.events)
    out.append(
        Message(
            id=row.id,
            time=utc(row.generation_finished_at) or when,
            role="assistant",
            text=text,
            parts=parts,
            vendor=_vendor(row),
        )
    )
    return out


def _generation(row: Row) -> EventPart:
    status = (row.generation_status or "").lower()
    start, end = utc(row.generation_started_at), utc(row.generation_finished_at)
    took = (end - start).total_seconds() if start and end else None
    failed = status in ("failed", "error", "stopped", "timeout")
    return EventPart(name="generation", status=row.generation_status, duration_s=took, is_error=failed or None)


def _vendor(row: Row) -> dict[str, Any] | None:
    keep = {"retriever_resources": row.retriever_resources or None, "stream_key": row.stream_key}
    keep |= {k: v for k, v in (row.model_extra or {}).items() if v not in (None, "", [], {})}
    found = {k: v for k, v in keep.items() if v is not None}
    return found or None
