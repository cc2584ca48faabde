"""stream_delta_p50_ms: from the sandbox writing an SSE delta to the client receiving the progress notification.

The sandbox runs in this process and stamps every SSE frame it writes (``time.perf_counter``, a system-wide
monotonic clock on Linux); the server runs as a child on stdio and a raw JSON-RPC client stamps each
``notifications/progress`` it reads. A Qoder turn is started with ``stream_chat`` + ``message``.

Two figures: **per delta** (the headline: each delta, from its write until the first notification showing
its text; this includes the server's progress throttle, ``live.PROGRESS_INTERVAL``, which holds back deltas
arriving within 0.25 s of the previous notification), **paced** (the same per delta on a turn whose deltas come
0.3 s apart, which the throttle never holds back) and **pipeline** (each notification, since the frame
whose text it shows was written: the cost of the path sandbox -> provider -> fold -> MCP -> client alone).
"""

from __future__ import annotations

import json
import time
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from common import RpcClient, percentile, server_command, server_process
from vendors import qoder_ref

from agent_threads.sandbox import Sandbox, SandboxContext
from agent_threads.sandbox.core import ASGIApp, Receive, Scope, Send

STEP_S = 0.05
"""Seconds between the sandbox's deltas (12 characters each): 20 deltas a second, an ordinary model's pace."""
PACED_STEP_S = 0.3
"""A pace slower than ``live.PROGRESS_INTERVAL``: every delta goes out on the throttle's leading edge, so its
latency is the path sandbox -> provider -> fold -> MCP -> client alone."""


@dataclass
class Writes:
    """What the sandbox wrote: each delta with the cumulative text of its event, and each final event's text."""

    at: dict[str, list[float]] = field(default_factory=dict[str, list[float]])
    """Text a notification may show -> when a frame producing exactly that text was written."""
    deltas: list[tuple[float, str]] = field(default_factory=list[tuple[float, str]])
    _text: dict[str, str] = field(default_factory=dict[str, str])

    def frame(self, body: bytes, now: float) -> None:
        head, _, data = body.decode().partition("\ndata:")
        if "event: event_delta" in head:
            event = json.loads(data)
            piece = ((event.get("delta") or {}).get("content") or {}).get("text", "")
            text = self._text.get(event["event_id"], "") + piece
            self._text[event["event_id"]] = text
            self.deltas.append((now, text))
            self.at.setdefault(text, []).append(now)
        elif "event: agent.message" in head or "event: agent.thinking" in head:
            event = json.loads(data)
            text = event.get("thinking") or "".join(
                b.get("text", "") for b in event.get("content") or [] if isinstance(b, dict)
            )
            self.at.setdefault(text, []).append(now)  # the final form: the server reports it too (MessageDone)


def stamped(app: ASGIApp, writes: list[Writes]) -> ASGIApp:
    """``app`` stamping every body frame it writes into ``writes[0]`` (swapped between phases)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        async def stamping(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                writes[0].frame(message["body"], time.perf_counter())
            await send(message)

        await app(scope, receive, stamping)

    return wrapped


@dataclass
class Stream:
    pipeline_ms: list[float] = field(default_factory=list[float])
    per_delta_ms: list[float] = field(default_factory=list[float])
    paced_ms: list[float] = field(default_factory=list[float])
    """Per delta, deltas PACED_STEP_S apart: slower than the throttle's window, so none is held back."""
    deltas: int = 0
    notifications: int = 0
    error: str | None = None

    def p(self, q: float, *, per_delta: bool = False) -> float:
        return percentile(self.per_delta_ms if per_delta else self.pipeline_ms, q)


def _analyse(writes: Writes, notes: list[tuple[float, str]], result: Stream) -> None:
    """Pipeline: each notification against the latest frame written (not after it) that produced its text.
    Per delta: each delta against the first notification showing its text (or a longer one)."""
    firsts: dict[str, float] = {}
    for received, text in notes:
        written = [w for w in writes.at.get(text, []) if w <= received]
        if written:
            result.pipeline_ms.append((received - max(written)) * 1000)
        firsts.setdefault(text, received)
    result.notifications += len(notes)
    result.deltas += len(writes.deltas)
    for written, text in writes.deltas:
        later = [received for shown, received in firsts.items() if shown.startswith(text) and received >= written]
        if later:
            result.per_delta_ms.append((min(later) - written) * 1000)


async def measure(turns: int, *, paced: bool = True) -> Stream:
    """``turns`` turns at an ordinary model's pace, then (``paced``) one at a pace the throttle never holds back
    (same sandbox and server: the pace is a sandbox option read at every step)."""
    result, slow = Stream(), Stream()
    context = SandboxContext(options={"qoder.turn_step_delay": STEP_S})
    sandbox = Sandbox(context, ["qoder"])
    if "qoder" not in sandbox.apps:
        result.error = "qoder sandbox not landed"
        return result
    writes, notes = [Writes()], [list[tuple[float, str]]()]
    sandbox.apps["qoder"] = stamped(sandbox.apps["qoder"], writes)

    def on_notify(message: dict[str, Any], received: float) -> None:
        if message.get("method") == "notifications/progress":
            text = str((message.get("params") or {}).get("message", ""))
            notes[0].append((received, text.split(": ", 1)[1] if ": " in text else text))

    async with sandbox.running(), server_process(sandbox.env(), server_command(["qoder"]), on_notify) as client:
        for turn in range(turns):
            await _turn(client, turn)
        _analyse(writes[0], notes[0], result)
        if not paced:
            return result
        writes[0], notes[0] = Writes(), []
        context.options["qoder.turn_step_delay"] = PACED_STEP_S
        await _turn(client, turns)
        _analyse(writes[0], notes[0], slow)
    result.paced_ms = slow.per_delta_ms
    return result


async def _turn(client: RpcClient, turn: int) -> None:
    question = f"Turn {turn}: summarise the open incidents of the checkout service for this week, briefly."
    args = {"thread": qoder_ref(), "message": question, "timeout_s": 60}
    await client.request(
        "tools/call", {"name": "stream_chat", "arguments": args, "_meta": {"progressToken": f"t{turn}"}}
    )
