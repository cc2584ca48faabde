"""The state Qoder events fold into, one event at a time: the messages so far, tool calls awaiting their results,
open spans and sub-agent names; and the operations the event handlers (``mapping``, ``status``) build with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...times import utc
from ...transcript import Message, Part, Role
from .wire import WireEvent

Handler = Callable[["Mapper", WireEvent], list[Message]]


@dataclass
class Mapper:
    """Folds events into messages. ``names`` maps sub-agent thread ids to agent names (authors)."""

    ref_of: Callable[[str], str]
    names: dict[str, str] = field(default_factory=dict[str, str])
    messages: dict[str, Message] = field(default_factory=dict[str, Message])
    tools: dict[str, tuple[str, int]] = field(default_factory=dict[str, tuple[str, int]])
    """Tool use id → (message id, part index) of its call, for pairing results."""
    spans: dict[str, tuple[str, int, datetime | None]] = field(
        default_factory=dict[str, tuple[str, int, datetime | None]]
    )
    open_event: str | None = None
    """Key of the last message if it is a status-like ``event`` message that more status may join."""
    last: str = ""
    """Key of the message ``put`` last added."""
    done: set[str] = field(default_factory=set[str])
    """Ids of the complete events a live follow has folded (a repeat of one is not folded again)."""

    def put(self, message: Message) -> list[Message]:
        """Add a message. An event id the vendor sent before gets a key of its own: both copies reach the page,
        where the reader keeps the first (a repeat never silently replaces what came first)."""
        key = str(message.id)
        self.last = key if key not in self.messages else f"{key}#{len(self.messages)}"
        self.messages[self.last] = message
        self.open_event = None
        return [message]

    def new(
        self, event: WireEvent, role: Role, text: str = "", parts: list[Part] | None = None, author: str | None = None
    ) -> Message:
        author = author or (self.names.get(event.session_thread_id or "") if role == "assistant" else None)
        return Message(id=event.id, time=utc(event.when), role=role, author=author, text=text, parts=parts or [])

    def status(self, event: WireEvent, part: Part) -> list[Message]:
        return self.place(event, part)[0]

    def place(self, event: WireEvent, part: Part) -> tuple[list[Message], tuple[str, int]]:
        """Add a status-like part, merged into the open event message if any; returns it and the part's place."""
        if self.open_event in self.messages:
            key = str(self.open_event)
            prior = self.messages[key]
            self.messages[key] = prior.model_copy(update={"parts": [*prior.parts, part]})
            return [self.messages[key]], (key, len(prior.parts))
        self.put(self.new(event, "event", parts=[part]))
        self.open_event = self.last
        return [self.messages[self.last]], (self.last, 0)

    def patch(self, at: tuple[str, int], **changes: Any) -> list[Message]:
        message_id, index = at
        prior = self.messages[message_id]
        parts = list(prior.parts)
        parts[index] = parts[index].model_copy(update=changes)
        self.messages[message_id] = prior.model_copy(update={"parts": parts})
        return [self.messages[message_id]]


def short(thread_id: str | None) -> str:
    return f"…{thread_id[-6:]}" if thread_id else "?"


def stop_type(value: Any) -> str | None:
    if isinstance(value, dict):
        kind = value.get("type")
        return str(kind) if kind else None
    return str(value) if value else None
