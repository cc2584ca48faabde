"""Fault injection as ASGI middleware around a vendor app.

Throttling, server errors and errors inside HTTP 200 (``error_200``) are answered in the vendor's own envelope
(the vendor module says how); the rest is the same for every vendor:

- ``slow``: the request waits ``delay`` before the vendor sees it; ``late_reply``: the vendor handles it at once
  (a message is taken, a turn starts) and its reply reaches the client ``delay`` later (for replies that end);
- ``slow_first_byte``: headers at once, the first byte of the body ``delay`` later;
- ``malformed``, ``truncated``: a broken body (on an event stream, of its first ``after_bytes`` bytes);
- ``drop_stream``: the connection breaks after ``after_bytes`` bytes;
- ``close_early``: the body ends cleanly after the last whole frame within ``after_bytes`` bytes, as a vendor that
  closes a replay before its end does; ``stall``: it pauses there for ``delay``, then goes on.

Schema drift and endless replays are the vendor module's business (``ctx.faults.take(family, key, ("drift",))``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, get_args

import anyio

from .core import ASGIApp, Fault, FaultKind, Receive, SandboxContext, Scope, Send, route_key

Message = MutableMapping[str, Any]
"""An ASGI message."""
ErrorReply = Callable[[Fault], tuple[int, dict[str, str], bytes]]
"""Builds (status, headers, body) for a ``throttle`` or ``server_error`` fault in the vendor's envelope."""

_HANDLED = tuple(k for k in get_args(FaultKind) if k not in ("drift", "endless"))
"""Every fault kind but those a vendor module acts on itself."""


class StreamDropped(Exception):
    """Raised inside the server to cut a response mid-stream, as a dropped connection would."""


def with_faults(app: ASGIApp, ctx: SandboxContext, family: str, error_reply: ErrorReply) -> ASGIApp:
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        fault = ctx.faults.take(family, route_key(scope), _HANDLED)
        if fault is None:
            await app(scope, receive, send)
        elif fault.kind in ("throttle", "server_error", "error_200"):
            await _reply(send, *error_reply(fault))
        elif fault.kind == "slow":
            await anyio.sleep(fault.delay)
            await app(scope, receive, send)
        elif fault.kind in _WRAPPERS:
            await _WRAPPERS[fault.kind](app, scope, receive, send, fault)
        else:
            await _rewrite_body(app, scope, receive, send, fault)

    return wrapped


async def _late(app: ASGIApp, scope: Scope, receive: Receive, send: Send, fault: Fault) -> None:
    held: list[Message] = []

    async def hold(message: Message) -> None:
        held.append(message)

    await app(scope, receive, hold)
    await anyio.sleep(fault.delay)
    for message in held:
        await send(message)


async def _slow_first_byte(app: ASGIApp, scope: Scope, receive: Receive, send: Send, fault: Fault) -> None:
    waited = False

    async def send_late(message: Message) -> None:
        nonlocal waited
        if message["type"] == "http.response.body" and message.get("body") and not waited:
            waited = True
            await anyio.sleep(fault.delay)
        await send(message)

    await app(scope, receive, send_late)


async def _drop(app: ASGIApp, scope: Scope, receive: Receive, send: Send, fault: Fault) -> None:
    await app(scope, receive, _dropping(send, fault.after_bytes))


async def _close_early(app: ASGIApp, scope: Scope, receive: Receive, send: Send, fault: Fault) -> None:
    with anyio.CancelScope() as closed:

        async def at_frame(message: Message, body: bytes, keep: int) -> Message:
            await send({"type": "http.response.body", "body": body[:keep], "more_body": False})
            closed.cancel()  # the vendor stops writing: the app is cancelled at its next await
            await anyio.sleep_forever()
            return message

        await app(scope, receive, _at_frame(send, fault.after_bytes, at_frame))


async def _stall(app: ASGIApp, scope: Scope, receive: Receive, send: Send, fault: Fault) -> None:
    async def at_frame(message: Message, body: bytes, keep: int) -> Message:
        await send({"type": "http.response.body", "body": body[:keep], "more_body": True})
        await anyio.sleep(fault.delay)
        return {**message, "body": body[keep:]}

    await app(scope, receive, _at_frame(send, fault.after_bytes, at_frame))


def _at_frame(send: Send, after_bytes: int, act: Callable[[Message, bytes, int], Awaitable[Message]]) -> Send:
    """A send that forwards the body until ``after_bytes``, then lets ``act`` handle the chunk that crosses it
    (with the length of its part up to the last whole frame); the body is sent chunked from the start."""
    sent, done = 0, False

    async def send_some(message: Message) -> None:
        nonlocal sent, done
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"]
            message = {**message, "headers": headers}
        elif message["type"] == "http.response.body" and not done:
            body = bytes(message.get("body", b""))
            if sent + len(body) > after_bytes:
                done = True
                message = await act(message, body, _frame_end(body, after_bytes - sent))
            sent += len(body)
        await send(message)

    return send_some


def _frame_end(body: bytes, limit: int) -> int:
    """Where the last whole event-stream frame within ``body[:limit]`` ends (0: none does)."""
    end = body.rfind(b"\n\n", 0, max(0, limit))
    return end + 2 if end >= 0 else 0


_Wrapper = Callable[[ASGIApp, Scope, Receive, Send, Fault], Awaitable[None]]
_WRAPPERS: dict[str, _Wrapper] = {
    "late_reply": _late,
    "slow_first_byte": _slow_first_byte,
    "drop_stream": _drop,
    "close_early": _close_early,
    "stall": _stall,
}


async def _reply(send: Send, status: int, headers: dict[str, str], body: bytes) -> None:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _dropping(send: Send, after_bytes: int) -> Send:
    sent = 0

    async def send_some(message: Message) -> None:
        nonlocal sent
        if message["type"] == "http.response.body":
            body = bytes(message.get("body", b""))
            if sent + len(body) > after_bytes:
                await send(
                    {"type": "http.response.body", "body": body[: max(0, after_bytes - sent)], "more_body": True}
                )
                raise StreamDropped("sandbox fault: connection dropped mid-stream")
            sent += len(body)
        await send(message)

    return send_some


async def _rewrite_body(app: ASGIApp, scope: Scope, receive: Receive, send: Send, fault: Fault) -> None:
    start, body = await _capture(app, scope, receive, fault.after_bytes)
    stream = _is_event_stream(start)
    if fault.kind == "truncated":
        body = body[: len(body) // 2]
    else:  # malformed: broken JSON; on an event stream, as the data of one frame
        broken = b'{"data": [{"id": "evt_' + body[:20]
        body = b"data: " + broken.replace(b"\r", b" ").replace(b"\n", b" ") + b"\n\n" if stream else broken
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": start.get("status", 200), "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _is_event_stream(start: Message) -> bool:
    headers = dict(start.get("headers", []))
    return bytes(headers.get(b"content-type", b"")).startswith(b"text/event-stream")


async def _capture(app: ASGIApp, scope: Scope, receive: Receive, limit: int) -> tuple[Message, bytes]:
    """The app's whole response; of an event stream (which may never end on its own) the first ``limit`` bytes."""
    start: Message = {}
    body = bytearray()
    enough = anyio.Event()

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            return
        body.extend(bytes(message.get("body", b"")))
        if _is_event_stream(start) and len(body) >= limit:
            enough.set()

    async def run() -> None:
        await app(scope, receive, capture)
        enough.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        await enough.wait()
        tg.cancel_scope.cancel()
    return start, bytes(body)
