"""``--format otel-messages``: the OpenTelemetry GenAI message list, checked against the GenAI JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from agent_threads.export import export, otel_messages
from agent_threads.sandbox import Sandbox
from agent_threads.transcript import Message

from ..conftest import sandbox_settings
from .threads import every_kind, fake, first_sandbox_ref, written

SCHEMA = json.loads((Path(__file__).parent.parent / "fixtures" / "otel_input_messages.schema.json").read_text())


def validate(messages: list[dict[str, Any]]) -> None:
    """Against the schema, and each standard part against its own definition (the schema's GenericPart takes any)."""
    jsonschema.validate(messages, SCHEMA)
    named = {"text": "TextPart", "tool_call": "ToolCallRequestPart", "tool_call_response": "ToolCallResponsePart"}
    named |= {"reasoning": "ReasoningPart", "uri": "UriPart", "blob": "BlobPart", "file": "FilePart"}
    for part in (p for m in messages for p in m["parts"]):
        if part["type"] in named:
            jsonschema.validate(part, {**SCHEMA, **SCHEMA["$defs"][named[part["type"]]]})


async def test_otel_messages_validate_against_the_genai_input_messages_schema() -> None:
    document = json.loads(await written(fake(every_kind()), "otel-messages"))
    validate(document)
    assert {m["role"] for m in document} <= {"system", "user", "assistant", "tool"}


async def test_otel_messages_use_the_genai_part_names_and_put_a_reported_tool_result_in_a_tool_message() -> None:
    document = json.loads(await written(fake(every_kind()), "otel-messages"))
    assert document[1] == {
        "role": "assistant",
        "parts": [{"type": "reasoning", "content": "check the logs first"}],
        "name": "planner",
        "seq": 2,
        "time": "2026-05-18T03:40:00Z",
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
    assert json.loads(await written(fake([]), "otel-messages")) == []


async def test_a_sandbox_thread_exports_as_valid_otel_messages_through_its_real_provider(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    target = tmp_path / "thread.json"
    count = await export(sandbox_settings(sandbox), await first_sandbox_ref(sandbox), "otel-messages", str(target))
    document = json.loads(target.read_text(encoding="utf-8"))
    validate(document)
    assert count >= 1 and len(document) >= count
