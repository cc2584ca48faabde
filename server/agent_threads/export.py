"""``agent-threads-mcp export REF``: a whole thread, every page followed through the provider (not the budgeted
tool), as Markdown, JSON Lines of normalized messages, or OpenTelemetry GenAI messages.

The ``otel`` format is the value of ``gen_ai.input.messages``: a JSON array of ``{role, parts[], name?}`` with
``text`` / ``tool_call`` / ``tool_call_response`` / ``reasoning`` parts; our other part kinds become generic
parts (``{"type": "event", ...}``), allowed by the schema. ``seq``, ``time`` and ``id`` ride along as extras.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TextIO

from typing_extensions import assert_never

from . import providers
from .config import Settings
from .errors import AgentThreadsError, ConfigError, ProtocolError
from .http import RetryPolicy
from .providers.base import Batch, Provider
from .redact import mask_secrets
from .refs import ThreadRef, parse_ref
from .render import Renderer, part_line
from .shaping import clean
from .transcript import (
    ArtifactPart,
    DataPart,
    EventPart,
    Message,
    Part,
    PlanPart,
    ReasoningPart,
    SubAgentPart,
    ToolCallPart,
    ToolResultPart,
)
from .wire import compact_json

if TYPE_CHECKING:
    from .app import Factory

Format = Literal["markdown", "jsonl", "otel"]
PAGE_SIZE = 100
MAX_PAGES = 100_000


class ExportFailed(AgentThreadsError):
    """An export that could not finish; the message is already free of configured secrets."""


async def export(
    settings: Settings, ref_text: str, fmt: Format, output: str | None, factory: Factory = providers.create
) -> int:
    """Write the whole thread to ``output`` (stdout when None); returns the number of messages."""
    ref = parse_ref(ref_text)
    spec = next((p for p in settings.providers if p.id == ref.provider), None)
    if spec is None:
        configured = ", ".join(p.id for p in settings.providers) or "none"
        why = settings.missing_reason(ref.provider)
        raise ConfigError(
            f"Provider {ref.provider!r} is not configured{f' ({why})' if why else ''}; configured: {configured}."
        )
    provider = factory(spec, settings.timeouts, RetryPolicy())
    secrets = tuple(v for p in settings.providers for v in p.credentials.values())
    try:
        async with provider.client:
            with _opened(output) as out:
                return await write_thread(provider, ref, fmt, out, redact=settings.redact)
    except AgentThreadsError as e:
        raise ExportFailed(mask_secrets(e.for_model(), secrets)) from e


@contextmanager
def _opened(output: str | None) -> Iterator[TextIO]:
    """stdout (as UTF-8), or a file that appears only once the export is complete."""
    if output is None or output == "-":
        if isinstance(sys.stdout, io.TextIOWrapper):
            sys.stdout.reconfigure(encoding="utf-8")
        yield sys.stdout
        sys.stdout.flush()
        return
    path = Path(output)
    partial = path.with_name(path.name + ".part")
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as f:
            yield f
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


async def batches(provider: Provider, ref: ThreadRef, page_size: int = PAGE_SIZE) -> AsyncIterator[Batch]:
    """Every vendor page of the thread, in order. Raises ProtocolError if the vendor's cursor goes round."""
    state: dict[str, Any] | None = None
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        batch = await provider.read(ref, state, page_size)
        yield batch
        if batch.next_state is None:
            return
        key = json.dumps(batch.next_state, sort_keys=True, default=str)
        if key in seen:
            raise ProtocolError("the vendor returned a page cursor it had already returned", provider=provider.id)
        seen.add(key)
        state = batch.next_state
    raise ProtocolError(f"the thread has more than {MAX_PAGES} pages", provider=provider.id)


async def write_thread(provider: Provider, ref: ThreadRef, fmt: Format, out: TextIO, *, redact: bool = True) -> int:
    writer = _WRITERS[fmt](out, str(ref))
    count, started = 0, False
    async for batch in batches(provider, ref):
        if not started:
            writer.start(batch.title, batch.status)
            started = True
        for i, message in enumerate(batch.messages, count + 1):
            message = message if message.seq else message.model_copy(update={"seq": i})
            writer.message(scrubbed(message) if redact else message)
        count += len(batch.messages)
    writer.end(count)
    return count


def scrubbed(message: Message) -> Message:
    """The message with control characters dropped and credential-like strings masked, wherever they sit."""
    return Message.model_validate(_scrub(message.model_dump(mode="json")))


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value, redact=True)
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    return value


class _Writer(Protocol):
    def __init__(self, out: TextIO, ref: str) -> None: ...
    def start(self, title: str | None, status: str | None) -> None: ...
    def message(self, m: Message) -> None: ...
    def end(self, count: int) -> None: ...


class MarkdownWriter:
    def __init__(self, out: TextIO, ref: str) -> None:
        self.out, self.ref, self.renderer = out, ref, Renderer("full")  # every time, to the second

    def start(self, title: str | None, status: str | None) -> None:
        meta = [f"- ref: `{self.ref}`"] + ([f"- status: {status}"] if status else []) + ["- times: UTC"]
        self.out.write(f"# {title or self.ref}\n\n" + "\n".join(meta) + "\n")

    def message(self, m: Message) -> None:
        who = m.role + (f" ({m.author})" if m.author else "")
        when = self.renderer.time(m.time).strip()
        self.out.write(f"\n### #{m.seq}{' · ' + when if when else ''} · {who}\n\n")
        if m.text:
            self.out.write(m.text.rstrip("\n") + ("\n\n" if m.parts else "\n"))
        for part in m.parts:
            self.out.write("- " + _line(_printable(part)).replace("\n", "\n  ") + "\n")

    def end(self, count: int) -> None:
        self.out.write(f"\n---\n{count} messages, exported by agent-threads-mcp.\n")


def _line(part: Part) -> str:
    """The transcript's line for a part, kept faithful: tool arguments as given (not ``k=v``), every status shown."""
    if isinstance(part, ToolCallPart):
        status = f" [{part.status}]" if part.status else ""
        result = f" → {'ERROR ' if part.is_error else ''}{part.result}" if part.result else ""
        return f"tool {part.name}({part.arguments or ''}){status}{result}"
    return part_line(part)


def _printable(part: Part) -> Part:
    """Structured values as compact JSON, the way the transcript shows them."""
    if isinstance(part, ToolCallPart) and part.arguments is not None and not isinstance(part.arguments, str):
        return part.model_copy(update={"arguments": compact_json(part.arguments)})
    if isinstance(part, DataPart) and not isinstance(part.data, str):
        return part.model_copy(update={"data": compact_json(part.data)})
    return part


class JsonlWriter:
    def __init__(self, out: TextIO, ref: str) -> None:
        self.out, self.ref = out, ref

    def start(self, title: str | None, status: str | None) -> None:
        return None

    def message(self, m: Message) -> None:
        row = {"thread": self.ref, **m.model_dump(mode="json", exclude_none=True)}
        self.out.write(compact_json(row) + "\n")

    def end(self, count: int) -> None:
        return None


class OtelWriter:
    """A JSON array, one OTel message per line, written as the pages arrive."""

    def __init__(self, out: TextIO, ref: str) -> None:
        self.out, self.first = out, True

    def start(self, title: str | None, status: str | None) -> None:
        self.out.write("[")

    def message(self, m: Message) -> None:
        for item in otel_messages(m):
            self.out.write(("\n" if self.first else ",\n") + compact_json(item))
            self.first = False

    def end(self, count: int) -> None:
        self.out.write("]\n" if self.first else "\n]\n")


_WRITERS: dict[Format, type[_Writer]] = {"markdown": MarkdownWriter, "jsonl": JsonlWriter, "otel": OtelWriter}
OTEL_ROLES = {
    "user": "user",
    "assistant": "assistant",
    "agent": "assistant",
    "tool": "tool",
    "system": "system",
    "event": "system",
}


def otel_messages(m: Message) -> list[dict[str, Any]]:
    """One message as OTel GenAI messages; a tool call that carries its result adds a ``tool`` message after it."""
    parts: list[dict[str, Any]] = [{"type": "text", "content": m.text}] if m.text else []
    parts += [otel_part(p) for p in m.parts]
    extras = _compact({"name": m.author, "seq": m.seq, "time": m.time.isoformat() if m.time else None, "id": m.id})
    out = [{"role": OTEL_ROLES[m.role], "parts": parts, **extras}]
    for p in m.parts:
        if isinstance(p, ToolCallPart) and p.result is not None:
            response = _compact(
                {"type": "tool_call_response", "id": p.id, "response": p.result, "is_error": p.is_error}
            )
            out.append({"role": "tool", "parts": [response], "seq": m.seq})
    return out


def otel_part(part: Part) -> dict[str, Any]:
    if isinstance(part, ToolCallPart):
        return _compact(
            {"type": "tool_call", "id": part.id, "name": part.name, "arguments": part.arguments, "status": part.status}
        )
    if isinstance(part, ToolResultPart):
        return _compact(
            {
                "type": "tool_call_response",
                "id": part.id,
                "response": part.result,
                "name": part.name,
                "is_error": part.is_error,
            }
        )
    if isinstance(part, ReasoningPart):
        return {"type": "reasoning", "content": part.text}
    if isinstance(part, SubAgentPart):
        return _compact(
            {"type": "sub_agent", "name": part.name, "thread": part.thread, "content": part.text, "status": part.status}
        )
    if isinstance(part, ArtifactPart):
        return _artifact(part)
    if isinstance(part, PlanPart):
        return _compact(
            {"type": "plan", "title": part.title, "steps": [s.model_dump(exclude_none=True) for s in part.steps]}
        )
    if isinstance(part, EventPart):
        return _compact({"type": "event", **part.model_dump(exclude={"kind"}, exclude_none=True)})
    if isinstance(part, DataPart):
        return _compact({"type": "data", "category": part.category, "data": part.data})
    assert_never(part)


def _artifact(part: ArtifactPart) -> dict[str, Any]:
    fields = {"name": part.name, "mime_type": part.mime, "byte_size": part.size}
    if part.uri:
        return _compact(
            {"type": "uri", "modality": _modality(part.mime), "uri": part.uri, **fields, "content": part.text}
        )
    return _compact({"type": "artifact", **fields, "content": part.text})


def _modality(mime: str | None) -> str:
    kind = (mime or "").split("/", 1)[0]
    return kind if kind in ("image", "video", "audio") else "document"


def _compact(d: dict[str, Any]) -> dict[str, Any]:
    """Drop absent optional fields ("omit when not captured"); a tool call's null arguments are omitted too."""
    return {k: v for k, v in d.items() if v is not None}
