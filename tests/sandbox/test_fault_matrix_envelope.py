"""The envelope column of the fault matrix: every vendor × every route answering its error envelope inside HTTP 200
(Alibaba ``Code``/``Message`` without a ``Success`` flag, Qoder ``{"type": "error"}``, Tencent ``Response.Error``).

Each call ends in one tool error naming the vendor's code, never in "0 entries", an empty thread or a turn."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client

from agent_threads.app import build_server
from agent_threads.http import RetryPolicy
from agent_threads.sandbox import Sandbox

from ..conftest import sandbox_settings
from .test_fault_matrix_stream import THREADS

CODES = {
    "qoder": "invalid_request_error",
    "cms": "InternalError",
    "starops": "InternalError",
    "dms": "InternalError",
    "rdsai": "InternalError",
    "dataagent": "FailedOperation",
}
PARENTS = {"qoder": THREADS["qoder"], "cms": "cms:report-bot", "starops": "starops:report-bot"}
"""Containers whose children a listing asks the vendor for (Tencent lists from a local catalog: no request)."""
ATTACH = {"qoder", "cms", "starops", "dms", "dataagent"}
"""Vendors that follow a thread without sending (RDS AI streams only the reply to a query)."""


def _calls(family: str) -> list[tuple[str, dict[str, Any]]]:
    thread = THREADS[family]
    calls: list[tuple[str, dict[str, Any]]] = [
        ("get_thread_messages", {"thread": thread}),
        ("stream_chat", {"thread": thread, "message": "Still there?", "timeout_s": 10}),
    ]
    calls += [("list_threads", {"provider": family})] if family != "dataagent" else []
    calls += [("list_threads", {"provider": family, "parent": PARENTS[family]})] if family in PARENTS else []
    return calls + ([("stream_chat", {"thread": thread, "timeout_s": 10})] if family in ATTACH else [])


CELLS = [(family, tool, args) for family in CODES for tool, args in _calls(family)]


@pytest.fixture
def cloud_families(family: str) -> list[str]:
    return [family]


@pytest.mark.parametrize(("family", "tool", "args"), CELLS, ids=[f"{f}-{t}-{'+'.join(sorted(a))}" for f, t, a in CELLS])
async def test_an_error_envelope_inside_http_200_is_an_error_on_every_route(
    cloud: Sandbox, fast_retries: RetryPolicy, family: str, tool: str, args: dict[str, Any]
) -> None:
    cloud.ctx.faults.add(family, "error_200", times=None)
    async with Client(build_server(sandbox_settings(cloud), fast_retries)) as client:
        with anyio.fail_after(20):
            result = await client.call_tool(tool, args)
    text = "\n".join(c.text for c in result.content if c.type == "text")
    assert cloud.ctx.faults.fired, "the fault never hit a request"
    assert result.is_error, f"{family} {tool}: an error envelope passed for a reply:\n{text}"
    assert text.startswith(f"Error executing tool {tool}: {family}") and CODES[family] in text, text
