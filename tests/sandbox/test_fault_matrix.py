"""Every vendor × every fault, one test each: a read ends in the complete transcript or in one clear tool error."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client

from agent_threads.app import build_server
from agent_threads.http import RetryPolicy
from agent_threads.sandbox import Sandbox

from ..conftest import NoSleep, ToolFailed, leaf, read_all_tool, sandbox_settings

FAMILIES = ["qoder", "cms", "starops", "dms", "rdsai", "dataagent"]
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


@pytest.fixture
def cloud_families(family: str) -> list[str]:
    return [family]


async def _read(client: Client, ref: str) -> list[dict[str, Any]] | str:
    """The whole thread, 20 messages a call, or the error text of the call that failed."""
    try:
        return (await read_all_tool(client, ref, limit=20))[0]
    except ToolFailed as failed:
        return failed.text


@pytest.mark.parametrize("kind", READ_FAULTS)
@pytest.mark.parametrize("family", FAMILIES)
async def test_a_read_recovers_or_fails_clearly_under_each_fault(
    cloud: Sandbox, fast_retries: RetryPolicy, no_sleep: NoSleep, family: str, kind: str
) -> None:
    async with Client(build_server(sandbox_settings(cloud), fast_retries)) as client:
        with anyio.fail_after(20):
            ref = await leaf(client, family)
            baseline = await _read(client, ref)
            assert isinstance(baseline, list) and baseline, baseline
            no_sleep.delays.clear()
            fault: Any = kind
            cloud.ctx.faults.add(family, fault, times=1, delay=0.05, after_bytes=200, retry_after=RETRY_AFTER)
            outcome = await _read(client, ref)
    assert cloud.ctx.faults.fired, f"the {kind} fault never hit a request"
    if kind == "throttle":  # one retry, after the vendor's retry-after where it gives one, else a backoff
        waited = no_sleep.delays
        assert len(waited) == 1 and (waited[0] == RETRY_AFTER) == (family in SAYS_WHEN), waited
    if isinstance(outcome, str):
        assert kind not in RECOVERABLE, f"did not recover: {outcome}"
        assert family in outcome and "Error executing tool get_thread_messages:" in outcome and len(outcome) < 800
    else:
        assert outcome == baseline, "messages lost or repeated"


def _without(messages: list[dict[str, Any]], unknown: str | None) -> list[dict[str, Any]]:
    """Messages without their seq (an extra message shifts it) and without the unknown event's parts."""
    return [
        {**{k: v for k, v in m.items() if k != "seq"}, "parts": [p for p in m["parts"] if p.get("name") != unknown]}
        for m in messages
    ]


@pytest.mark.parametrize("family", FAMILIES)
async def test_a_read_goes_through_schema_drift_keeping_every_message_and_unknown_event_types(
    cloud: Sandbox, fast_retries: RetryPolicy, family: str
) -> None:
    async with Client(build_server(sandbox_settings(cloud), fast_retries)) as client:
        with anyio.fail_after(20):
            ref = await leaf(client, family)
            baseline = await _read(client, ref)
            assert isinstance(baseline, list) and baseline, baseline
            cloud.ctx.faults.add(family, "drift", times=1)
            outcome = await _read(client, ref)
    assert [f[1] for f in cloud.ctx.faults.fired] == ["drift"]
    assert isinstance(outcome, list), f"failed on drifted replies: {outcome}"
    extra, unknown = DRIFT_ADDS[family]
    known = {m["id"] for m in baseline}
    assert None not in known and len(known) == len(baseline), "messages need distinct ids"
    added = [m for m in outcome if m["id"] not in known]
    assert len(added) == extra, f"added {len(added)} messages under drift, expected {extra}"
    kept = [m for m in outcome if m["id"] in known]
    assert _without(kept, unknown) == _without(baseline, unknown), "lost or changed messages"
    names = {p.get("name") for m in outcome for p in m["parts"] if p["kind"] == "event"}
    assert unknown is None or unknown in names, f"dropped the unknown event type {unknown}"
