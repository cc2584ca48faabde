"""The replay column of the fault matrix: every path that reads what a vendor already wrote through an event
stream × a replay that closes early, a first byte later than the stream idle timeout (but within the read
timeout), and a long silence in the middle.

Paths: a DMS transcript (GetChatContent from checkpoint 0), and attaching with stream_chat to the latest turn of
a DMS session (read past its older turns), a Qoder session and sub-agent thread (replayed after the latest
``user.message``) and a CMS / STAROps thread (``reconnect`` replays the latest turn). Each cell ends in exactly
what the same call gives without the fault, in bounded time."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client

from agent_threads.app import build_server
from agent_threads.http import RetryPolicy
from agent_threads.sandbox import Sandbox
from agent_threads.sandbox.qoder.data import CHILD_A, SID_A

from ..conftest import read_all_tool, sandbox_settings

PATHS = {
    "dms-read": ("dms", "dms:sess_q3_sales_7b1c", "GetChatContent", 1200),
    "dms-attach": ("dms", "dms:sess_q3_sales_7b1c", "GetChatContent", 1200),
    "qoder-attach": ("qoder", f"qoder:{SID_A}", "/events/stream", 300),
    "qoder-thread-attach": ("qoder", f"qoder:{SID_A}/{CHILD_A}", "/stream", 300),
    "cms-attach": ("cms", "cms:report-bot/weekly-2026-03", "/chat", 400),
    "starops-attach": ("starops", "starops:report-bot/weekly-2026-03", "/chat", 400),
}
"""Per path: the vendor, the thread, the stream route, and a byte offset inside what it replays."""
FAULTS: dict[str, dict[str, Any]] = {
    "close_early": {},
    "slow_first_byte": {"delay": 0.6},
    "stall": {"delay": 8.0},  # longer than a transcript read waits on a silence before it takes it as caught up
}
TIMEOUTS = {"AGENT_THREADS_READ_TIMEOUT": "5", "AGENT_THREADS_STREAM_IDLE_TIMEOUT": "0.2"}
"""A stream idle timeout below the first byte's delay and the stall, a read timeout above them."""


@pytest.fixture
def cloud_families(path: str) -> list[str]:
    return [PATHS[path][0]]


async def _outcome(client: Client, path: str) -> list[dict[str, Any]]:
    _, ref, _, _ = PATHS[path]
    if path.endswith("-read"):
        return (await read_all_tool(client, ref, limit=20))[0]
    result = await client.call_tool("stream_chat", {"thread": ref, "timeout_s": 10})
    text = "\n".join(c.text for c in result.content if c.type == "text")
    assert not result.is_error and (result.structured_content or {}).get("ended"), f"{path}: {text}"
    return list((result.structured_content or {})["messages"])


@pytest.mark.parametrize("kind", list(FAULTS))
@pytest.mark.parametrize("path", list(PATHS))
async def test_a_replay_read_through_a_stream_comes_out_whole_under_each_fault(
    cloud: Sandbox, fast_retries: RetryPolicy, path: str, kind: str
) -> None:
    family, _, route, offset = PATHS[path]
    async with Client(build_server(sandbox_settings(cloud, **TIMEOUTS), fast_retries)) as client:
        with anyio.fail_after(15):
            baseline = await _outcome(client, path)
            assert baseline, f"{path}: nothing to replay"
            fault: Any = kind
            cloud.ctx.faults.add(family, fault, route=route, after_bytes=offset, **FAULTS[kind])
            outcome = await _outcome(client, path)
    assert cloud.ctx.faults.fired, f"the {kind} fault never hit {route}"
    assert outcome == baseline, f"{path} × {kind}: messages lost, repeated or cut"
