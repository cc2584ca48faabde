"""``--format otlp``: the thread as an OTLP/JSON ``ExportTraceServiceRequest`` that an OpenTelemetry collector
(``otlpjsonfile`` receiver, or POSTed to ``/v1/traces``), Phoenix or Langfuse ingest.

One trace per thread, its ids derived from the ref (exporting again gives the same ids): a root span for the
thread; under it an ``invoke_agent`` span per turn (a user message and everything up to the next one) carrying
the turn's messages as ``gen_ai.input.messages`` / ``gen_ai.output.messages``; under each turn an
``execute_tool`` span per tool call. Errors set the span's status and ``error.type`` and add a
``gen_ai.client.operation.exception`` (turn) or ``gen_ai.execute_tool.exception`` (tool) event. Written as
turns complete, so memory holds one turn, not the thread.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from .. import __version__
from ..refs import parse_ref
from ..transcript import EventPart, Message, ToolCallPart, ToolResultPart
from ..wire import compact_json
from .otel_messages import otel_messages

KIND_INTERNAL, KIND_CLIENT = 1, 3
STATUS_ERROR = 2
Attributes = list[dict[str, Any]]


def ids(*key: object) -> str:
    """A stable hex id from its key: 32 digits for a trace (key of one), 16 for a span."""
    digest = hashlib.sha256("\0".join(map(str, key)).encode()).hexdigest()
    return digest[:32] if len(key) == 1 else digest[:16]


def nanos(when: datetime | None) -> int:
    return round(when.timestamp() * 1_000_000_000) if when else 0


def value(v: Any) -> dict[str, Any]:
    """An OTLP ``AnyValue``: 64-bit integers as decimal strings, lists as ``arrayValue``."""
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, list):
        return {"arrayValue": {"values": [value(x) for x in v]}}
    return {"stringValue": str(v)}


def attributes(pairs: dict[str, Any]) -> Attributes:
    """OTLP key-value attributes; a None value is left out."""
    return [{"key": k, "value": value(v)} for k, v in pairs.items() if v is not None]


@dataclass
class Span:
    span_id: str
    parent: str
    name: str
    kind: int
    start: int
    end: int
    attributes: Attributes
    events: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def to_json(self, trace_id: str) -> dict[str, Any]:
        span: dict[str, Any] = {
            "traceId": trace_id,
            "spanId": self.span_id,
            "parentSpanId": self.parent,
            "name": self.name,
            "kind": self.kind,
            "startTimeUnixNano": str(self.start),
            "endTimeUnixNano": str(max(self.start, self.end)),
            "attributes": self.attributes,
        }
        if self.events:
            span["events"] = self.events
        if self.error is not None:
            span["status"] = {"code": STATUS_ERROR, "message": self.error}
        return span


class OtlpWriter:
    def __init__(self, out: TextIO, ref: str) -> None:
        self.out, self.ref, self.family = out, ref, parse_ref(ref).family
        self.trace_id, self.root_id = ids(ref), ids(ref, "thread")
        self.turn: list[Message] = []
        self.first_ns = self.last_ns = 0
        self.title: str | None = None
        self.status: str | None = None
        self.written = 0

    def start(self, title: str | None, status: str | None) -> None:
        self.title, self.status = title, status
        resource = attributes({"service.name": "agent-threads-mcp", "service.version": __version__})
        scope = {"name": "agent_threads.export", "version": __version__}
        self.out.write(f'{{"resourceSpans":[{{"resource":{{"attributes":{compact_json(resource)}}},')
        self.out.write(f'"scopeSpans":[{{"scope":{compact_json(scope)},"spans":[')

    def message(self, m: Message) -> None:
        if m.role == "user" and any(x.role != "user" for x in self.turn):
            self._flush()
        self.turn.append(m)

    def end(self, count: int) -> None:
        self._flush()
        thread = {
            "gen_ai.conversation.id": self.ref,
            "gen_ai.provider.name": self.family,
            "session.id": self.ref,
            "agent_threads.thread.title": self.title,
            "agent_threads.thread.status": self.status,
            "agent_threads.thread.messages": count,
        }
        name = f"thread {self.title or self.ref}"
        self._write(Span(self.root_id, "", name, KIND_INTERNAL, self.first_ns, self.last_ns, attributes(thread)))
        self.out.write("]}]}]}\n")

    def _write(self, span: Span) -> None:
        self.out.write(("," if self.written else "") + "\n" + compact_json(span.to_json(self.trace_id)))
        self.written += 1

    def _flush(self) -> None:
        turn, self.turn = self.turn, []
        if not turn:
            return
        times = [nanos(m.time) for m in turn if m.time] or [self.last_ns]
        start, end = min(times), max(times)
        self.first_ns = self.first_ns or start
        self.last_ns = max(self.last_ns, end)
        span = self._turn_span(turn, start, end)
        results = {p.id: (m, p) for m in turn for p in m.parts if isinstance(p, ToolResultPart) and p.id}
        for m in turn:
            for i, call in enumerate(p for p in m.parts if isinstance(p, ToolCallPart)):
                answer = results.get(call.id) if call.id else None
                self._write(self._tool_span(call, ids(self.ref, "tool", m.seq, i), span.span_id, m, answer))
        self._write(span)

    def _turn_span(self, turn: list[Message], start: int, end: int) -> Span:
        asked = [x for m in turn if m.role == "user" for x in otel_messages(m)]
        answered = [x for m in turn if m.role != "user" for x in otel_messages(m)]
        agent = next((m.author for m in turn if m.role == "assistant" and m.author), None)
        errors = [(m, p) for m in turn for p in m.parts if isinstance(p, EventPart) and p.is_error]
        first = errors[0][1] if errors else None
        turn_attributes = {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.provider.name": self.family,
            "gen_ai.conversation.id": self.ref,
            "gen_ai.agent.name": agent,
            "gen_ai.input.messages": compact_json(asked) if asked else None,
            "gen_ai.output.messages": compact_json(answered) if answered else None,
            "gen_ai.response.finish_reasons": ["error"] if first else None,
            "error.type": (first.code or "_OTHER") if first else None,
            "agent_threads.seq.first": turn[0].seq,
            "agent_threads.seq.last": turn[-1].seq,
        }
        name = f"invoke_agent {agent}" if agent else "invoke_agent"
        span = Span(ids(self.ref, "turn", turn[0].seq), self.root_id, name, KIND_CLIENT, start, end, [])
        span.attributes = attributes(turn_attributes)
        span.events = [
            _exception("gen_ai.client.operation.exception", m, p.code, p.message or p.name) for m, p in errors
        ]
        span.error = _summary(first.message or first.name) if first else None
        return span

    def _tool_span(
        self,
        call: ToolCallPart,
        span_id: str,
        parent: str,
        asked: Message,
        answer: tuple[Message, ToolResultPart] | None,
    ) -> Span:
        """A tool call from the message that made it to the one that brought its result (if on this turn)."""
        answered, result = (answer[0], answer[1].result) if answer else (asked, call.result)
        failed = bool(call.is_error or (answer and answer[1].is_error))
        arguments = (
            call.arguments
            if isinstance(call.arguments, str) or call.arguments is None
            else compact_json(call.arguments)
        )
        tool_attributes = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.provider.name": self.family,
            "gen_ai.conversation.id": self.ref,
            "gen_ai.tool.name": call.name,
            "gen_ai.tool.call.id": call.id,
            "gen_ai.tool.call.arguments": arguments,
            "gen_ai.tool.call.result": result,
            "error.type": "tool_error" if failed else None,
            "agent_threads.tool.status": call.status,
        }
        start = nanos(asked.time) or self.last_ns
        span = Span(
            span_id, parent, f"execute_tool {call.name}", KIND_INTERNAL, start, nanos(answered.time) or start, []
        )
        span.attributes = attributes(tool_attributes)
        if failed:
            span.error = _summary(result or "failed")
            span.events = [_exception("gen_ai.execute_tool.exception", answered, None, result or "failed")]
        return span


def _summary(text: str) -> str:
    """A status message: the first line of an error, at most 200 characters."""
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= 200 else line[:199] + "…"


def _exception(name: str, m: Message, kind: str | None, message: str) -> dict[str, Any]:
    event_attributes = attributes({"exception.type": kind, "exception.message": message})
    return {"timeUnixNano": str(nanos(m.time)), "name": name, "attributes": event_attributes}
