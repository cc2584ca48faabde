"""The sandbox cloud as a child process of the benchmarks.

argv[1] is JSON ``{"options": {...}, "families": [...] | null}``. Prints one JSON line ``{"env", "ports"}``
once listening; then answers ``stats`` lines on stdin with ``{"requests": {family: n}}``; exits at EOF.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Any

import anyio

from agent_threads.sandbox import Sandbox, SandboxContext
from agent_threads.sandbox.core import ASGIApp, Receive, Scope, Send


def counted(app: ASGIApp, family: str, counts: Counter[str]) -> ASGIApp:
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            counts[family] += 1
        await app(scope, receive, send)

    return wrapped


async def main(spec: dict[str, Any]) -> None:
    sandbox = Sandbox(SandboxContext(options=spec.get("options") or {}), spec.get("families"))
    counts: Counter[str] = Counter()
    sandbox.apps = {family: counted(app, family, counts) for family, app in sandbox.apps.items()}
    async with sandbox.running():
        print(json.dumps({"env": sandbox.env(), "ports": sandbox.ports}), flush=True)
        stdin = anyio.wrap_file(sys.stdin)
        async for line in stdin:
            if line.strip() == "stats":
                print(json.dumps({"requests": dict(counts)}), flush=True)


if __name__ == "__main__":
    anyio.run(main, json.loads(sys.argv[1]))
