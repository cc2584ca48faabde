"""``--format otlp``: an OTLP/JSON ExportTraceServiceRequest, parsed with opentelemetry-proto's own classes."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from google.protobuf.json_format import Parse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from agent_threads.export import export
from agent_threads.sandbox import Sandbox
from agent_threads.transcript import EventPart, Message, ToolCallPart, ToolResultPart

from ..conftest import sandbox_settings
from ..fakes import T0
from .test_otel_messages import validate
from .threads import REF, every_kind, fake, first_sandbox_ref, written

IDS = ("traceId", "spanId", "parentSpanId")


def parsed(text: str) -> ExportTraceServiceRequest:
    """OTLP/JSON writes ids as hex where protobuf's JSON mapping expects base64; the collector converts, so do we."""
    document = json.loads(text)
    for span in (s for r in document["resourceSpans"] for ss in r["scopeSpans"] for s in ss["spans"]):
        for key in IDS:
            span[key] = base64.b64encode(bytes.fromhex(span[key])).decode()
    return Parse(json.dumps(document), ExportTraceServiceRequest())


def spans(request: ExportTraceServiceRequest) -> list[Span]:
    return [s for r in request.resource_spans for ss in r.scope_spans for s in ss.spans]


def plain(v: AnyValue) -> Any:
    kind = v.WhichOneof("value")
    assert kind is not None, "an attribute without a value"
    if kind == "array_value":
        return [plain(x) for x in v.array_value.values]
    return int(v.int_value) if kind == "int_value" else getattr(v, kind)


def attrs(items: list[KeyValue] | Any) -> dict[str, Any]:
    return {kv.key: plain(kv.value) for kv in items}


def conversation() -> list[Message]:
    """Two turns: a tool call answered by a later tool message, then one that fails with an error event."""
    second = T0.replace(minute=41)
    return [
        Message(time=T0, role="user", text="What is in the log?"),
        Message(
            time=T0.replace(second=2),
            role="assistant",
            author="ops-bot",
            parts=[ToolCallPart(id="c1", name="Bash", arguments={"cmd": "tail log"})],
        ),
        Message(time=T0.replace(second=5), role="tool", parts=[ToolResultPart(id="c1", result="OOM at 03:39")]),
        Message(time=T0.replace(second=6), role="assistant", text="The job ran out of memory."),
        Message(time=second, role="user", text="Restart it."),
        Message(
            time=second.replace(second=1),
            role="assistant",
            parts=[ToolCallPart(id="c2", name="Restart", arguments="job=nightly", result="denied", is_error=True)],
        ),
        Message(
            time=second.replace(second=3),
            role="event",
            parts=[EventPart(name="task", code="E42", message="restart refused", is_error=True)],
        ),
    ]


async def test_the_export_is_an_export_trace_service_request_with_one_trace_and_valid_ids() -> None:
    request = parsed(await written(fake(conversation()), "otlp"))
    found = spans(request)
    assert attrs(request.resource_spans[0].resource.attributes)["service.name"] == "agent-threads-mcp"
    assert len({s.trace_id for s in found}) == 1 and len(found[0].trace_id) == 16
    assert all(len(s.span_id) == 8 for s in found) and len({s.span_id for s in found}) == len(found)
    roots = [s for s in found if not s.parent_span_id]
    assert len(roots) == 1 and {s.parent_span_id for s in found} - {b""} <= {s.span_id for s in found}
    assert all(s.start_time_unix_nano <= s.end_time_unix_nano for s in found)


async def test_a_span_per_turn_and_per_tool_call_with_genai_attributes() -> None:
    found = spans(parsed(await written(fake(conversation()), "otlp")))
    by_name = {s.name: s for s in found}
    assert sorted(by_name) == [
        "execute_tool Bash",
        "execute_tool Restart",
        "invoke_agent",
        "invoke_agent ops-bot",
        "thread Fake thread",
    ]
    turn, tool = by_name["invoke_agent ops-bot"], by_name["execute_tool Bash"]
    assert turn.kind == Span.SPAN_KIND_CLIENT and tool.kind == Span.SPAN_KIND_INTERNAL
    assert tool.parent_span_id == turn.span_id
    turn_attrs = attrs(turn.attributes)
    assert {k: turn_attrs[k] for k in ("gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.conversation.id")} == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.provider.name": "qoder",
        "gen_ai.conversation.id": REF,
    }
    assert turn_attrs["gen_ai.agent.name"] == "ops-bot"
    asked, answered = json.loads(turn_attrs["gen_ai.input.messages"]), json.loads(turn_attrs["gen_ai.output.messages"])
    validate(asked)
    validate(answered)
    assert [m["role"] for m in asked] == ["user"] and [m["role"] for m in answered] == [
        "assistant",
        "tool",
        "assistant",
    ]
    assert (
        attrs(tool.attributes).items()
        >= {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "Bash",
            "gen_ai.tool.call.id": "c1",
            "gen_ai.tool.call.arguments": '{"cmd":"tail log"}',
            "gen_ai.tool.call.result": "OOM at 03:39",
        }.items()
    )


async def test_spans_take_their_times_from_the_messages_a_tool_span_lasting_until_its_result() -> None:
    by_name = {s.name: s for s in spans(parsed(await written(fake(conversation()), "otlp")))}
    second = 1_000_000_000
    t0 = int(T0.timestamp()) * second
    assert (
        by_name["invoke_agent ops-bot"].start_time_unix_nano,
        by_name["invoke_agent ops-bot"].end_time_unix_nano,
    ) == (
        t0,
        t0 + 6 * second,
    )
    bash = by_name["execute_tool Bash"]
    assert (bash.start_time_unix_nano, bash.end_time_unix_nano) == (t0 + 2 * second, t0 + 5 * second)


async def test_a_failed_tool_call_and_an_error_event_mark_their_spans_as_errors_with_exception_events() -> None:
    by_name = {s.name: s for s in spans(parsed(await written(fake(conversation()), "otlp")))}
    restart, turn = by_name["execute_tool Restart"], by_name["invoke_agent"]
    assert restart.status.code == Status.STATUS_CODE_ERROR and attrs(restart.attributes)["error.type"] == "tool_error"
    assert [e.name for e in restart.events] == ["gen_ai.execute_tool.exception"]
    assert turn.status.code == Status.STATUS_CODE_ERROR and turn.status.message == "restart refused"
    assert attrs(turn.attributes)["error.type"] == "E42"
    assert attrs(turn.attributes)["gen_ai.response.finish_reasons"] == ["error"]
    (event,) = turn.events
    assert event.name == "gen_ai.client.operation.exception"
    assert attrs(event.attributes) == {"exception.type": "E42", "exception.message": "restart refused"}
    assert by_name["invoke_agent ops-bot"].status.code == Status.STATUS_CODE_UNSET


async def test_exporting_again_gives_the_same_ids() -> None:
    first, again = await written(fake(conversation()), "otlp"), await written(fake(conversation()), "otlp")
    assert first == again


async def test_every_part_kind_and_an_empty_thread_still_make_a_valid_request() -> None:
    assert len(spans(parsed(await written(fake(every_kind()), "otlp")))) == 1 + 1 + 1  # root, one turn, one tool
    (root,) = spans(parsed(await written(fake([]), "otlp")))
    assert attrs(root.attributes)["agent_threads.thread.messages"] == 0


async def test_a_sandbox_thread_exports_as_an_otlp_trace_through_its_real_provider(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    target = tmp_path / "trace.json"
    count = await export(sandbox_settings(sandbox), await first_sandbox_ref(sandbox), "otlp", str(target))
    found = spans(parsed(target.read_text(encoding="utf-8")))
    turns = [s for s in found if attrs(s.attributes).get("gen_ai.operation.name") == "invoke_agent"]
    assert count >= 1 and turns and all(s.start_time_unix_nano > 0 for s in found)
