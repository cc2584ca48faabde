"""stream_path_p50_ms, stream_staleness_p99_ms and progress_bytes_ratio: what a user following a live turn sees.

The sandbox runs in this process and stamps every SSE frame it writes (``time.perf_counter``, a system-wide
monotonic clock on Linux); the server runs as a child on stdio and a raw JSON-RPC client stamps each
``notifications/progress`` it reads and counts its bytes. Turns are started with ``stream_chat`` + ``message``
on the Qoder sandbox.

- **staleness**: every delta of the turns paced at ``STEP_S`` (an ordinary model's pace), from its write to the
  first notification showing it (a notification shows a delta when the text it shows reaches at least as far
  into that event's text; a delta no notification shows counts until the tool's result, which shows it);
- **path**: the same for each delta written after a quiet spell (no frame for ``QUIET_S``, longer than the
  progress throttle's window): the cost of the path sandbox -> provider -> fold -> throttle -> MCP -> client;
- **progress bytes**: a turn whose answer is ``ANSWER_CHARS`` characters in deltas of ``DELTA_CHARS`` every
  ``STEP_S``: the bytes of all its progress notifications (JSON-RPC lines as read) ÷ the answer's UTF-8 bytes.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from common import RpcClient, percentile, server_command, server_process
from vendors import qoder_ref

from agent_threads.sandbox import Sandbox, SandboxContext
from agent_threads.sandbox.core import ASGIApp, Receive, Scope, Send

STEP_S = 0.05
"""Seconds between the sandbox's deltas: 20 deltas a second, an ordinary model's pace."""
QUIET_S = 0.3
"""A delta written this long after the frame before it follows a quiet spell (longer than the throttle's window,
so it is never held back): the paced turn writes every frame this far apart."""
ANSWER_CHARS = 20_000
DELTA_CHARS = 100
"""Characters per delta of the long answer: 200 deltas, 10 s (the scripted turns' deltas are 12 characters)."""
_SHOWN = re.compile(r"^[^:\n]*?(?: \((?P<total>\d+) chars\))?: (?P<text>.*)\Z", re.S)
"""A progress message: ``role: text`` (the text so far, or its tail) or ``role (N chars): …tail``."""


def long_answer(chars: int = ANSWER_CHARS) -> str:
    """A long answer that never repeats itself (a notification's tail is found by searching for it), mostly ASCII
    with some Chinese, as the sample threads are."""
    out: list[str] = []
    size, i = 0, 0
    while size < chars:
        line = f"{i}. Checkout incident INC-{4000 + i * 7} was traced to pool {i % 13}; 已处理 at step {i * 3}.\n"
        out.append(line)
        size, i = size + len(line), i + 1
    return "".join(out)[:chars]


@dataclass
class Writes:
    """What the sandbox wrote: every frame's time, each delta with its event and the length its event's text
    reached, and each event's text."""

    frames: list[float] = field(default_factory=list[float])
    deltas: list[tuple[float, str, int, bool]] = field(default_factory=list[tuple[float, str, int, bool]])
    """(written, event id, length of the event's text with this delta, after a quiet spell)."""
    texts: dict[str, str] = field(default_factory=dict[str, str])

    def frame(self, body: bytes, now: float) -> None:
        quiet = not self.frames or now - self.frames[-1] >= QUIET_S * 0.9
        self.frames.append(now)
        head, _, data = body.decode().partition("\ndata:")
        if "event: event_delta" in head:
            event = json.loads(data)
            piece = ((event.get("delta") or {}).get("content") or {}).get("text", "")
            text = self.texts[event["event_id"]] = self.texts.get(event["event_id"], "") + piece
            self.deltas.append((now, event["event_id"], len(text), quiet))


def stamped(app: ASGIApp, writes: list[Writes]) -> ASGIApp:
    """``app`` stamping every body frame it writes into ``writes[0]`` (swapped between turns)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        async def stamping(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                writes[0].frame(message["body"], time.perf_counter())
            await send(message)

        await app(scope, receive, stamping)

    return wrapped


@dataclass
class Note:
    received: float
    message: str
    size: int
    result: bool = False
    """The tool's result: it shows every event whole (a delta no notification showed is shown here)."""


def shown(message: str) -> tuple[str, int | None]:
    """The text a progress message shows and, when it says so, the length of the whole text that text ends."""
    match = _SHOWN.match(message)
    if match is None:
        return message, None
    total, text = match.group("total"), match.group("text").replace("\n  ", "\n")  # undo the vendor-string indent
    return text.removeprefix("…") if total else text, int(total) if total else None


def reach(writes: Writes, notes: list[Note]) -> list[tuple[float, str, int]]:
    """Each notification as (received, event, how far into the event's text it shows)."""
    out: list[tuple[float, str, int]] = []
    reached: dict[str, int] = {}
    starts = {event: min(w for w, e, _, _ in writes.deltas if e == event) for event in writes.texts}
    for note in notes:
        if note.result:
            out.extend((note.received, event, len(text)) for event, text in writes.texts.items())
            continue
        tail, total = shown(note.message)
        if not tail:
            continue
        for event in sorted((e for e in starts if starts[e] <= note.received), key=starts.__getitem__, reverse=True):
            text = writes.texts[event]
            if total is not None:
                end = total if total <= len(text) and text[:total].endswith(tail) else -1
            else:
                at = text.find(tail, max(0, reached.get(event, 0) - len(tail)))
                end = at + len(tail) if at >= 0 else -1
            if end >= 0:
                reached[event] = end
                out.append((note.received, event, end))
                break
    return out


def latencies(writes: Writes, notes: list[Note], *, quiet_only: bool = False) -> tuple[list[float], int]:
    """Per delta (after a quiet spell only, or all): ms from its write to the first notification showing it;
    and how many deltas were considered."""
    shows = reach(writes, notes)
    out: list[float] = []
    chosen = [d for d in writes.deltas if d[3] or not quiet_only]
    for written, event, length, _ in chosen:
        later = [received for received, e, end in shows if e == event and end >= length and received >= written]
        if later:
            out.append((min(later) - written) * 1000)
    return out, len(chosen)


@dataclass
class Stream:
    staleness_ms: list[float] = field(default_factory=list[float])
    """Per delta, deltas ``STEP_S`` apart (the scripted turns and the long answer)."""
    deltas: int = 0
    path_ms: list[float] = field(default_factory=list[float])
    """Per delta written after a quiet spell."""
    quiet_deltas: int = 0
    progress_bytes: int = 0
    progress_notes: int = 0
    answer_bytes: int = 0
    error: str | None = None

    @property
    def progress_ratio(self) -> float:
        return self.progress_bytes / self.answer_bytes if self.answer_bytes else float("nan")

    def staleness(self, q: float) -> float:
        return percentile(self.staleness_ms, q)

    def path(self, q: float) -> float:
        return percentile(self.path_ms, q)


async def measure(turns: int) -> Stream:
    """``turns`` scripted turns at an ordinary model's pace, one with a long answer at the same pace, and one
    whose every frame follows a quiet spell (same sandbox and server: the pace is read at every step)."""
    result = Stream()
    context = SandboxContext(options={"qoder.turn_step_delay": STEP_S})
    sandbox = Sandbox(context, ["qoder"])
    if "qoder" not in sandbox.apps:
        result.error = "qoder sandbox not landed"
        return result
    writes, notes = [Writes()], [list[Note]()]
    sandbox.apps["qoder"] = stamped(sandbox.apps["qoder"], writes)

    def on_notify(message: dict[str, Any], received: float, size: int) -> None:
        if message.get("method") == "notifications/progress":
            notes[0].append(Note(received, str((message.get("params") or {}).get("message", "")), size))

    async def turn(question: str) -> tuple[Writes, list[Note]]:
        writes[0], notes[0] = Writes(), []
        await _turn(client, question, f"t{time.perf_counter_ns()}")
        return writes[0], [*notes[0], Note(time.perf_counter(), "", 0, result=True)]

    async with sandbox.running(), server_process(sandbox.env(), server_command(["qoder"]), on_notify) as client:
        for i in range(turns):
            _add_staleness(result, *await turn(f"Turn {i}: summarise the open incidents of the checkout service."))
        answer = long_answer()
        context.options |= {"qoder.turn_answer": answer, "qoder.turn_delta_chars": DELTA_CHARS}
        long_writes, long_notes = await turn("Write the full incident log of the checkout service.")
        _add_staleness(result, long_writes, long_notes)
        result.progress_bytes = sum(n.size for n in long_notes)
        result.progress_notes, result.answer_bytes = len(long_notes), len(answer.encode())
        del context.options["qoder.turn_answer"], context.options["qoder.turn_delta_chars"]
        context.options["qoder.turn_step_delay"] = QUIET_S
        result.path_ms, result.quiet_deltas = latencies(*await turn("Status?"), quiet_only=True)
    return result


def _add_staleness(result: Stream, writes: Writes, notes: list[Note]) -> None:
    found, considered = latencies(writes, notes)
    result.staleness_ms += found
    result.deltas += considered


async def _turn(client: RpcClient, question: str, token: str) -> None:
    args = {"thread": qoder_ref(), "message": question, "timeout_s": 120}
    params = {"name": "stream_chat", "arguments": args, "_meta": {"progressToken": token}}
    await client.request("tools/call", params)
