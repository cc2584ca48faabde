"""Every vendor × every fault: each cell ends in the complete transcript or in one clear tool error."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client

from agent_threads.app import build_server
from agent_threads.http import RetryPolicy
from agent_threads.sandbox import Sandbox

from ..conftest import NoSleep, sandbox_settings

READ_FAULTS = ["throttle", "server_error", "slow", "malformed", "truncated", "drop_stream"]
RECOVERABLE = {"throttle", "server_error", "slow", "drop_stream"}
DRIFT_ADDS: dict[str, tuple[int, str | None]] = {
    "qoder": (0, None),  # older field names for the same events
    "cms": (1, "plan_updated"),  # a turn in a newer shape: unknown fields, content type and event type
    "starops": (1, "plan_updated"),
    "dms": (0, "SUGGESTION"),  # an unknown event type inside the last turn, extra fields on every event
    "rdsai": (0, "node_finished"),  # snake_case rows, an extra field, an unknown event type in each answer
    "dataagent": (0, None),  # the plan only as a string, feedback as text, extra fields
}
"""What each vendor's ``drift`` fault adds to a transcript: extra messages, and the unknown event type kept."""
RETRY_AFTER = 1.5  # no backoff step (0.25, 0.5, 1, 2… with jitter off) equals it
SAYS_WHEN = {"qoder", "cms", "starops", "dms", "rdsai"}
"""Vendors whose throttling reply says when to retry (Tencent's RequestLimitExceeded does not: backoff)."""


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
        args = {"thread": ref, "cursor": cursor, "limit": 20, "format": "json"}
        result = await client.call_tool("get_thread_messages", args)
        if result.is_error:
            return "\n".join(c.text for c in result.content)
        messages.extend(result.structured_content["messages"])
        cursor = result.structured_content.get("next_cursor")
        if cursor is None:
            return messages


@pytest.mark.parametrize("kind", READ_FAULTS)
async def test_every_vendor_recovers_or_fails_clearly_under_each_fault(
    sandbox: Sandbox, fast_retries: RetryPolicy, no_sleep: NoSleep, kind: str
) -> None:
    server = build_server(sandbox_settings(sandbox), fast_retries)
    async with Client(server) as client:
        for family in sandbox.ports:
            with anyio.fail_after(20):
                ref = await _leaf(client, family)
                baseline = await _read_all(client, ref)
                assert isinstance(baseline, list) and baseline, f"{family}: {baseline}"
                no_sleep.delays.clear()
                fault: Any = kind
                sandbox.ctx.faults.add(family, fault, times=1, delay=0.05, after_bytes=200, retry_after=RETRY_AFTER)
                outcome = await _read_all(client, ref)
            fired = [f for f in sandbox.ctx.faults.fired if f[0] == family]
            sandbox.ctx.faults.clear()
            assert fired, f"{family}: the {kind} fault never hit a request"
            if kind == "throttle":  # one retry, after the vendor's retry-after where it gives one, else a backoff
                waited = no_sleep.delays
                assert len(waited) == 1 and (waited[0] == RETRY_AFTER) == (family in SAYS_WHEN), f"{family}: {waited}"
            if isinstance(outcome, str):
                assert kind not in RECOVERABLE, f"{family} did not recover from {kind}: {outcome}"
                assert (
                    family in outcome and "Error executing tool get_thread_messages:" in outcome and len(outcome) < 800
                )
            else:
                assert outcome == baseline, f"{family} lost or repeated messages under {kind}"


def _without(messages: list[dict[str, Any]], unknown: str | None) -> list[dict[str, Any]]:
    """Messages without their seq (an extra message shifts it) and without the unknown event's parts."""
    return [
        {**{k: v for k, v in m.items() if k != "seq"}, "parts": [p for p in m["parts"] if p.get("name") != unknown]}
        for m in messages
    ]


async def test_every_vendor_reads_through_schema_drift_keeping_every_message_and_unknown_event_types(
    sandbox: Sandbox, fast_retries: RetryPolicy
) -> None:
    server = build_server(sandbox_settings(sandbox), fast_retries)
    async with Client(server) as client:
        for family in sandbox.ports:
            with anyio.fail_after(20):
                ref = await _leaf(client, family)
                baseline = await _read_all(client, ref)
                assert isinstance(baseline, list) and baseline, f"{family}: {baseline}"
                sandbox.ctx.faults.add(family, "drift", times=1)
                outcome = await _read_all(client, ref)
            assert [f[1] for f in sandbox.ctx.faults.fired if f[0] == family] == ["drift"], family
            sandbox.ctx.faults.clear()
            assert isinstance(outcome, list), f"{family} failed on drifted replies: {outcome}"
            extra, unknown = DRIFT_ADDS[family]
            known = {m["id"] for m in baseline}
            assert None not in known and len(known) == len(baseline), f"{family}: messages need distinct ids"
            added = [m for m in outcome if m["id"] not in known]
            assert len(added) == extra, f"{family} added {len(added)} messages under drift, expected {extra}"
            kept = [m for m in outcome if m["id"] in known]
            assert _without(kept, unknown) == _without(baseline, unknown), f"{family} lost or changed messages"
            names = {p.get("name") for m in outcome for p in m["parts"] if p["kind"] == "event"}
            assert unknown is None or unknown in names, f"{family} dropped the unknown event type {unknown}"
