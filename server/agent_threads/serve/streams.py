"""Event streams (GET /mcp, subscriptions/listen) hold a connection for as long as the client likes. Bounded
here: at most ``limit`` open at once (more are refused with 503), each closed once it has carried nothing but
pings for ``idle`` seconds, and all closed when the service drains."""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .replies import refusal


class StreamLimiter:
    def __init__(self, limit: int, idle: float) -> None:
        self.limit, self.idle = limit, idle
        self._open: set[anyio.CancelScope] = set()
        self.closing = False

    @property
    def open(self) -> int:
        return len(self._open)

    def close_all(self) -> None:
        """Close every open stream and refuse new ones (the service is draining)."""
        self.closing = True
        for scope in list(self._open):
            scope.cancel()

    async def serve(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> str:
        """Runs the stream under the bounds; says how the service ended it ("refused", "idle", "closed" when
        draining), or "" when it ended by itself. The access log tells each refusal."""
        if self.closing or len(self._open) >= self.limit:
            await _refuse(scope, receive, send)
            return "refused"
        tracked = _Tracked(scope, receive, send)
        with anyio.CancelScope() as cancel:
            self._open.add(cancel)
            try:
                async with anyio.create_task_group() as tg:
                    tg.start_soon(self._watch, tracked, tg.cancel_scope)
                    await app(scope, receive, tracked)
                    tg.cancel_scope.cancel()
            finally:
                self._open.discard(cancel)
        if not (cancel.cancel_called or tracked.idle_closed):
            return ""
        await tracked.finish()
        return "idle" if tracked.idle_closed else "closed"

    async def _watch(self, tracked: _Tracked, cancel: anyio.CancelScope) -> None:
        while (left := tracked.last_event + self.idle - anyio.current_time()) > 0:
            await anyio.sleep(left)
        tracked.idle_closed = True
        cancel.cancel()


class _Tracked:
    """The stream's ``send``, noting when it last carried an event (an SSE comment is a ping, not an event)."""

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._scope, self._receive, self._send = scope, receive, send
        self.last_event = anyio.current_time()
        self.started = self.done = self.idle_closed = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        elif message["type"] == "http.response.body":
            self.done = not message.get("more_body", False)
            if _is_event(message.get("body", b"")):
                self.last_event = anyio.current_time()
        await self._send(message)

    async def finish(self) -> None:
        """End the response the stream was cut from, so the client sees a clean close."""
        with anyio.CancelScope(shield=True):
            if not self.started:
                await _refuse(self._scope, self._receive, self._send)
            elif not self.done:
                await self._send({"type": "http.response.body", "body": b"", "more_body": False})


def _is_event(body: bytes) -> bool:
    return any(line and not line.startswith(b":") for line in body.splitlines())


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    headers = {"Retry-After": "5", "Connection": "close"}  # close: a refused stream must not keep its connection
    message = "No event stream now (too many are open, or the server is stopping); retry later."
    await refusal(503, message, headers)(scope, receive, send)
