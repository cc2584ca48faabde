"""Following a Qoder session or thread live over SSE, as normalized stream events.

Without a checkpoint the replay starts at the latest turn: the latest ``user.message`` (for a sub-agent thread
without one, its latest ``agent.thread_message_received``) is fetched from the events list and the stream
resumes right after it, so a long history is never replayed. ``event_start``/``event_delta`` frames become
``MessageStart``/``TextDelta``; the final event (same id) becomes ``MessageDone`` and is the source of truth.
After each complete event comes ``Mark(id)``; a dropped connection reconnects with ``Last-Event-ID`` set to the
last mark, and delta text already delivered is not delivered twice. An idle ends the turn unless the agent went
on after it (a ``requires_action`` pause, an intermediate idle): one look at the events logged after it tells. A
message is POSTed with an ``Idempotency-Key`` and repeated only while Qoder surely did not take it (throttled, or
no connection made).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
from httpx_sse import ServerSentEvent

from ... import http, sse
from ...errors import ProtocolError, ProviderConnectionError, ProviderError
from ...http import url_path
from ...refs import ThreadRef
from ...transcript import Mark, MessageDone, MessageStart, StreamEvent, TextDelta, TurnEnd
from ...wire import validate
from .errors import check_reply, in_band_error
from .mapper import Mapper, stop_type
from .mapping import feed
from .status import TERMINAL
from .wire import WireDelta, WirePage

log = logging.getLogger("agent_threads.providers.qoder")
Fetch = Callable[..., Awaitable[WirePage]]
DELTAS = ["agent.message", "agent.thinking"]
ENDS = frozenset({"terminated", "session.deleted", "deleted"})
"""Turn ends (of terminal events) that nothing can follow: no look-up whether the turn went on."""
LOOK_AHEAD = 20
"""Events read after an idle to tell a pause from the end of the turn."""


@dataclass
class Deltas:
    """Delta text per event: how much was delivered overall and seen on the current connection."""

    kinds: dict[str, str] = field(default_factory=dict[str, str])
    delivered: dict[str, int] = field(default_factory=dict[str, int])
    seen: dict[str, int] = field(default_factory=dict[str, int])

    def fresh(self, event_id: str, piece: str) -> str:
        """The part of ``piece`` not delivered before (a reconnect replays the in-progress event's deltas)."""
        before = self.seen.get(event_id, 0)
        self.seen[event_id] = before + len(piece)
        done = self.delivered.get(event_id, 0)
        self.delivered[event_id] = max(done, before + len(piece))
        return piece[max(0, done - before) :]


@dataclass(frozen=True)
class Target:
    ref: ThreadRef
    session: str
    thread: str | None

    @property
    def events_url(self) -> str:
        base = ("sessions", self.session, "threads", self.thread) if self.thread else ("sessions", self.session)
        return url_path(*base, "events")

    def is_inbound(self, event: dict[str, Any]) -> bool:
        """A thread message addressed to this thread (a sub-agent's task or a reply to it)."""
        if event.get("type") == "agent.thread_message_sent":
            return event.get("to_session_thread_id") == self.thread
        return event.get("from_session_thread_id") != self.thread

    def starts_turn(self, event: dict[str, Any]) -> bool:
        """A user message, or for a sub-agent thread a task sent to it: the next turn begins."""
        kind = event.get("type")
        if kind == "user.message":
            return True
        messaging = kind in ("agent.thread_message_sent", "agent.thread_message_received")
        return self.thread is not None and messaging and self.is_inbound(event)

    def went_on(self, events: list[dict[str, Any]]) -> bool:
        """The agent was at work again (running, thinking, acting, speaking) before the next turn began."""
        for event in events:
            kind = str(event.get("type") or "")
            if self.starts_turn(event):
                return False
            if kind.startswith(("agent.", "span.")) or kind.endswith("status_running"):
                return True
        return False

    def ends_turn(self, event: dict[str, Any]) -> bool:
        kind = event.get("type")
        if kind == "session.status_idle" or kind in TERMINAL:
            return True
        own = self.thread is not None and event.get("session_thread_id") == self.thread
        return own and kind in ("session.thread_status_idle", "session.thread_status_terminated")


class Follower:
    def __init__(self, channel: http.Channel, ref_of: Callable[..., str], fetch: Fetch) -> None:
        self.channel, self.provider, self.ref_of, self.fetch = channel, channel.provider, ref_of, fetch

    def _check(self, target: Target) -> http.Checker:
        return partial(check_reply, provider=self.provider, ref=str(target.ref))

    @asynccontextmanager
    async def follow(
        self, ref: ThreadRef, message: str | None, checkpoint: str | None
    ) -> AsyncIterator[AsyncIterator[StreamEvent]]:
        events = self._events(
            Target(ref, ref.parts[0], ref.parts[1] if len(ref.parts) > 1 else None), message, checkpoint
        )
        try:
            yield events
        finally:
            await events.aclose()

    async def _events(
        self, target: Target, message: str | None, checkpoint: str | None
    ) -> AsyncGenerator[StreamEvent, None]:
        mapper = Mapper(partial(self.ref_of, target.session))
        start = await self._send(target, message) if message is not None else None
        if start is None and checkpoint is None:
            start = await self._latest_turn_start(target)
        last = checkpoint
        if start is not None:
            for out in self._complete(target, mapper, start):
                yield out
            last = str(start.get("id"))
        async with aclosing(self._resume(target, mapper, last)) as following:
            async for out in following:
                yield out

    async def _send(self, target: Target, message: str) -> dict[str, Any]:
        body = {"events": [{"type": "user.message", "content": [{"type": "text", "text": message}]}]}
        request = self.channel.client.build_request(
            "POST",
            url_path("sessions", target.session, "events"),
            json=body,
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        with http.delivery():  # one key for every attempt: Qoder answers a repeat without acting on it again
            response = await self.channel.send(request, retry="always", check=self._check(target))
            sent = validate(WirePage, response.content, provider=self.provider, what="reply to the send")
            for event in sent.data:
                if event.get("type") == "user.message" and event.get("id"):
                    return event
            raise ProtocolError("the send's reply names no user.message event", provider=self.provider)

    async def _latest_turn_start(self, target: Target) -> dict[str, Any] | None:
        """The latest user message; in a sub-agent thread without one, the latest message sent to it."""
        found = await self._latest(target, ["user.message"], 1)
        if found or target.thread is None:
            return found[0] if found else None
        inbound = await self._latest(target, ["agent.thread_message_sent", "agent.thread_message_received"], 20)
        return next((e for e in inbound if target.is_inbound(e)), None)

    async def _latest(self, target: Target, kinds: list[str], limit: int) -> list[dict[str, Any]]:
        params = {"limit": limit, "order": "desc", "types[]": kinds}
        return (await self.fetch(WirePage, target.events_url, params, ref=str(target.ref))).data

    def _complete(self, target: Target, mapper: Mapper, event: dict[str, Any]) -> list[StreamEvent]:
        event_id = str(event.get("id") or "")
        if event_id in mapper.done:  # the vendor sent it again: the first copy stands, as on a page
            return [Mark(event_id)]
        if event_id:
            mapper.done.add(event_id)
        out: list[StreamEvent] = [MessageDone(m) for m in feed(mapper, event)]
        if event_id:
            out.append(Mark(event_id))
        if target.ends_turn(event):
            reason = stop_type(event.get("stop_reason")) or str(event.get("type", "")).rsplit("_", 1)[-1]
            out.append(TurnEnd(reason))
        return out

    async def _resume(self, target: Target, mapper: Mapper, last: str | None) -> AsyncGenerator[StreamEvent, None]:
        attempt, deltas = 0, Deltas()
        while True:
            deltas.seen.clear()
            dropped: ProviderConnectionError | None = None
            async with self.channel.stream(self._request(target, last), check=self._check(target)) as response:
                await sse.expect_event_stream(
                    response, provider=self.provider, check=self._check(target), what="the stream route"
                )
                try:
                    async with aclosing(sse.events(response, provider=self.provider)) as frames:
                        async for frame in frames:
                            for out in self._on_frame(target, mapper, deltas, frame):
                                if isinstance(out, TurnEnd) and await self._goes_on(target, out, last):
                                    continue  # a pause, not the end: the turn went on after it
                                yield out
                                if isinstance(out, Mark):
                                    last, attempt = out.checkpoint, 0
                                elif isinstance(out, TurnEnd):
                                    return
                except ProviderConnectionError as err:
                    dropped = err
            dropped = dropped or ProviderConnectionError(
                "the event stream closed before the turn ended", provider=self.provider
            )
            delay = await self.channel.policy.wait(attempt, dropped)
            log.info("qoder stream dropped (%s); reconnecting after %s, waited %.2fs", dropped.message, last, delay)
            attempt += 1

    async def _goes_on(self, target: Target, end: TurnEnd, at: str | None) -> bool:
        """Whether an idle at event ``at`` was only a pause (``requires_action``, an intermediate idle): the route
        logged the agent at work again after it, before any new turn began. A terminal event is always the end;
        when the look-up fails, the idle is taken as the end, as it was seen."""
        if at is None or end.reason in ENDS:
            return False
        try:
            following = await self.fetch(WirePage, target.events_url, {"after_id": at, "limit": LOOK_AHEAD})
        except ProviderError as e:
            log.info("could not tell whether the idle at %s was a pause (%s); taking it as the end", at, e.message)
            return False
        return target.went_on(following.data)

    def _request(self, target: Target, last: str | None) -> httpx.Request:
        if target.thread:
            url, params = url_path("sessions", target.session, "threads", target.thread, "stream"), {}
        else:
            url, params = url_path("sessions", target.session, "events", "stream"), {"event_deltas[]": DELTAS}
        headers = {"Accept": "text/event-stream", **({"Last-Event-ID": last} if last else {})}
        return self.channel.client.build_request("GET", url, params=params, headers=headers)

    def _on_frame(self, target: Target, mapper: Mapper, deltas: Deltas, frame: ServerSentEvent) -> list[StreamEvent]:
        try:
            data = json.loads(frame.data)
        except ValueError as e:
            raise ProtocolError(f"a stream frame is not JSON: {frame.data[:80]!r}", provider=self.provider) from e
        if not isinstance(data, dict):
            raise ProtocolError("a stream frame is not a JSON object", provider=self.provider)
        kind = data.get("type") or frame.event
        if frame.event == "error" or kind == "error":
            raise in_band_error(data, provider=self.provider)
        if kind in ("event_start", "event_delta"):
            delta = validate(WireDelta, {**data, "type": kind}, provider=self.provider, what=f"{kind} frame")
            return self._on_delta(deltas, delta, frame.id)
        data.setdefault("type", kind)
        if frame.id:
            data.setdefault("id", frame.id)
        return self._complete(target, mapper, data)

    def _on_delta(self, deltas: Deltas, delta: WireDelta, frame_id: str) -> list[StreamEvent]:
        if delta.type == "event_start":
            started = delta.event or {}
            event_id, kind = str(started.get("id") or frame_id), str(started.get("type") or "")
            first = event_id not in deltas.kinds
            deltas.kinds[event_id] = kind
            return [MessageStart(event_id, "assistant")] if first else []
        event_id = delta.event_id or frame_id
        content = (delta.delta or {}).get("content") or {}
        piece = content.get("text") or content.get("thinking") or ""
        reasoning = deltas.kinds.get(event_id) == "agent.thinking" or content.get("type") == "thinking"
        fresh = deltas.fresh(event_id, piece) if isinstance(piece, str) else ""
        return [TextDelta(event_id, fresh, reasoning)] if fresh else []
