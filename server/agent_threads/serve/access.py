"""One access-log line per request on stderr: method, path, the MCP method (and tool), status, duration.
Built from the request line and the JSON-RPC body only: never a header, a query string or an argument."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.types import Message, Receive, Scope, Send

log = logging.getLogger("agent_threads.access")

_NAME = re.compile(r"^[A-Za-z0-9_./-]{1,80}$")
"""What a method or tool name may look like to be logged verbatim; anything else is logged as "?"."""


@dataclass
class Access:
    """What one request did, filled in as it goes and written out once at the end."""

    method: str
    path: str
    started: float
    rpc: str = "-"
    tool: str = "-"
    status: int = 0
    outcome: str = ""

    @classmethod
    def of(cls, scope: Scope) -> Access:
        return cls(method=_safe(scope.get("method", "-")), path=_path(scope), started=anyio.current_time())

    def note_body(self, body: bytes) -> None:
        """Take the JSON-RPC method, and the tool of a tools/call, from a request body."""
        try:
            message: Any = json.loads(body)
        except (ValueError, RecursionError):
            return
        if isinstance(message, dict):
            self.rpc = _safe(message.get("method"))
            params: Any = message.get("params")
            if self.rpc == "tools/call" and isinstance(params, dict):
                self.tool = _safe(params.get("name"))

    def watch(self, send: Send) -> Send:
        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.status = int(message["status"])
            await send(message)

        return noting

    def write(self) -> None:
        ms = (anyio.current_time() - self.started) * 1000
        status = str(self.status) if self.status else "-"
        outcome = f" closed={self.outcome}" if self.outcome else ""
        log.info(
            "%s %s rpc=%s tool=%s status=%s ms=%.1f%s", self.method, self.path, self.rpc, self.tool, status, ms, outcome
        )


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None once it exceeds ``limit`` bytes."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return bytes(body)
        body.extend(message.get("body", b""))
        if len(body) > limit:
            return None
        if not message.get("more_body", False):
            return bytes(body)


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then whatever the connection says next."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replaying() -> Message:
        return pending.pop() if pending else await receive()

    return replaying


def _path(scope: Scope) -> str:
    path = str(scope.get("path", ""))
    return path if _NAME.match(path.lstrip("/") or "-") else "?"


def _safe(value: object) -> str:
    return value if isinstance(value, str) and _NAME.match(value) else "?"
