"""The raw vendor replies behind a read: an httpx transport that keeps the bytes of every reply while a thread
is read, and those replies deduplicated as the corpus counts them (each distinct reply once, each SSE frame
once)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from common import compact_json, tokens
from facts import Raw

VOLATILE = {"Checkpoint"}
"""Query parameters that only say where a replay starts: frames are deduplicated across them."""


@dataclass
class Reply:
    key: str
    sse: bool
    thread: str
    chunks: list[bytes] = field(default_factory=list[bytes])


class _Tee(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, sink: list[bytes]) -> None:
        self.inner, self.sink = inner, sink

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            self.sink.append(chunk)
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


class Capture(httpx.AsyncBaseTransport):
    """A loopback transport that keeps the bytes of every reply read while ``active``."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.active: str | None = None
        """The thread being read (replies are recorded only then)."""
        self.replies: list[Reply] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.active:
            sse = "event-stream" in response.headers.get("content-type", "")
            reply = Reply(request_key(request), sse, self.active)
            self.replies.append(reply)
            assert isinstance(response.stream, httpx.AsyncByteStream)
            response.stream = _Tee(response.stream, reply.chunks)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def request_key(request: httpx.Request) -> str:
    action = request.headers.get("x-acs-action") or request.headers.get("x-tc-action") or ""
    query = urlencode(sorted(parse_qsl(request.url.query.decode(), keep_blank_values=True)))
    body = hashlib.sha256(request.content).hexdigest()[:16] if request.content else ""
    return f"{request.method} {request.url.path} {action} ?{query} {body}"


def _sse_frames(data: bytes) -> list[tuple[str, str]]:
    """(id, data) of each complete frame."""
    frames = []
    for block in data.decode("utf-8", errors="replace").replace("\r\n", "\n").split("\n\n"):
        lines = block.split("\n")
        payload = "\n".join(line[5:].lstrip(" ") for line in lines if line.startswith("data:"))
        ident = next((line[3:].strip() for line in lines if line.startswith("id:")), "")
        if payload:
            frames.append((ident, payload))
    return frames


def _stable(key: str) -> str:
    head, _, rest = key.partition(" ?")
    query, _, body = rest.partition(" ")
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in VOLATILE]
    return f"{head} ?{urlencode(kept)} {body}"


def raw_replies(replies: list[Reply]) -> dict[str, list[Raw]]:
    """By thread: each distinct reply once (a budget re-read or a repeated lookup is not counted twice), each SSE
    frame once (a replay resumed from a checkpoint repeats frames)."""
    seen: set[Any] = set()
    out: dict[str, list[Raw]] = {}
    for reply in replies:
        body = b"".join(reply.chunks)
        found = out.setdefault(reply.thread, [])
        if reply.sse:
            for ident, payload in _sse_frames(body):
                key = (_stable(reply.key), ident, payload)
                if key not in seen:
                    seen.add(key)
                    found.append(Raw(reply.key, _parse(payload)))
        elif reply.key not in seen:
            seen.add(reply.key)
            found.append(Raw(reply.key, _parse(body.decode("utf-8", errors="replace"))))
    return out


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def raw_tokens(raws: list[Raw]) -> int:
    return sum(tokens(r.value if isinstance(r.value, str) else compact_json(r.value)) for r in raws)
