"""Every vendor × every fault: each cell ends in the complete transcript or in one clear tool error."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client

from agent_threads.app import build_server
from agent_threads.http import RetryPolicy
from agent_threads.sandbox import Sandbox

from ..conftest import sandbox_settings

READ_FAULTS = ["throttle", "server_error", "slow", "malformed", "truncated", "drop_stream"]
RECOVERABLE = {"throttle", "server_error", "slow", "drop_stream"}


async def _leaf(client: Client, provider: str) -> str:
    listing = await client.call_tool("list_threads", {"provider": provider, "limit": 5})
    threads: list[dict[str, Any]] = listing.structured_content["threads"]
    assert threads, f"the sandbox serves no thread for {provider}"
    entry = next((t for t in threads if not t.get("children")), threads[0])
    if entry.get("children"):
        inner = await client.call_tool("list_threads", {"provider": provider, "parent": entry["ref"], "limit": 5})
        return str(inner.structured_content["threads"][0]["ref"])
    return str(entry["ref"])


async def _read_all(client: Client, ref: str) -> list[dict[str, Any]] | str:
    messages: list[dict[str, Any]] = []
    cursor = None
    while True:
        result = await client.call_tool("get_thread_messages", {"thread": ref, "cursor": cursor, "limit": 20})
        if result.is_error:
            return "\n".join(c.text for c in result.content)
        messages.extend(result.structured_content["messages"])
        cursor = result.structured_content.get("next_cursor")
        if cursor is None:
            return messages


@pytest.mark.parametrize("kind", READ_FAULTS)
async def test_every_vendor_recovers_or_fails_clearly_under_each_fault(
    sandbox: Sandbox, fast_retries: RetryPolicy, kind: str
) -> None:
    server = build_server(sandbox_settings(sandbox), fast_retries)
    async with Client(server) as client:
        for family in sandbox.ports:
            with anyio.fail_after(20):
                ref = await _leaf(client, family)
                baseline = await _read_all(client, ref)
                assert isinstance(baseline, list) and baseline, f"{family}: {baseline}"
                sandbox.ctx.faults.add(family, kind, times=1, delay=0.05, after_bytes=200)  # type: ignore[arg-type]
                outcome = await _read_all(client, ref)
            fired = [f for f in sandbox.ctx.faults.fired if f[0] == family]
            sandbox.ctx.faults.clear()
            assert fired, f"{family}: the {kind} fault never hit a request"
            if isinstance(outcome, str):
                assert kind not in RECOVERABLE, f"{family} did not recover from {kind}: {outcome}"
                assert family in outcome and "Error executing tool get_thread_messages:" in outcome and len(outcome) < 800
            else:
                assert outcome == baseline, f"{family} lost or repeated messages under {kind}"
