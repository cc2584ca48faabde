"""The stream column of the fault matrix: every vendor × every fault on its send and on its stream, one test each.

Each cell sends one message with stream_chat and ends in the whole turn (equal, message by message, to the same
message sent without a fault) or in one clear tool error; either way the message reached the vendor at most once.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client

from agent_threads.app import build_server
from agent_threads.http import RetryPolicy
from agent_threads.sandbox import Sandbox
from agent_threads.sandbox.dataagent.data import INSTANCE, SESSION_SALES
from agent_threads.sandbox.qoder.data import SID_A
from agent_threads.sandbox.rdsai.data import stable_id

from ..conftest import sandbox_settings

STREAM_FAULTS = [
    "throttle",
    "server_error",
    "slow",
    "slow_first_byte",
    "drop_stream",
    "close_early",
    "stall",
    "malformed",
    "truncated",
]
ALWAYS_RECOVERS = {"slow", "slow_first_byte", "drop_stream", "stall"}
"""A late, paused or dropped reply never costs the turn: every vendor re-attaches, retries, or reads it back."""
MESSAGE = "How is it going?"
THREADS = {
    "qoder": f"qoder:{SID_A}",
    "cms": "cms:report-bot/weekly-2026-03",
    "starops": "starops:report-bot/weekly-2026-03",
    "dms": "dms:sess_q3_sales_7b1c",
    "rdsai": f"rdsai:{stable_id('slow')}",
    "dataagent": f"dataagent:{INSTANCE}/{SESSION_SALES}",
}
ROUTES = {
    "qoder": ("POST ", "/stream"),  # the send, then the session's event stream
    "cms": ("/chat",),  # the send is the stream (CreateChat)
    "starops": ("/chat",),
    "dms": ("SendChatMessage", "GetChatContent"),
    "rdsai": ("ChatMessages",),
    "dataagent": ("ChatAI",),
}
"""The requests a fault hits: where the message is sent, and where the reply streams."""
STREAM_ONLY = {"dataagent": {"progress"}}
"""Event parts a vendor sends on the live stream only. ChatAI cannot be re-attached: after a break the reply is
read back from the stored record, which has no progress frames (those seen before the break are kept)."""


def _turn(messages: list[dict[str, Any]], family: str) -> list[dict[str, Any]]:
    """A turn without what differs between two sends of one message (ids, times, durations, stream-only parts)."""
    drop = STREAM_ONLY.get(family, set())
    return [
        {k: v for k, v in m.items() if k not in ("id", "time")}
        | {
            "parts": [
                {k: v for k, v in p.items() if k not in ("id", "duration_s")}
                for p in m.get("parts", [])
                if p.get("name") not in drop
            ]
        }
        for m in messages
    ]


async def _send(client: Client, ref: str) -> list[dict[str, Any]] | str:
    result = await client.call_tool("stream_chat", {"thread": ref, "message": MESSAGE, "timeout_s": 20})
    if result.is_error:
        return "\n".join(c.text for c in result.content if c.type == "text")
    turn = result.structured_content or {}
    assert turn["ended"], f"{ref}: the turn did not end: {turn}"
    return list(turn["messages"])


async def _sends(client: Client, ref: str) -> int:
    """How many times the thread holds the message as a user turn."""
    count, cursor = 0, None
    while True:
        args = {"thread": ref, "cursor": cursor, "limit": 100, "format": "json"}
        page = await client.call_tool("get_thread_messages", args)
        assert not page.is_error, page.content
        content = page.structured_content or {}
        count += sum(m["role"] == "user" and m.get("text") == MESSAGE for m in content["messages"])
        cursor = content.get("next_cursor")
        if cursor is None:
            return count


async def _cell(client: Client, sandbox: Sandbox, family: str, kind: str, route: str) -> str:
    """One cell: a baseline send, the same send under the fault; returns how it ended."""
    ref = THREADS[family]
    with anyio.fail_after(30):
        baseline = await _send(client, ref)
        assert isinstance(baseline, list) and baseline, f"{family}: {baseline}"
        before = await _sends(client, ref)
        fault: Any = kind
        sandbox.ctx.faults.add(family, fault, route=route, times=1, delay=0.05, after_bytes=700)
        outcome = await _send(client, ref)
        sent = await _sends(client, ref) - before
    fired = [f for f in sandbox.ctx.faults.fired if f[0] == family]
    sandbox.ctx.faults.clear()
    assert fired, f"{family}: the {kind} fault on {route!r} never hit a request"
    cell = f"{family} × {kind} on {route!r}"
    if isinstance(outcome, str):
        assert sent in (0, 1), f"{cell}: the message reached the vendor {sent} times"
        assert outcome.startswith("Error executing tool stream_chat:") and family in outcome, f"{cell}: {outcome}"
        assert outcome.count("Error executing tool") == 1 and len(outcome) < 800, f"{cell}: {outcome}"
        return "error"
    assert sent == 1, f"{cell}: the message reached the vendor {sent} times"
    assert _turn(outcome, family) == _turn(baseline, family), f"{cell}: messages lost, repeated or changed"
    return "complete"


@pytest.fixture
def cloud_families(family: str) -> list[str]:
    return [family]


@pytest.mark.parametrize("kind", STREAM_FAULTS)
@pytest.mark.parametrize(("family", "route"), [(f, r) for f, routes in ROUTES.items() for r in routes])
async def test_a_turn_streams_whole_or_fails_clearly_and_is_never_sent_twice(
    cloud: Sandbox, fast_retries: RetryPolicy, family: str, route: str, kind: str
) -> None:
    async with Client(build_server(sandbox_settings(cloud), fast_retries)) as client:
        outcome = await _cell(client, cloud, family, kind, route)
    assert kind not in ALWAYS_RECOVERS or outcome == "complete", outcome


@pytest.mark.parametrize("family", ["qoder", "cms", "dms", "rdsai", "dataagent"])
async def test_a_silent_stream_ends_in_a_connection_error_after_the_stream_idle_timeout(
    cloud: Sandbox, fast_retries: RetryPolicy, family: str
) -> None:
    # DMS replays the session's history before the live turn: its first byte may take the read timeout
    read = {"AGENT_THREADS_READ_TIMEOUT": "1"} if family == "dms" else {}
    settings = sandbox_settings(cloud, AGENT_THREADS_STREAM_IDLE_TIMEOUT="0.1", **read)
    assert settings.timeouts.read == (1 if family == "dms" else 120)  # else only the stream-idle timeout is short
    cloud.ctx.faults.add(family, "slow", route=ROUTES[family][-1], times=None, delay=2.0)
    async with Client(build_server(settings, fast_retries)) as client:
        with anyio.fail_after(15):
            result = await client.call_tool(
                "stream_chat", {"thread": THREADS[family], "message": MESSAGE, "timeout_s": 12}
            )
    text = "\n".join(c.text for c in result.content if c.type == "text")
    assert result.is_error, f"{family} kept waiting on a silent stream: {text}"
    assert text.startswith(f"Error executing tool stream_chat: {family}:"), text
    assert "timed out" in text or "went silent past the idle timeout" in text, text
