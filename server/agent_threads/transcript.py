"""The normalized transcript: messages with typed parts, pages, thread entries, and the streaming fold.

Part kinds follow the OpenTelemetry GenAI message parts where one exists (``tool_call``,
``tool_call_response``, ``reasoning``); the rest are ours. Vendor-only details go in ``vendor``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import assert_never

from .times import utc as utc  # providers and the index read times through the transcript too

Role = Literal["user", "assistant", "agent", "tool", "system", "event"]
JsonValue = Any


class _Lazy(BaseModel):
    model_config = ConfigDict(defer_build=True)  # validators built on first use: a start-up reads no message


class _Part(_Lazy):
    model_config = ConfigDict(extra="forbid")


class ToolCallPart(_Part):
    kind: Literal["tool_call"] = "tool_call"
    id: str | None = None
    name: str
    arguments: JsonValue = None
    status: str | None = None
    result: str | None = Field(default=None, description="The tool's result, when the vendor reports it with the call.")
    is_error: bool | None = None


class ToolResultPart(_Part):
    kind: Literal["tool_call_response"] = "tool_call_response"
    id: str | None = None
    name: str | None = None
    result: str = ""
    is_error: bool | None = None


class ReasoningPart(_Part):
    kind: Literal["reasoning"] = "reasoning"
    text: str


class SubAgentPart(_Part):
    kind: Literal["sub_agent"] = "sub_agent"
    name: str
    thread: str | None = Field(default=None, description="Ref of the sub-agent's own thread, when it has one.")
    text: str | None = None
    status: str | None = None


class ArtifactPart(_Part):
    kind: Literal["artifact"] = "artifact"
    name: str
    mime: str | None = None
    text: str | None = None
    uri: str | None = None
    size: int | None = None


class PlanStep(_Lazy):
    title: str
    status: str | None = None
    detail: str | None = None


class PlanPart(_Part):
    kind: Literal["plan"] = "plan"
    title: str | None = None
    status: str | None = Field(default=None, description="The plan's (task's) own status, as the vendor gave it.")
    steps: list[PlanStep] = []


class EventPart(_Part):
    """A status change or an error: session idle, task failed, stream ended."""

    kind: Literal["event"] = "event"
    name: str
    status: str | None = None
    code: str | None = None
    message: str | None = None
    duration_s: float | None = None
    is_error: bool | None = None


class DataPart(_Part):
    """Structured output the agent produced (a table, a chart spec, a JSON result)."""

    kind: Literal["data"] = "data"
    category: str | None = None
    data: JsonValue = None


Part = Annotated[
    ToolCallPart | ToolResultPart | ReasoningPart | SubAgentPart | ArtifactPart | PlanPart | EventPart | DataPart,
    Field(discriminator="kind"),
]
PART_KINDS = ("text", "tool_call", "tool_call_response", "reasoning", "sub_agent", "artifact", "plan", "event", "data")


class Message(_Lazy):
    seq: int = Field(default=0, description="Position in the thread, from 1; stable across pages.")
    id: str | None = None
    time: datetime | None = None
    role: Role
    author: str | None = None
    text: str = ""
    parts: list[Part] = []
    vendor: dict[str, JsonValue] | None = None

    def kinds(self) -> set[str]:
        found = {part.kind for part in self.parts}
        return found | {"text"} if self.text else found


class ThreadEntry(_Lazy):
    ref: str
    title: str | None = None
    status: str | None = None
    kind: str | None = Field(default=None, description="session, thread, employee, conversation, instance…")
    created: datetime | None = None
    updated: datetime | None = None
    children: bool | None = Field(default=None, description="True when list_threads(parent=ref) lists more under it.")
    vendor: dict[str, JsonValue] | None = None


class ThreadList(_Lazy):
    provider: str
    parent: str | None = None
    threads: list[ThreadEntry]
    next_cursor: str | None = None
    note: str | None = None


class MessagePage(_Lazy):
    thread: str
    title: str | None = None
    status: str | None = None
    messages: list[Message]
    next_cursor: str | None = None
    truncated: bool = Field(default=False, description="True when the budget cut this page; next_cursor continues it.")
    note: str | None = None
    incomplete: str | None = Field(
        default=None, description="What this page lacks because the vendor's reply could not be read whole."
    )


class TurnResult(_Lazy):
    thread: str
    messages: list[Message]
    ended: bool = Field(description="True when the turn finished; False when timeout_s passed first.")
    stop_reason: str | None = None
    checkpoint: str | None = Field(
        default=None, description="Pass back as checkpoint to continue right after this point."
    )


# ---- the streaming fold -------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageStart:
    id: str
    role: Role
    author: str | None = None
    time: datetime | None = None


@dataclass(frozen=True)
class TextDelta:
    id: str
    text: str
    reasoning: bool = False


@dataclass(frozen=True)
class PartAdded:
    id: str
    part: Part


@dataclass(frozen=True)
class MessageDone:
    """The vendor's final form of a message: it replaces whatever the deltas built."""

    message: Message


@dataclass(frozen=True)
class TurnEnd:
    reason: str | None = None
    checkpoint: str | None = None


@dataclass(frozen=True)
class Mark:
    """A point the stream can resume from, emitted after each complete vendor event."""

    checkpoint: str


@dataclass(frozen=True)
class ThreadNamed:
    """The turn goes on in a thread of its own (a session the send created): the ref to continue it with."""

    ref: str


StreamEvent = MessageStart | TextDelta | PartAdded | MessageDone | Mark | TurnEnd | ThreadNamed


@dataclass(frozen=True)
class Transcript:
    messages: tuple[Message, ...] = ()
    ended: bool = False
    stop_reason: str | None = None
    checkpoint: str | None = None
    thread: str | None = None
    """The ref a ``ThreadNamed`` gave, when the turn moved to a thread of its own."""


def accumulate(transcript: Transcript, event: StreamEvent) -> Transcript:
    """Fold one stream event into a transcript; never mutates its input."""
    if isinstance(event, MessageStart):
        started = Message(id=event.id, role=event.role, author=event.author, time=event.time)
        return _upsert(transcript, started, keep_existing=True)
    if isinstance(event, TextDelta):
        return _edit(transcript, event.id, lambda m: _append_text(m, event))
    if isinstance(event, PartAdded):
        return _edit(transcript, event.id, lambda m: m.model_copy(update={"parts": [*m.parts, event.part]}))
    if isinstance(event, MessageDone):
        return _upsert(transcript, event.message, keep_existing=False)
    if isinstance(event, Mark):
        return replace(transcript, checkpoint=event.checkpoint)
    if isinstance(event, TurnEnd):
        return replace(
            transcript, ended=True, stop_reason=event.reason, checkpoint=event.checkpoint or transcript.checkpoint
        )
    if isinstance(event, ThreadNamed):
        return replace(transcript, thread=event.ref)
    assert_never(event)


def fold(events: list[StreamEvent], start: Transcript | None = None) -> Transcript:
    result = start or Transcript()
    for event in events:
        result = accumulate(result, event)
    return result


def _append_text(message: Message, delta: TextDelta) -> Message:
    if not delta.reasoning:
        return message.model_copy(update={"text": message.text + delta.text})
    parts = list(message.parts)
    if parts and isinstance(parts[-1], ReasoningPart):
        parts[-1] = ReasoningPart(text=parts[-1].text + delta.text)
    else:
        parts.append(ReasoningPart(text=delta.text))
    return message.model_copy(update={"parts": parts})


def _index(transcript: Transcript, message_id: str | None) -> int | None:
    for i in range(len(transcript.messages) - 1, -1, -1):
        if transcript.messages[i].id == message_id:
            return i
    return None


def _upsert(transcript: Transcript, message: Message, *, keep_existing: bool) -> Transcript:
    i = _index(transcript, message.id) if message.id else None
    msgs = list(transcript.messages)
    if i is None:
        msgs.append(message.model_copy(update={"seq": message.seq or len(msgs) + 1}))
    elif not keep_existing:
        msgs[i] = message.model_copy(update={"seq": message.seq or msgs[i].seq})
    return replace(transcript, messages=tuple(msgs))


def _edit(transcript: Transcript, message_id: str, change: Any) -> Transcript:
    i = _index(transcript, message_id)
    if i is None:
        transcript = _upsert(transcript, Message(id=message_id, role="assistant"), keep_existing=True)
        i = len(transcript.messages) - 1
    msgs = list(transcript.messages)
    msgs[i] = change(msgs[i])
    return replace(transcript, messages=tuple(msgs))
