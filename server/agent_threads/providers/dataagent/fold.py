"""ChatAI frames -> stream events. The payload is undocumented (tencent-qoder.md §1.4), so frames are read
as opaque JSON: known ``Type``s map onto deltas and parts, an error envelope in any frame is raised, and
anything else is kept as an event part. The reply so far is kept as a ``Record`` so the streamed and the
read paths share one mapping (``mapping.assistant_parts``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from httpx_sse import ServerSentEvent
from pydantic import ValidationError

from ...errors import ProtocolError, UsageError
from ...transcript import (
    EventPart,
    Mark,
    Message,
    MessageDone,
    MessageStart,
    PartAdded,
    StreamEvent,
    TextDelta,
    TurnEnd,
)
from ...wire import compact_json
from .errors import raise_for_envelope
from .mapping import assistant_parts, error_part, parse_json, scrub, summary_part
from .wire import Record

_PREVIEW = 400


@dataclass(frozen=True)
class Checkpoint:
    """Where a follow resumes: the session, the last record seen, and whether that record was complete."""

    session: str
    record: str | None = None
    done: bool = False

    def dump(self) -> str:
        return json.dumps({"s": self.session, "r": self.record, "d": self.done}, separators=(",", ":"))

    @classmethod
    def load(cls, raw: str) -> Checkpoint:
        try:
            value = json.loads(raw)
            return cls(str(value["s"]), value.get("r"), bool(value.get("d")))
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise UsageError(
                "Not a DataAgent checkpoint.", hint="Pass the checkpoint stream_chat returned, untouched."
            ) from e


def _text(value: Any) -> str:
    return value if isinstance(value, str) else compact_json(scrub(value))


class ChatFold:
    """Feeds one ChatAI stream; ``ended`` once the vendor said the reply is complete."""

    def __init__(self, session: str, question: str, provider: str, secret_id: str) -> None:
        self.session = session
        self.question = question
        self._provider = provider
        self._secret_id = secret_id
        self.reply = Record(RecordId=f"{session}-live")
        self.record_id: str | None = None
        self.extra: list[EventPart] = []
        self.ended = False

    @property
    def reply_id(self) -> str:
        return f"{self.reply.RecordId}:a"

    def checkpoint(self) -> str:
        return Checkpoint(self.session, self.record_id, self.ended).dump()

    def feed(self, sse: ServerSentEvent) -> list[StreamEvent]:
        """The events of one frame, then a Mark. Raises the mapped error for an error envelope."""
        data = sse.data.strip()
        if not data or self.ended:
            return []
        if data == "[DONE]":
            return self._finish()
        payload = parse_json(data)
        if isinstance(payload, str) and data[0] in "{[":
            raise ProtocolError(f"a ChatAI frame is broken JSON: {data[:60]!r}", provider=self._provider)
        if isinstance(payload, dict) and ("Response" in payload or isinstance(payload.get("Error"), dict)):
            envelope = payload if "Response" in payload else {"Response": payload}
            payload = raise_for_envelope(envelope, self._provider, self._secret_id)
        frame = payload if isinstance(payload, dict) else {"Content": payload}
        kind = str(frame.get("Type") or (sse.event if sse.event != "message" else "") or "frame")
        events = self._finish() if kind in ("finish", "done") else self._frame(kind.lower(), frame)
        return events if self.ended else [*events, Mark(self.checkpoint())]

    def _frame(self, kind: str, frame: dict[str, Any]) -> list[StreamEvent]:
        content = frame.get("Content")
        if kind == "record":
            return self._start(frame)
        if kind in ("think", "thinking", "reasoning") and isinstance(content, str):
            self.reply.Think = (self.reply.Think or "") + content
            return [TextDelta(self.reply_id, content, reasoning=True)]
        if kind in ("text", "answer", "delta") and isinstance(content, str):
            self.reply.Answer = (self.reply.Answer or "") + content
            return [TextDelta(self.reply_id, content)]
        if kind in ("task", "tasklist", "plan"):
            return self._plan(frame.get("TaskList", content))
        if kind == "summary":
            self.reply.FinalSummary = _text(frame.get("FinalSummary", content))
            summary = summary_part(self.reply.FinalSummary)
            return [PartAdded(self.reply_id, summary)] if summary else []
        if kind == "error":
            self.reply.ErrorContext = _text(frame.get("ErrorContext", content))
            error = error_part(self.reply.ErrorContext)
            return [PartAdded(self.reply_id, error)] if error else []
        unknown = EventPart(name=kind, message=_text(content if content is not None else frame)[:_PREVIEW])
        self.extra.append(unknown)
        return [PartAdded(self.reply_id, unknown)]

    def _start(self, frame: dict[str, Any]) -> list[StreamEvent]:
        self.record_id = str(frame.get("RecordId") or "") or None
        if self.record_id:
            self.reply = self.reply.model_copy(update={"RecordId": self.record_id})
        question = Message(id=f"{self.reply.RecordId}:q", role="user", text=str(frame.get("Question") or self.question))
        return [MessageDone(question), MessageStart(self.reply_id, "assistant")]

    def _plan(self, tasks: Any) -> list[StreamEvent]:
        value = parse_json(tasks) if isinstance(tasks, str) else tasks
        try:
            self.reply.TaskList = Record.model_validate({"TaskList": value}).TaskList
        except ValidationError:
            return [PartAdded(self.reply_id, EventPart(name="task", message=_text(tasks)[:_PREVIEW]))]
        return [MessageDone(self.message())]

    def message(self) -> Message:
        parts = [*assistant_parts(self.reply, "ChatAI", running=not self.ended), *self.extra]
        return Message(id=self.reply_id, role="assistant", text=self.reply.Answer or "", parts=parts)

    def _finish(self) -> list[StreamEvent]:
        if self.ended:
            return []
        self.ended = True
        checkpoint = self.checkpoint()
        reason = "error" if self.reply.ErrorContext else "end_turn"
        return [MessageDone(self.message()), Mark(checkpoint), TurnEnd(reason, checkpoint)]
