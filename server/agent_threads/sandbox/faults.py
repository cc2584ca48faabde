"""Fault injection as ASGI middleware around a vendor app.

Throttling and server errors are answered in the vendor's own envelope (the vendor module says how);
slow replies, malformed or truncated bodies and dropped streams are the same for every vendor. On an event
stream, ``malformed`` and ``truncated`` act on its first ``after_bytes`` bytes (a live stream may never end).
Schema drift is the vendor module's business (``ctx.faults.take(family, key, ("drift",))``).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

import anyio

from .core import ASGIApp, Fault, Receive, SandboxContext, Scope, Send, route_key

Message = MutableMapping[str, Any]
"""An ASGI message."""
ErrorReply = Callable[[Fault], tuple[int, dict[str, str], bytes]]
"""Builds (status, headers, body) for a ``throttle`` or ``server_error`` fault in the vendor's envelope."""

_HANDLED = ("throttle", "server_error", "slow", "malformed", "truncated", "drop_stream")


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
        elif fault.kind in ("throttle", "server_error"):
            await _reply(send, *error_reply(fault))
        elif fault.kind == "slow":
            await anyio.sleep(fault.delay)
            await app(scope, receive, send)
        elif fault.kind == "drop_stream":
            await app(scope, receive, _dropping(send, fault.after_bytes))
        else:
            await _rewrite_body(app, scope, receive, send, fault)

    return wrapped


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
