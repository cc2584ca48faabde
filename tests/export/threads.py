"""Threads the export tests write: one message of each part kind, a fake provider serving them, the writers'
output as text, and a thread of the sandbox found the way a model would."""

from __future__ import annotations

import io

from mcp import Client

from agent_threads.app import build_server
from agent_threads.config import Settings
from agent_threads.export import Format, write_thread
from agent_threads.providers.base import ProviderSettings
from agent_threads.refs import parse_ref
from agent_threads.sandbox import Sandbox
from agent_threads.transcript import (
    ArtifactPart,
    DataPart,
    EventPart,
    Message,
    PlanPart,
    PlanStep,
    ReasoningPart,
    SubAgentPart,
    ToolCallPart,
    ToolResultPart,
)

from ..conftest import sandbox_settings
from ..fakes import T0, FakeProvider

REF = "qoder:sess_1/sthr_2"
SETTINGS = Settings(providers=(ProviderSettings("qoder", "qoder"),))


def every_kind() -> list[Message]:
    """One message per part kind, and the roles the OTel mapping has to translate."""
    return [
        Message(time=T0, role="user", text="Why did the nightly job fail?"),
        Message(time=T0, role="agent", author="planner", parts=[ReasoningPart(text="check the logs first")]),
        Message(
            role="assistant", parts=[ToolCallPart(id="tu1", name="Bash", arguments={"cmd": "tail log"}, result="OOM")]
        ),
        Message(role="tool", parts=[ToolResultPart(id="tu2", name="Read", result="denied", is_error=True)]),
        Message(role="assistant", parts=[SubAgentPart(name="sql", thread="cms:e/t", text="ran", status="done")]),
        Message(
            role="assistant", parts=[ArtifactPart(name="chart.png", mime="image/png", uri="https://x/c.png", size=9)]
        ),
        Message(role="assistant", parts=[ArtifactPart(name="notes", text="a, b")]),
        Message(role="assistant", parts=[PlanPart(title="fix", steps=[PlanStep(title="raise memory", status="done")])]),
        Message(
            role="event", parts=[EventPart(name="task", status="failed", code="E42", message="boom", is_error=True)]
        ),
        Message(role="assistant", parts=[DataPart(category="table", data={"rows": [[1, "中文"]]})]),
        Message(role="system", text="session idle"),
    ]


def fake(messages: list[Message], cap: int = 100) -> FakeProvider:
    return FakeProvider(threads={REF: messages}, page_size_cap=cap)


async def written(provider: FakeProvider, fmt: Format, *, redact: bool = True) -> str:
    out = io.StringIO()
    await write_thread(provider, parse_ref(REF), fmt, out, redact=redact)
    return out.getvalue()


async def first_sandbox_ref(sandbox: Sandbox) -> str:
    """A thread ref from the sandbox, found the way a model would: list_threads, one level down if needed."""
    async with Client(build_server(sandbox_settings(sandbox))) as client:
        for provider in sorted(sandbox.ports):
            listing = (await client.call_tool("list_threads", {"provider": provider})).structured_content or {}
            for entry in listing.get("threads", []):
                if not entry.get("children"):
                    return str(entry["ref"])
                inner = await client.call_tool("list_threads", {"provider": provider, "parent": entry["ref"]})
                threads = (inner.structured_content or {}).get("threads", [])
                if threads:
                    return str(threads[0]["ref"])
    raise AssertionError("the sandbox lists no thread")


__all__ = ["REF", "SETTINGS", "T0", "every_kind", "fake", "first_sandbox_ref", "written"]
