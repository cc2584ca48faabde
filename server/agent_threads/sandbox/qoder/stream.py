"""The Qoder sandbox's live side: running a turn after ``POST /sessions/{sid}/events``, and the SSE stream.

A stream replays the route's logged events after ``Last-Event-ID`` (all of them on a first connection), then
the in-progress event's ``event_start``/``event_delta`` frames (they carry the final event's id), then waits
for more, sending ``:`` heartbeat comments while idle. It stays open until the client goes away.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import anyio
from starlette.responses import Response

from ..core import Receive, Scope, Send
from .build import SessionData
from .state import Event, Live, Pending, Record, now, stamp

DELTA_TYPES = frozenset({"agent.message", "agent.thinking"})


def frame(eid: str, name: str, payload: Event) -> bytes:
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f"id: {eid}\nevent: {name}\ndata: {data}\n\n".encode()


def visible(record: Record, thread: str | None) -> bool:
    return record.in_session if thread is None else thread in record.threads


async def sse_frames(
    data: SessionData, live: Live, thread: str | None, last_id: str | None, deltas: frozenset[str], heartbeat: float
) -> AsyncIterator[bytes]:
    """Frames for one connection, after the logged or in-progress event ``last_id`` (None: from the beginning)."""
    live.listeners += 1
    live.notify()
    try:
        async for chunk in _frames(data, live, thread, last_id, deltas, heartbeat):
            yield chunk
    finally:
        live.listeners -= 1


async def _frames(
    data: SessionData, live: Live, thread: str | None, last_id: str | None, deltas: frozenset[str], heartbeat: float
) -> AsyncIterator[bytes]:
    yield b": connected\n\n"
    pos, shown = -1, ("", 0)
    if live.pending and last_id == live.pending.id:  # resume mid-event: skip the deltas already seen
        pos, shown = len(data.log) - 1, (live.pending.id, len(live.pending.frames))
    elif last_id is not None:
        pos = data.log.position(last_id) or 0
    view = data.log.view(thread)
    while True:
        changed, moved = live.changed, False
        i = view.right(pos)
        while i < len(view):
            pos = view[i]
            event = data.log[pos].event
            yield frame(event["id"], event["type"], event)
            i, moved = i + 1, True
        pending = live.pending
        if pending and visible(pending.record, thread) and pending.type in deltas:
            done = shown[1] if shown[0] == pending.id else 0
            while done < len(pending.frames):
                yield frame(pending.id, pending.frames[done]["type"], pending.frames[done])
                done, moved = done + 1, True
            shown = (pending.id, done)
        if not moved:
            with anyio.move_on_after(heartbeat) as scope:
                await changed.wait()
            if scope.cancelled_caught:
                yield b": heartbeat\n\n"


class TurnRunner:
    """Plays a scripted reply to a user message: running, thinking, a tool call, a streamed answer, idle."""

    def __init__(self, data: SessionData, live: Live, options: Mapping[str, Any]) -> None:
        self.data, self.live, self.options = data, live, options
        self.home = str(data.threads[0]["id"])

    def record(self, type_: str, **fields: Any) -> Record:
        event: Event = {"id": self.data.log.next_id(), "type": type_, "session_thread_id": self.home, **fields}
        event["processed_at"] = stamp(now())
        return Record(event, frozenset({self.home}))

    async def step(self) -> None:
        await anyio.sleep(float(self.options.get("qoder.turn_step_delay", 0.005)))

    def add(self, type_: str, **fields: Any) -> str:
        rec = self.record(type_, **fields)
        self.data.log.append(rec)
        self.live.notify()
        return str(rec.event["id"])

    async def streamed(self, type_: str, text: str, **final: Any) -> None:
        rec = self.record(type_, **final)
        pending = Pending(
            str(rec.event["id"]), type_, rec, [{"event": {"id": rec.event["id"], "type": type_}, "type": "event_start"}]
        )
        self.live.pending = pending
        self.live.notify()
        size = int(self.options.get("qoder.turn_delta_chars", 12))
        for i in range(0, len(text), size):
            await self.step()
            delta = {"content": {"type": "text", "text": text[i : i + size]}, "type": "content_delta", "index": 0}
            pending.frames.append({"delta": delta, "event_id": pending.id, "type": "event_delta"})
            self.live.notify()
        await self.step()
        self.live.pending = None
        self.data.log.append(rec)
        self.live.notify()

    async def run(self, text: str) -> None:
        gate = self.options.get("qoder.turn_gate")
        if isinstance(gate, anyio.Event):
            await gate.wait()
        while self.options.get("qoder.turn_waits_for_listener") and not self.live.listeners:
            await self.live.changed.wait()
        topic = " ".join(text.split())[:60]
        self._status("running")
        span = self.add("span.model_request_start")
        thought = f"The user asked about “{topic}”. A quick search first."
        await self.streamed("agent.thinking", thought, thinking=thought)
        await self.step()
        use = self.add(
            "agent.tool_use",
            name="Grep",
            input={"pattern": topic.split(" ")[0] if topic else ""},
            evaluated_permission="allow",
        )
        await self.step()
        self.add(
            "agent.tool_result",
            tool_use_id=use,
            is_error=False,
            content=[{"type": "text", "text": "3 matches in notes/"}],
        )
        answer = (
            self.options.get("qoder.turn_answer")
            or f"About “{topic}”: I found 3 matching notes and summarised them. 已完成。"
        )
        await self.streamed("agent.message", answer, content=[{"type": "text", "text": answer}])
        self.add(
            "span.model_request_end",
            model_request_start_id=span,
            is_error=False,
            model_usage={"input_tokens": 812, "output_tokens": 64},
        )
        self._status("idle", stop_reason={"type": "end_turn"})

    def _status(self, status: str, **fields: Any) -> None:
        self.data.obj["status"] = status
        self.data.threads[0]["status"] = status
        self.live.busy = status == "running"
        self.add(f"session.status_{status}", **fields)


class AfterReply(Response):
    """A reply, then the turn it started, whether or not the reply reached the client: a vendor does not take a turn
    back because its answer to the send was lost (a dropped reply must not leave the session busy for good)."""

    def __init__(self, response: Response, turn: Callable[[], Awaitable[None]]) -> None:
        super().__init__(status_code=response.status_code)
        self.response, self.turn = response, turn

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.response(scope, receive, send)
        finally:
            await self.turn()
