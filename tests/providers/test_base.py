"""What every provider shares: a lookup beside the messages (a title, a status) never throws the messages away."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client

from agent_threads.app import build_server
from agent_threads.errors import NotFoundError, ProviderConnectionError, ServerError
from agent_threads.http import RetryPolicy
from agent_threads.providers.base import auxiliary
from agent_threads.sandbox import Sandbox
from agent_threads.sandbox.qoder.data import CHILD_A, SID_A

from ..conftest import ToolFailed, read_all_tool, sandbox_settings


async def _found() -> str:
    return "title"


async def _failing(error: Exception) -> str:
    raise error


async def test_a_lookup_that_answers_gives_its_value_and_no_note() -> None:
    assert await auxiliary("title", _found()) == ("title", None)


@pytest.mark.parametrize(
    "error",
    [
        ServerError("The service is unavailable", provider="p", status=503, code="ServiceUnavailable"),
        ProviderConnectionError("timed out calling p.example", provider="p"),
        NotFoundError("Specified api is not found", provider="p", status=404, code="InvalidApi.NotFound"),
    ],
    ids=["5xx-after-retries", "unreachable", "api-missing-here"],
)
async def test_a_failed_lookup_gives_a_note_naming_what_is_missing_and_why(error: Exception) -> None:
    value, note = await auxiliary("title and status", _failing(error))
    assert value is None and note is not None and note.startswith("title and status unavailable: ")
    assert str(error) in note


async def test_the_thread_itself_not_found_is_still_an_error() -> None:
    gone = NotFoundError("Session 'sess_x' was not found", provider="p", status=404, code="not_found_error")
    with pytest.raises(NotFoundError):
        await auxiliary("title and status", _failing(gone))


LOOKUPS = {
    "cms": ("cms:report-bot/weekly-2026-03", "weekly-2026-03 GetThread"),
    "starops": ("starops:report-bot/weekly-2026-03", "weekly-2026-03 GetThread"),
    "qoder": (f"qoder:{SID_A}", f"/sessions/{SID_A} "),
    "qoder-thread": (f"qoder:{SID_A}/{CHILD_A}", f"/threads/{CHILD_A} "),
}
"""A thread per vendor whose title and status come from a lookup of their own, and the route of that lookup."""


@pytest.fixture
def cloud_families() -> list[str]:
    return ["qoder", "cms", "starops"]


@pytest.mark.parametrize("kind", ["server_error", "error_200"])
@pytest.mark.parametrize("case", list(LOOKUPS))
async def test_a_failing_title_lookup_returns_the_messages_with_a_note(
    cloud: Sandbox, fast_retries: RetryPolicy, case: str, kind: str
) -> None:
    ref, route = LOOKUPS[case]
    async with Client(build_server(sandbox_settings(cloud), fast_retries)) as client:
        with anyio.fail_after(20):
            baseline, _ = await read_all_tool(client, ref)
            fault: Any = kind
            cloud.ctx.faults.add(case.split("-")[0], fault, route=route, times=None)
            try:
                again, _ = await read_all_tool(client, ref)
            except ToolFailed as failed:
                pytest.fail(f"{case}: the messages were thrown away for a title: {failed.text}")
            first = await client.call_tool("get_thread_messages", {"thread": ref})
    assert cloud.ctx.faults.fired and again == baseline
    text = "\n".join(c.text for c in first.content if c.type == "text")
    assert any(line.startswith("note: title and status unavailable: ") for line in text.splitlines()), text
