"""CMS / STAROps messages onto the normalized transcript; the same mapping serves GetThreadData and CreateChat SSE.

A message's ``contents`` is a list of chunks: ``append: true`` continues the current block, anything else starts
a new one; adjacent text chunks are one text either way (a block may start mid-sentence), with a line break only
where a chunk of another kind sat between them; ``lastChunk`` closes the message.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any, TypeVar

from ...times import epoch_time, utc
from ...transcript import (
    ArtifactPart,
    DataPart,
    EventPart,
    Message,
    Part,
    ReasoningPart,
    Role,
    SubAgentPart,
    ThreadEntry,
    ToolCallPart,
)
from ...wire import as_text, join_blocks
from .wire import (
    Agent,
    Artifact,
    Chunk,
    Employee,
    Event,
    EventError,
    EventPayload,
    Thread,
    ThreadData,
    Tool,
    WireMessage,
    WireModel,
)

W = TypeVar("W", bound=WireModel)
_ROLES: dict[str, Role] = {
    "user": "user",
    "assistant": "assistant",
    "system": "system",
    "tool": "tool",
    "agent": "agent",
}
_TEXT_TYPES = {None, "", "text", "markdown", "md"}
_REASONING_TYPES = {"reasoning", "thinking", "think"}
_PLAIN_MESSAGE_TYPES = {None, "", "text", "message", "chunk"}


def merge_chunks(chunks: list[Chunk], kinds: Collection[str | None] | None = None) -> str:
    """One text from streamed chunks of the given kinds (None: every chunk), in order. Adjacent chunks are one text
    (``append`` or not: a new block may start mid-sentence); a line break marks where a chunk of another kind sat
    between two of them."""
    return join_blocks(as_text(c.value) if kinds is None or c.type in kinds else None for c in chunks)


def message_id(msg: WireMessage, trace: str) -> str:
    return f"{trace}/{msg.seq}" if msg.seq is not None else f"{trace}/{msg.call_id or msg.parent_call_id or ''}"


def _updated(old: W, new: W, **lists: Any) -> W:
    """``old`` with the fields ``new`` sets (models kept as models, unknown fields too), then ``lists``."""
    fields = {k: getattr(new, k) for k in new.model_fields_set if getattr(new, k, None) is not None}
    return old.model_copy(update={**fields, **lists})


def _merge_by(old: list[W], new: list[W], key: Callable[[W], str], combine: Callable[[W, W], W]) -> list[W]:
    merged = {key(item): item for item in old}
    for item in new:
        merged[key(item)] = combine(merged[key(item)], item) if key(item) in merged else item
    return list(merged.values())


def _merge_artifact(old: Artifact, new: Artifact) -> Artifact:
    """A2A semantics: a chunk flagged ``append`` adds parts, otherwise the artifact is sent whole again."""
    return _updated(
        old, new, parts=[*old.parts, *new.parts] if getattr(new, "append", False) else (new.parts or old.parts)
    )


def merge_messages(old: WireMessage, new: WireMessage) -> WireMessage:
    """A message seen again (a later SSE event or stored record with the same id): its chunks and parts added."""
    return _updated(
        old,
        new,
        contents=[*old.contents, *new.contents],
        tools=_merge_by(old.tools, new.tools, Tool.key, _updated),
        agents=_merge_by(
            old.agents,
            new.agents,
            lambda a: a.call_id or a.id or "",
            lambda a, b: _updated(a, b, inputs=[*a.inputs, *b.inputs]),
        ),
        events=[*old.events, *new.events],
        artifacts=_merge_by(old.artifacts, new.artifacts, lambda a: a.artifact_id or a.name or "", _merge_artifact),
    )


def _content_parts(msg: WireMessage) -> tuple[str, list[Part]]:
    thinking = any(c.type in _REASONING_TYPES for c in msg.contents)
    parts: list[Part] = [ReasoningPart(text=merge_chunks(msg.contents, _REASONING_TYPES))] if thinking else []
    other = [c for c in msg.contents if c.type not in _TEXT_TYPES and c.type not in _REASONING_TYPES]
    parts += [DataPart(category=c.type, data=c.value) for c in other]
    return merge_chunks(msg.contents, _TEXT_TYPES), parts


def tool_part(tool: Tool) -> ToolCallPart:
    result = next((v for v in (tool.result, tool.output, tool.error) if v not in (None, "")), None)
    failed = tool.error not in (None, "") or (tool.status or "").lower() in ("error", "failed", "fail")
    return ToolCallPart(
        id=tool.tool_call_id or tool.id,
        name=tool.name or tool.id or "tool",
        arguments=tool.arguments,
        status=tool.status,
        result=as_text(result) if result is not None else None,
        is_error=True if failed else None,
    )


def agent_part(agent: Agent) -> SubAgentPart:
    return SubAgentPart(
        name=agent.name or agent.id or "agent", text=merge_chunks(agent.inputs) or None, status=agent.status
    )


def event_part(event: Event) -> EventPart:
    payload = event.payload or EventPayload()
    error = payload.error or EventError()
    message = " — ".join(x for x in (error.message, error.suggestion) if x) or None
    duration = payload.statistics.duration if payload.statistics else None
    return EventPart(
        name=event.type or "event",
        status=None if payload.success is None else ("succeeded" if payload.success else "failed"),
        code=error.code or None,
        message=message,
        duration_s=duration / 1000 if duration is not None else None,
        is_error=True if payload.success is False or error.code else None,
    )


def artifact_part(artifact: Artifact) -> ArtifactPart:
    files = [p.file for p in artifact.parts if isinstance(p.file, dict)]
    uri = next((str(f.get("uri")) for f in files if f.get("uri")), None)
    text = join_blocks(p.text if p.text is not None else None for p in artifact.parts) or artifact.description
    return ArtifactPart(name=artifact.name or artifact.artifact_id or "artifact", text=text, uri=uri)


def _time(stamp: str | int | None) -> datetime | None:
    """Nanoseconds since the epoch, as documented; an ISO string (seen in drifted data) is read too."""
    if isinstance(stamp, str) and stamp and not stamp.strip().isdigit():
        return utc(stamp)
    return epoch_time(stamp, "ns")


def _type_part(msg: WireMessage, parts: list[Part], empty: bool) -> list[Part]:
    """The message's own ``type``/``detail``: folded into the event of that type, else an event of its own."""
    if msg.type in _PLAIN_MESSAGE_TYPES:
        return parts
    for i, part in enumerate(parts):
        if isinstance(part, EventPart) and part.name == msg.type:
            if msg.detail and msg.detail not in (part.message or ""):
                joined = f"{part.message}; {msg.detail}" if part.message else msg.detail
                parts[i] = part.model_copy(update={"message": joined})
            return parts
    if msg.detail or empty:
        parts.append(EventPart(name=msg.type or "event", message=msg.detail))
    return parts


def _role(msg: WireMessage, author: str | None, text: str, parts: list[Part]) -> Role:
    role = _ROLES.get((msg.role or "").lower(), "assistant")
    if role == "assistant" and not text and parts and all(isinstance(p, EventPart) for p in parts):
        return "event"
    return "agent" if author and role == "assistant" else role


def to_message(msg: WireMessage, trace: str, agents: dict[str, str]) -> Message:
    """Map one wire message; ``agents`` (callId → name) names the sub-agent a nested message belongs to."""
    text, parts = _content_parts(msg)
    parts += [tool_part(t) for t in msg.tools]
    parts += [agent_part(a) for a in msg.agents]
    parts += [event_part(e) for e in msg.events]
    parts += [artifact_part(a) for a in msg.artifacts]
    parts = _type_part(msg, parts, empty=not (text or parts))
    author = agents.get(msg.parent_call_id or "") if msg.parent_call_id != msg.call_id else None
    unknown_role = msg.role if msg.role and msg.role.lower() not in _ROLES else None
    vendor = {k: v for k, v in {"role": unknown_role, "type": msg.type, "callId": msg.call_id}.items() if v}
    return Message(
        id=message_id(msg, trace),
        time=_time(msg.timestamp),
        role=_role(msg, author, text, parts),
        author=author,
        text=text,
        parts=parts,
        vendor=vendor or None,
    )


def note_agents(msg: WireMessage, agents: dict[str, str]) -> None:
    """Remember the sub-agents a message starts, so their own messages can be attributed."""
    for agent in msg.agents:
        if agent.call_id:
            agents[agent.call_id] = agent.name or agent.id or "agent"


def employee_entry(emp: Employee, ref: str) -> ThreadEntry:
    title = emp.display_name or emp.name
    if emp.description:
        title = f"{title} — {emp.description[:100]}"
    disabled = str(emp.status) == "1"
    return ThreadEntry(
        ref=ref,
        title=title,
        status="disabled" if disabled else None,
        kind="employee",
        created=utc(emp.create_time),
        updated=utc(emp.update_time),
        children=True,
        vendor={"employeeType": emp.employee_type} if emp.employee_type else None,
    )


def thread_entry(thread: Thread, ref: str) -> ThreadEntry:
    extras = {k: v for k, v in {"variables": thread.variables, "attributes": thread.attributes}.items() if v}
    return ThreadEntry(
        ref=ref,
        title=thread.title,
        status=thread.status,
        kind="thread",
        created=utc(thread.create_time),
        updated=utc(thread.update_time),
        vendor=extras or None,
    )


def pair_tools(messages: list[Message]) -> list[Message]:
    """Fold a later report on a known tool call (same id) into the call itself; drop messages left empty."""
    where: dict[str, tuple[int, int]] = {}
    out: list[Message] = []
    for message in messages:
        kept: list[Part] = []
        for part in message.parts:
            if isinstance(part, ToolCallPart) and part.id and part.id in where:
                _update_call(out, where[part.id], part)
            else:
                kept.append(part)
        if message.text or kept or not message.parts:
            for j, part in enumerate(kept):
                if isinstance(part, ToolCallPart) and part.id:
                    where[part.id] = (len(out), j)
            out.append(message if len(kept) == len(message.parts) else message.model_copy(update={"parts": kept}))
    return out


def _update_call(out: list[Message], at: tuple[int, int], later: ToolCallPart) -> None:
    i, j = at
    parts = list(out[i].parts)
    parts[j] = parts[j].model_copy(update=later.model_dump(exclude_none=True, exclude={"kind"}))
    out[i] = out[i].model_copy(update={"parts": parts})


def page_messages(data: ThreadData) -> list[Message]:
    """The page's messages in order; records of one message (same trace and seq) merged; tool results paired."""
    agents: dict[str, str] = {}
    merged: list[tuple[str, str, WireMessage]] = []
    for entry in data.data:
        trace = entry.trace_id or entry.request_id or ""
        for msg in entry.messages:
            note_agents(msg, agents)
            mid = message_id(msg, trace)
            if merged and merged[-1][0] == mid:
                merged[-1] = (mid, trace, merge_messages(merged[-1][2], msg))
            else:
                merged.append((mid, trace, msg))
    return pair_tools([to_message(msg, trace, agents) for _, trace, msg in merged])
