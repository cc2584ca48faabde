"""The lost-answer column of the fault matrix: every vendor × a send the vendor took whose answer never arrived
(late past the timeouts, cut mid-reply, or unreadable).

Each cell ends in one tool error that says the message may have been delivered and must not be sent again
blindly; the vendor holds the message exactly once (the server did not repeat it). Qoder's sends carry an
``Idempotency-Key``: a lost answer is asked for again under the same key and the turn goes on, the message still
held once; only an answer that arrives but cannot be read ends in the error."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client

from agent_threads.app import build_server
from agent_threads.errors import MAYBE_DELIVERED
from agent_threads.http import RetryPolicy
from agent_threads.sandbox import Sandbox

from ..conftest import sandbox_settings
from .test_fault_matrix_stream import MESSAGE, THREADS, _sends

SENDS = {
    "qoder": "POST ",
    "cms": "/chat",
    "starops": "/chat",
    "dms": "SendChatMessage",
    "rdsai": "ChatMessages",
    "dataagent": "ChatAI",
}
"""The request that carries the message."""
LOST = [(family, "late_reply", {"delay": 2.0}) for family in SENDS] + [
    (family, kind, {"after_bytes": 10})
    for family in ("qoder", "dms")  # the vendors whose answer to a send is a JSON reply, not its turn's stream
    for kind in ("drop_stream", "truncated")
]
KEYED = {"qoder"}
"""Vendors whose sends carry an idempotency key they honour: a repeat is answered, not acted on twice."""
REPEATED = [cell for cell in LOST if cell[0] in KEYED and cell[1] != "truncated"]
LOST = [cell for cell in LOST if cell not in REPEATED]
QUICK = {"AGENT_THREADS_READ_TIMEOUT": "0.5", "AGENT_THREADS_STREAM_IDLE_TIMEOUT": "0.5"}


@pytest.fixture
def cloud_families(family: str) -> list[str]:
    return [family]


@pytest.mark.parametrize(("family", "kind", "options"), LOST, ids=[f"{f}-{k}" for f, k, _ in LOST])
async def test_a_send_whose_answer_was_lost_says_it_may_have_been_delivered_and_is_not_repeated(
    cloud: Sandbox, fast_retries: RetryPolicy, family: str, kind: str, options: dict[str, Any]
) -> None:
    ref = THREADS[family]
    async with Client(build_server(sandbox_settings(cloud, **QUICK), fast_retries)) as client:
        with anyio.fail_after(20):
            before = await _sends(client, ref)
            fault: Any = kind
            cloud.ctx.faults.add(family, fault, route=SENDS[family], **options)
            result = await client.call_tool("stream_chat", {"thread": ref, "message": MESSAGE, "timeout_s": 10})
            sent = await _sends(client, ref) - before
    text = "\n".join(c.text for c in result.content if c.type == "text")
    assert cloud.ctx.faults.fired, f"the {kind} fault never hit the send"
    assert result.is_error and text.endswith(MAYBE_DELIVERED), text
    assert sent == 1, f"the vendor holds the message {sent} times"


@pytest.mark.parametrize(("family", "kind", "options"), REPEATED, ids=[f"{f}-{k}" for f, k, _ in REPEATED])
async def test_a_keyed_send_whose_answer_was_lost_is_asked_again_and_held_once(
    cloud: Sandbox, fast_retries: RetryPolicy, family: str, kind: str, options: dict[str, Any]
) -> None:
    ref = THREADS[family]
    async with Client(build_server(sandbox_settings(cloud, **QUICK), fast_retries)) as client:
        with anyio.fail_after(20):
            before = await _sends(client, ref)
            fault: Any = kind
            cloud.ctx.faults.add(family, fault, route=SENDS[family], **options)
            result = await client.call_tool("stream_chat", {"thread": ref, "message": MESSAGE, "timeout_s": 10})
            sent = await _sends(client, ref) - before
    assert cloud.ctx.faults.fired and not result.is_error, result.content
    assert sent == 1, f"the vendor holds the message {sent} times"
