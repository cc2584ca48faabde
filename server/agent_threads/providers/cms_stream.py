"""The CreateChat SSE fold: vendor events into stream events, with checkpoints that survive a reconnect.

``reconnect`` replays the latest turn from its first event, so a checkpoint is ``<events delivered>@<traceId>``:
on a replay of the same trace the first events are folded (to rebuild the messages) but not emitted again.
"""

from __future__ import annotations

from ..transcript import (
    Mark,
    Message,
    MessageDone,
    MessageStart,
    Part,
    ReasoningPart,
    StreamEvent,
    TextDelta,
    TurnEnd,
)
from .cms_map import merge_messages, message_id, note_agents, to_message
from .cms_wire import ChatEvent, WireMessage

_FINISH_TYPES = {"task_finished", "task_failed", "task_stopped", "finished", "done"}


def parse_checkpoint(checkpoint: str | None) -> tuple[str | None, int]:
    if not checkpoint:
        return None, 0
    count, _, trace = checkpoint.partition("@")
    return (trace, int(count)) if count.isdigit() else (None, 0)


def finish_reason(event: ChatEvent) -> str | None:
    """``completed`` / ``failed: CODE`` when this event ends the turn (a task_finished event or message)."""
    for msg in event.messages:
        for ev in msg.events:
            if ev.type in _FINISH_TYPES:
                payload = ev.payload
                failed = payload is not None and payload.success is False
                code = payload.error.code if payload and payload.error and payload.error.code else None
                return f"failed: {code}" if failed and code else ("failed" if failed else "completed")
        if msg.type in _FINISH_TYPES:
            return "completed"
    return None


def _reasoning(message: Message) -> str:
    return "".join(p.text for p in message.parts if isinstance(p, ReasoningPart))


def _others(message: Message) -> list[Part]:
    return [p for p in message.parts if not isinstance(p, ReasoningPart)]


def diff(before: Message, after: Message) -> list[StreamEvent]:
    """Deltas when ``after`` only extends ``before``'s text or reasoning; else the whole message, replaced."""
    text_grew = after.text.startswith(before.text)
    thought_grew = _reasoning(after).startswith(_reasoning(before))
    if not (text_grew and thought_grew) or _others(before) != _others(after):
        return [MessageDone(after)]
    mid = after.id or ""
    out: list[StreamEvent] = []
    if len(after.text) > len(before.text):
        out.append(TextDelta(mid, after.text[len(before.text) :]))
    thought = _reasoning(after)[len(_reasoning(before)) :]
    if thought:
        out.append(TextDelta(mid, thought, reasoning=True))
    return out


class ChatFold:
    """Folds the SSE events of one or more connections to the same thread; never emits an event twice."""

    def __init__(self, checkpoint: str | None) -> None:
        self.trace, self.delivered = parse_checkpoint(checkpoint)
        self.ended = False
        self.progressed = False
        self._folded: dict[str, int] = {}
        self._in_connection: dict[str, int] = {}
        self._wires: dict[str, WireMessage] = {}
        self._agents: dict[str, str] = {}
        self._started: set[str] = set()

    @property
    def checkpoint(self) -> str | None:
        return f"{self.delivered}@{self.trace}" if self.trace is not None else None

    def attach(self) -> None:
        """A new connection starts: the server replays the latest turn from its first event."""
        self._in_connection = {}
        self.progressed = False

    def feed(self, event: ChatEvent) -> list[StreamEvent]:
        trace = event.trace_id or event.request_id or ""
        n = self._in_connection[trace] = self._in_connection.get(trace, 0) + 1
        if n <= self._folded.get(trace, 0):
            return []  # replayed after a reconnect: folded and handled already
        self._folded[trace] = n
        quiet = trace == self.trace and n <= self.delivered
        out: list[StreamEvent] = []
        for msg in event.messages:
            out += self._fold(msg, trace, emit=not quiet)
        if quiet:
            return []
        self.trace, self.delivered, self.progressed = trace, n, True
        out.append(Mark(self.checkpoint or ""))
        reason = finish_reason(event)
        if reason is not None:
            self.ended = True
            out.append(TurnEnd(reason, self.checkpoint))
        return out

    def _fold(self, msg: WireMessage, trace: str, *, emit: bool) -> list[StreamEvent]:
        mid = message_id(msg, trace)
        note_agents(msg, self._agents)
        previous = self._wires.get(mid)
        merged = merge_messages(previous, msg) if previous else msg
        self._wires[mid] = merged
        if not emit:
            return []
        after = to_message(merged, trace, self._agents)
        before = to_message(previous, trace, self._agents) if previous else Message(id=mid, role=after.role)
        out: list[StreamEvent] = []
        if mid not in self._started:
            self._started.add(mid)
            out.append(MessageStart(mid, after.role, after.author, after.time))
        return out + diff(before, after)
