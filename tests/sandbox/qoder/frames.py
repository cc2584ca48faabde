"""Server-sent events read off the Qoder sandbox's streams."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Frames:
    comments: list[str] = field(default_factory=list[str])
    frames: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list[tuple[str, str, dict[str, Any]]])


async def read_stream(response: httpx.Response, until: str) -> Frames:
    """Parse SSE lines into (id, event, data) until an event of type ``until`` arrives."""
    out, current = Frames(), {}
    async for line in response.aiter_lines():
        if line.startswith(":"):
            out.comments.append(line)
        elif line:
            name, _, value = line.partition(": ")
            current[name] = value
        elif current:
            out.frames.append((current["id"], current["event"], json.loads(current["data"])))
            current = {}
            if out.frames[-1][1] == until:
                return out
    return out
