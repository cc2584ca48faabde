"""DMS chat events and history onto the transcript, shared by reading and following.

``CHAT_START … CHAT_FINISH`` is one assistant turn: ``DELTA`` chunks are merged, ``DATA`` is a whole paragraph or
(``content_type: json``) a structured result rendered by its ``category``. The session's user messages and
artifacts (DescribeDataAgentSession) become messages of their own.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ...times import utc
from ...transcript import (
    ArtifactPart,
    DataPart,
    EventPart,
    Mark,
    Message,
    MessageStart,
    Part,
    PartAdded,
    PlanPart,
    PlanStep,
    StreamEvent,
    TextDelta,
    TurnEnd,
)
from .wire import Artifact, ChatEvent, HistoryMessage

REASONING_CATEGORIES = frozenset({"REASONING", "THINKING", "THINK", "THOUGHT"})
ERROR_CATEGORIES = frozenset({"ERROR", "EXCEPTION", "FAILED", "FAILURE"})
_DONE = frozenset({"SUCCESS", "SUCCEEDED", "FINISHED", "COMPLETED", "DONE"})
_FAILED = frozenset({"FAILED", "FAILURE", "ERROR", "CANCELLED", "CANCELED", "TIMEOUT"})


def epoch(value: float | str | None) -> datetime | None:
    """DMS times are epoch seconds or milliseconds, as numbers or strings (or, rarely, ISO text)."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return utc(value)
    if value is None:
        return None
    return utc(value, unit=1e-3) if value > 100_000_000_000 else utc(value)


# ---- DATA payloads ------------------------------------------------------------------------------


def data_part(category: str | None, raw: str) -> Part:
    """A ``content_type: json`` DATA payload as a typed part, chosen by its category."""
    try:
        value: Any = json.loads(raw)
    except ValueError:
        return DataPart(category=category, data=raw)
    upper = (category or "").upper()
    if upper == "PLAN":
        return plan_part(value)
    if upper in ERROR_CATEGORIES:
        return error_part(category or "ERROR", value)
    return DataPart(category=category, data=_unwrap(value))


def plan_part(value: Any) -> PlanPart:
    steps_raw = value.get("steps", value.get("Steps", [])) if isinstance(value, dict) else value
    title = value.get("title") or value.get("goal") if isinstance(value, dict) else None
    steps = [_step(s) for s in steps_raw] if isinstance(steps_raw, list) else []
    return PlanPart(title=str(title) if title else None, steps=steps)


def _step(raw: Any) -> PlanStep:
    if not isinstance(raw, dict):
        return PlanStep(title=str(raw))
    title = next((raw[k] for k in ("title", "name", "step", "content", "description") if raw.get(k)), "")
    detail = raw.get("detail") or (raw.get("description") if title != raw.get("description") else None)
    status = raw.get("status") or raw.get("state")
    return PlanStep(title=str(title), status=str(status) if status else None, detail=str(detail) if detail else None)


def error_part(name: str, value: Any) -> EventPart:
    if not isinstance(value, dict):
        return EventPart(name=name, message=str(value), is_error=True)
    code = value.get("code") or value.get("error_code") or value.get("ErrorCode")
    message = (
        value.get("message") or value.get("error") or value.get("ErrorMessage") or json.dumps(value, ensure_ascii=False)
    )
    status = value.get("status")
    return EventPart(
        name=name,
        status=str(status) if status else None,
        code=str(code) if code else None,
        message=str(message),
        is_error=True,
    )


def _unwrap(value: Any) -> Any:
    """``{"sql": "..."}``-style payloads render as their one string."""
    if isinstance(value, dict) and len(value) == 1:
        only = next(iter(value.values()))
        if isinstance(only, str):
            return only
    return value


# ---- the turn translator ------------------------------------------------------------------------


class TurnTranslator:
    """Turns GetChatContent events into stream events; ``Mark(checkpoint)`` follows each vendor event."""

    def __init__(self) -> None:
        self.turn_id: str | None = None
        self.open = False
        self._has_text = False
        self._in_delta = False

    def feed(self, event: ChatEvent) -> list[StreamEvent]:
        kind = event.event_type.upper()
        out: list[StreamEvent] = []
        if kind == "CHAT_START" or self.turn_id is None or not self.open:
            out.append(self._start(event))
        if kind == "DELTA":
            out.extend(self._delta(event))
        elif kind == "DATA":
            out.extend(self._data(event))
        elif kind == "CHAT_FINISH":
            out.extend(self._finish(event))
        elif kind != "CHAT_START":
            out.append(PartAdded(self._id, EventPart(name=event.event_type or "event", message=event.content or None)))
        if event.checkpoint is not None:
            out.append(Mark(str(event.checkpoint)))
        if kind == "CHAT_FINISH":
            out.append(TurnEnd("finished", str(event.checkpoint) if event.checkpoint is not None else None))
        return out

    @property
    def _id(self) -> str:
        return self.turn_id or "turn"

    def _start(self, event: ChatEvent) -> MessageStart:
        self.turn_id = f"turn-{event.checkpoint if event.checkpoint is not None else 0}"
        self.open, self._has_text, self._in_delta = True, False, False
        return MessageStart(self.turn_id, "assistant", time=_event_time(event))

    def _text(self, text: str, *, paragraph: bool) -> TextDelta:
        """DELTA chunks of a run join with nothing between them; a DATA event is a whole message of its own (not a
        block of one text), so it starts a paragraph, as does the run of DELTAs after it."""
        sep = "\n\n" if self._has_text and paragraph else ""
        self._has_text = self._has_text or bool(text)
        return TextDelta(self._id, sep + text)

    def _delta(self, event: ChatEvent) -> list[StreamEvent]:
        text = event.content or ""
        if (event.category or "").upper() in REASONING_CATEGORIES:
            return [TextDelta(self._id, text, reasoning=True)] if text else []
        delta = self._text(text, paragraph=not self._in_delta)
        self._in_delta = True
        return [delta] if text else []

    def _data(self, event: ChatEvent) -> list[StreamEvent]:
        self._in_delta = False
        content = event.content or ""
        if (event.content_type or "str").lower() == "json":
            return [PartAdded(self._id, data_part(event.category, content))]
        if (event.category or "").upper() in ERROR_CATEGORIES:
            return [PartAdded(self._id, EventPart(name=event.category or "ERROR", message=content, is_error=True))]
        return [self._text(content, paragraph=True)] if content else []

    def _finish(self, event: ChatEvent) -> list[StreamEvent]:
        self.open = False
        return [PartAdded(self._id, finish_part(event.content))] if event.content else []


def finish_part(content: str) -> EventPart:
    """What a CHAT_FINISH says beyond "done": a status, or an error when the task failed."""
    try:
        value: Any = json.loads(content)
    except ValueError:
        return EventPart(name="finish", message=content)
    if not isinstance(value, dict):
        return EventPart(name="finish", message=content)
    status = str(value.get("status") or value.get("Status") or "") or None
    if (status or "").upper() in ERROR_CATEGORIES or value.get("error") or value.get("code"):
        return error_part("finish", value)
    return EventPart(name="finish", status=status, message=value.get("message") or None)


def _event_time(event: ChatEvent) -> datetime | None:
    return epoch(event.timestamp)


def artifact_time(artifact: Artifact) -> int | str | None:
    return artifact.receive_time or artifact.start_time or artifact.finish_time


def user_message(m: HistoryMessage) -> Message:
    """A user message; its status (``FAILED`` when the reply failed) is vendor detail: the turn shows the error."""
    vendor = {"status": m.status} if m.status else None
    return Message(id=m.id, time=epoch(m.send_time), role="user", text=m.content or "", vendor=vendor)


def artifact_message(a: Artifact) -> Message:
    parts: list[Part] = [ArtifactPart(name=a.name or a.id or "artifact", mime=a.type, text=a.description or None)]
    status = (a.status or "").upper()
    if status and status not in _DONE:
        parts.append(EventPart(name="artifact", status=a.status, is_error=status in _FAILED or None))
    extra = {k: v for k, v in {"id": a.id, "finish_time": a.finish_time}.items() if v}
    return Message(id=a.id, time=epoch(artifact_time(a)), role="assistant", parts=parts, vendor=extra or None)
