"""Following a CMS / STAROps thread live: the ``POST /chat`` event stream and its fold into stream events, with
checkpoints that survive a reconnect.

``reconnect`` replays the latest turn from its first event, so a checkpoint is ``<events delivered>@<traceId>``:
on a replay of the same trace the first events are folded (to rebuild the messages) but not emitted again. As for
every replay read through a stream, one that drops or closes before the turn's end is re-attached under the retry
policy (attempts counted while it brings nothing new), then given up with the error.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx

from ... import http, sse
from ...errors import ProtocolError, ProviderConnectionError
from ...transcript import (
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
from ...wire import validate
from ..alibaba.errors import body_error
from ..alibaba.request import roa_request
from .mapping import merge_messages, message_id, note_agents, to_message
from .wire import ChatEvent, WireMessage

log = logging.getLogger("agent_threads.providers.cms")

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
        self.reached_end = False
        """This connection's replay came to the turn's end (new to us or not)."""
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
        self.progressed = self.reached_end = False

    def feed(self, event: ChatEvent) -> list[StreamEvent]:
        trace = event.trace_id or event.request_id or ""
        n = self._in_connection[trace] = self._in_connection.get(trace, 0) + 1
        reason = finish_reason(event)
        self.reached_end = self.reached_end or reason is not None
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


class Chat:
    """The CreateChat stream of one thread: ``create`` sends a message, ``reconnect`` attaches to the latest turn (and
    re-attaches after a drop); once a send was accepted, only ``reconnect`` follows. Never ``stop``."""

    def __init__(self, channel: http.Channel, version: str, name: str, thread_id: str) -> None:
        self.channel, self.version, self.name, self.thread_id = channel, version, name, thread_id
        self.provider = channel.provider

    def _chat(self, body: dict[str, Any]) -> httpx.Request:
        request = roa_request(self.channel.client, "POST", "/chat", "CreateChat", self.version, None, body)
        request.headers["accept"] = "text/event-stream"
        return request

    async def events(self, message: str | None, checkpoint: str | None) -> AsyncGenerator[StreamEvent, None]:
        """The turn as stream events: ``message`` sent first (at most once), else the latest turn re-attached."""
        name, thread_id = self.name, self.thread_id
        target = {"digitalEmployeeName": name, "threadId": thread_id}
        body: dict[str, Any] = {"action": "reconnect", **target}
        if message is not None:
            body = {
                "action": "create",
                **target,
                "messages": [{"role": "user", "contents": [{"type": "text", "value": message}]}],
            }
        fold = ChatFold(None if message is not None else checkpoint)
        attempt = 0
        while True:
            dropped: ProviderConnectionError | None = None
            async with AsyncExitStack() as stack:
                response = await self._open(stack, body)
                body = {"action": "reconnect", **target}  # accepted: from here on only re-attach, never send again
                fold.attach()
                try:
                    async for event in self._events(response, fold):
                        yield event
                except ProviderConnectionError as e:
                    dropped = e
            if fold.ended:
                return
            if dropped is None and fold.reached_end:  # the replay reached the turn's end: nothing new after it
                yield TurnEnd("stream closed", fold.checkpoint)
                return
            attempt = 0 if fold.progressed else attempt  # closed or dropped before the turn's end: re-attach
            await self.channel.policy.wait(attempt, dropped or self._closed())
            attempt += 1
            log.info("chat stream of %s/%s ended before the turn finished; reconnecting", name, thread_id)

    def _closed(self) -> ProviderConnectionError:
        return ProviderConnectionError("the chat stream closed before the turn finished", provider=self.provider)

    async def _open(self, stack: AsyncExitStack, body: dict[str, Any]) -> httpx.Response:
        """The /chat event stream: a ``create`` sends the message (never twice), a ``reconnect`` re-attaches."""
        if body["action"] == "create":
            return await sse.open_send(stack, self.channel, self._chat(body), what="POST /chat")
        response = await stack.enter_async_context(self.channel.stream(self._chat(body)))
        await sse.expect_event_stream(response, provider=self.provider, check=self.channel.check, what="POST /chat")
        return response

    async def _events(self, response: httpx.Response, fold: ChatFold) -> AsyncIterator[StreamEvent]:
        async for item in sse.events(response, provider=self.provider):
            if item.data.strip() == "[DONE]":
                return
            for event in fold.feed(self.parse_event(item.event, item.data)):
                yield event
            if fold.ended:
                return

    def parse_event(self, name: str, data: str) -> ChatEvent:
        """One SSE event; an error body (an ``error`` event, or a code without messages) raises the mapped error."""
        try:
            raw = json.loads(data)
        except json.JSONDecodeError as e:
            raise ProtocolError(f"an SSE event of POST /chat is not JSON: {data[:80]!r}", provider=self.provider) from e
        if isinstance(raw, dict) and (name == "error" or ("messages" not in raw and ("code" in raw or "Code" in raw))):
            raise body_error(self.provider, raw)
        return validate(ChatEvent, raw, provider=self.provider, what="POST /chat event")
