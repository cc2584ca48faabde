from __future__ import annotations

import io
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import pytest
from mcp import Client

from agent_threads.app import build_server
from agent_threads.config import Settings
from agent_threads.errors import ConfigError
from agent_threads.export import ExportFailed, export, otel_messages, write_thread
from agent_threads.providers.base import Batch, ProviderSettings, State
from agent_threads.refs import ThreadRef, parse_ref
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

from .conftest import sandbox_settings
from .fakes import T0, FakeProvider, fake_factory, sample_messages

SCHEMA = json.loads((Path(__file__).parent / "fixtures" / "otel_input_messages.schema.json").read_text())
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


def _fake(messages: list[Message], cap: int = 100) -> FakeProvider:
    return FakeProvider(threads={REF: messages}, page_size_cap=cap)


async def _written(fake: FakeProvider, fmt: str, *, redact: bool = True) -> str:
    out = io.StringIO()
    await write_thread(fake, parse_ref(REF), fmt, out, redact=redact)  # type: ignore[arg-type]
    return out.getvalue()


def _validate_otel(messages: list[dict[str, Any]]) -> None:
    """Against the schema, and each standard part against its own definition (the schema's GenericPart takes any)."""
    jsonschema.validate(messages, SCHEMA)
    named = {"text": "TextPart", "tool_call": "ToolCallRequestPart", "tool_call_response": "ToolCallResponsePart"}
    named |= {"reasoning": "ReasoningPart", "uri": "UriPart", "blob": "BlobPart", "file": "FilePart"}
    for part in (p for m in messages for p in m["parts"]):
        if part["type"] in named:
            jsonschema.validate(part, {**SCHEMA, **SCHEMA["$defs"][named[part["type"]]]})


async def test_export_follows_every_page_and_writes_each_message_once() -> None:
    fake = _fake(sample_messages(53), cap=7)
    rows = [json.loads(line) for line in (await _written(fake, "jsonl")).splitlines()]
    assert [r["text"] for r in rows] == [f"message {i}" for i in range(53)]
    assert [r["seq"] for r in rows] == list(range(1, 54))
    assert {r["thread"] for r in rows} == {REF}
    assert len(fake.reads) == 8


async def test_otel_export_validates_against_the_genai_input_messages_schema() -> None:
    document = json.loads(await _written(_fake(every_kind()), "otel"))
    _validate_otel(document)
    assert {m["role"] for m in document} <= {"system", "user", "assistant", "tool"}


async def test_otel_uses_the_genai_part_names_and_puts_a_reported_tool_result_in_a_tool_message() -> None:
    document = json.loads(await _written(_fake(every_kind()), "otel"))
    assert document[1] == {
        "role": "assistant",
        "parts": [{"type": "reasoning", "content": "check the logs first"}],
        "name": "planner",
        "seq": 2,
        "time": "2026-05-18T03:40:00+00:00",
    }
    call, result = document[2], document[3]
    assert call["parts"] == [{"type": "tool_call", "id": "tu1", "name": "Bash", "arguments": {"cmd": "tail log"}}]
    assert result == {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": "tu1", "response": "OOM"}],
        "seq": 3,
    }
    kinds = [p["type"] for m in document for p in m["parts"]]
    assert kinds == [
        "text",
        "reasoning",
        "tool_call",
        "tool_call_response",
        "tool_call_response",
        "sub_agent",
        "uri",
    ] + ["artifact", "plan", "event", "data", "text"]


def test_a_message_without_content_still_has_the_required_parts_array() -> None:
    assert otel_messages(Message(role="assistant")) == [{"role": "assistant", "parts": [], "seq": 0}]


async def test_an_empty_thread_is_an_empty_otel_array() -> None:
    assert json.loads(await _written(_fake([]), "otel")) == []


async def test_markdown_has_a_heading_per_message_and_shows_structured_values_as_json() -> None:
    text = await _written(_fake(every_kind()), "markdown")
    assert text.startswith("# Fake thread\n\n- ref: `qoder:sess_1/sthr_2`\n- status: idle\n")
    assert "\n### #1 · 2026-05-18 03:40:00 · user\n\nWhy did the nightly job fail?\n" in text
    assert '- tool Bash({"cmd":"tail log"}) → OOM\n' in text
    assert '- data table: {"rows":[[1,"中文"]]}\n' in text
    assert text.count("\n### #") == 11
    assert text.endswith("11 messages, exported by agent-threads-mcp.\n")


async def test_credentials_quoted_in_a_thread_are_masked_unless_redaction_is_off() -> None:
    leaky = [Message(role="tool", text="curl -H 'Authorization: Bearer abcdefghijklmnop1234' ?token=s3cr3tvalue")]
    masked = await _written(_fake(leaky), "jsonl")
    assert "abcdefghijklmnop1234" not in masked and "s3cr3tvalue" not in masked
    assert "s3cr3tvalue" in await _written(_fake(leaky), "jsonl", redact=False)


async def test_an_unconfigured_provider_is_refused_naming_the_configured_ones() -> None:
    settings = replace(SETTINGS, missing={"tencent": "set TENCENTCLOUD_SECRET_ID"})
    with pytest.raises(ConfigError) as caught:
        await export(settings, "dataagent:ins_1/s1", "jsonl", None, factory=fake_factory({}))
    assert "configured: qoder" in caught.value.for_model()
    assert "set TENCENTCLOUD_SECRET_ID" in caught.value.for_model()


class Circular(FakeProvider):
    async def read(self, ref: ThreadRef, state: State | None, limit: int) -> Batch:
        return Batch(sample_messages(1), next_state={"page": 1})


async def test_a_vendor_cursor_that_goes_round_ends_the_export_with_an_error() -> None:
    with pytest.raises(ExportFailed) as caught, anyio.fail_after(5):
        await export(SETTINGS, REF, "jsonl", None, factory=fake_factory({"qoder": Circular()}))
    assert "already returned" in caught.value.for_model()


async def test_a_failed_export_to_a_file_leaves_neither_the_file_nor_a_partial_one(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    with pytest.raises(ExportFailed):
        await export(SETTINGS, REF, "jsonl", str(target), factory=fake_factory({"qoder": Circular()}))
    assert list(tmp_path.iterdir()) == []


async def test_an_export_to_a_file_writes_utf8(tmp_path: Path) -> None:
    target = tmp_path / "out.md"
    count = await export(SETTINGS, REF, "markdown", str(target), factory=fake_factory({"qoder": _fake(every_kind())}))
    assert count == 11
    assert "中文" in target.read_text(encoding="utf-8")


async def _first_ref(sandbox: Sandbox) -> str | None:
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
    return None


async def test_a_sandbox_thread_exports_as_valid_otel_through_its_real_provider(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    ref = await _first_ref(sandbox)
    if ref is None:
        pytest.skip("the sandbox serves no provider with threads yet")
    target = tmp_path / "thread.json"
    count = await export(sandbox_settings(sandbox), ref, "otel", str(target))
    document = json.loads(target.read_text(encoding="utf-8"))
    _validate_otel(document)
    assert count >= 1 and len(document) >= count


async def test_the_export_command_works_with_the_sandbox_and_no_account(sandbox: Sandbox, tmp_path: Path) -> None:
    ref = await _first_ref(sandbox)  # the command's own sandbox serves the same sample data
    if ref is None:
        pytest.skip("the sandbox serves no provider with threads yet")
    target = tmp_path / "thread.md"
    command = [
        sys.executable,
        "-m",
        "agent_threads",
        "export",
        ref,
        "--sandbox",
        "--format",
        "markdown",
        "-o",
        str(target),
    ]
    with anyio.fail_after(60):
        done = await anyio.run_process(command, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert target.read_text(encoding="utf-8").startswith("# ")
    assert "\n### #1 " in target.read_text(encoding="utf-8")


async def test_a_failing_export_command_says_why_in_one_line_without_a_traceback() -> None:
    command = [sys.executable, "-m", "agent_threads", "export", "qoder:no-such-session", "--sandbox"]
    with anyio.fail_after(60):
        done = await anyio.run_process(command, check=False)
    err = done.stderr.decode()
    assert done.returncode == 1 and done.stdout == b""
    assert err.startswith("agent-threads-mcp: ") and "Traceback" not in err
