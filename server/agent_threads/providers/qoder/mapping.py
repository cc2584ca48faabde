"""Qoder events → normalized messages, one event at a time, shared by ``read`` (a page) and ``stream`` (live).

``feed`` returns the messages an event created or changed (same id = replace): a tool result fills in
its call, a span end completes its span, and consecutive status-like events are merged into one ``event``
message. Nothing is dropped except stream delta frames persisted in a list (their final event repeats them).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from ...transcript import (
    ArtifactPart,
    EventPart,
    Message,
    ReasoningPart,
    Role,
    SubAgentPart,
    ToolCallPart,
    ToolResultPart,
)
from ...wire import as_text, join_blocks
from .mapper import Handler, Mapper, short
from .status import STATUS_HANDLERS
from .wire import WireEvent

_SKIPPED = frozenset({"event_start", "event_delta"})


def feed(m: Mapper, raw: WireEvent | dict[str, Any]) -> list[Message]:
    """The messages one event (validated already, or as it came) created or changed (same id = replace)."""
    if isinstance(raw, WireEvent):
        return _handle(m, raw)
    try:
        event = WireEvent.model_validate(raw)
    except ValidationError:  # a field in a shape no doc shows: keep the event as it came
        raw_id = raw.get("id")
        event = WireEvent(
            type=str(raw.get("type") or "unknown"),
            id=raw_id if isinstance(raw_id, str) else f"anon-{len(m.messages)}",
        )
        return _keep(m, event, {k: v for k, v in raw.items() if k not in ("id", "type", "processed_at")})
    return _handle(m, event)


def _handle(m: Mapper, event: WireEvent) -> list[Message]:
    if not event.id:
        event.id = f"anon-{len(m.messages)}"
    if event.type in _SKIPPED:
        return []
    return HANDLERS.get(event.type, _unknown)(m, event)


def content_text(value: Any) -> tuple[str, list[ArtifactPart]]:
    """Text of ``content`` given as a string, one block or a list of blocks (joined by ``join_blocks``); non-text
    blocks as artifacts."""
    if value is None:
        return "", []
    if isinstance(value, str):
        return value, []
    blocks = [value] if isinstance(value, dict) else value if isinstance(value, list) else [json.dumps(value)]
    pieces = [_block_text(block) for block in blocks]
    artifacts = [_block_artifact(b) for b, p in zip(blocks, pieces) if p is None and isinstance(b, dict)]
    return join_blocks(pieces), artifacts


def _block_text(block: Any) -> str | None:
    """A block's text, or None for a block that is not text."""
    said = block.get("text", block.get("thinking")) if isinstance(block, dict) else block
    return said if isinstance(said, str) else None


def _block_artifact(block: dict[str, Any]) -> ArtifactPart:
    source = block.get("source")
    src: dict[str, Any] = source if isinstance(source, dict) else {"url": source} if isinstance(source, str) else {}
    title = block.get("title")
    return ArtifactPart(
        name=str(block.get("type") or "block"),
        mime=src.get("media_type"),
        uri=src.get("url") or src.get("file_id"),
        text=title if isinstance(title, str) else None,
    )


# ---- text, reasoning, artifacts --------------------------------------------------------------------------


def _said(role: Role) -> Handler:
    def handle(m: Mapper, e: WireEvent) -> list[Message]:
        text, artifacts = content_text(e.content if e.content is not None else e.text)
        return m.put(m.new(e, role, text, list(artifacts)))

    return handle


def _thinking(m: Mapper, e: WireEvent) -> list[Message]:
    source = next((v for v in (e.thinking, e.content, e.text) if v is not None), "")
    text, _ = content_text(source)
    return m.put(m.new(e, "assistant", parts=[ReasoningPart(text=text)]))


def _artifact(m: Mapper, e: WireEvent) -> list[Message]:
    uri = f"files/{e.file_id}/content" if e.file_id else None
    part = ArtifactPart(name=e.original_filename or e.file_id or "file", mime=e.content_type, size=e.size, uri=uri)
    return m.put(m.new(e, "assistant", parts=[part]))


def _outcome(m: Mapper, e: WireEvent) -> list[Message]:
    rubric = e.rubric if isinstance(e.rubric, str) else content_text(e.rubric)[0] if e.rubric else None
    return m.put(
        m.new(e, "user", e.description or "", [EventPart(name="define_outcome", code=e.outcome_id, message=rubric)])
    )


# ---- tools -----------------------------------------------------------------------------------------------


def _tool_use(kind: str) -> Handler:
    def handle(m: Mapper, e: WireEvent) -> list[Message]:
        name = e.name or e.tool_name or "tool"
        if kind == "mcp" and e.mcp_server_name:
            name = f"{e.mcp_server_name}.{name}"
        status = f"permission {e.evaluated_permission}" if e.evaluated_permission in ("ask", "deny") else None
        use_id = e.tool_use_id or e.id
        arguments = e.input if e.input is not None else e.tool_input
        out = m.put(
            m.new(e, "assistant", parts=[ToolCallPart(id=use_id, name=name, arguments=arguments, status=status)])
        )
        if use_id and e.id:
            m.tools[use_id] = (e.id, 0)
        return out

    return handle


def _tool_result(m: Mapper, e: WireEvent) -> list[Message]:
    use_id = e.tool_use_id or e.mcp_tool_use_id or e.custom_tool_use_id
    text, artifacts = content_text(e.content)
    if use_id in m.tools:
        message_id, index = m.tools[use_id]
        prior = getattr(m.messages[message_id].parts[index], "status", None)
        status = "error" if e.is_error else "done"
        status = f"{status}, {prior}" if prior and prior.startswith("user ") else status
        return m.patch(m.tools[use_id], result=text, is_error=e.is_error or None, status=status)
    return m.put(m.new(e, "tool", parts=[ToolResultPart(id=use_id, result=text, is_error=e.is_error), *artifacts]))


def _confirmation(m: Mapper, e: WireEvent) -> list[Message]:
    verdict = str(e.result or "")
    note = f"{verdict}: {e.deny_message}" if e.deny_message else verdict
    if e.tool_use_id in m.tools:
        return m.patch(m.tools[e.tool_use_id], status=f"user {note}")
    return m.put(m.new(e, "user", parts=[EventPart(name="tool_confirmation", status=verdict, message=e.deny_message)]))


# ---- sub-agents ------------------------------------------------------------------------------------------


def _sent(m: Mapper, e: WireEvent) -> list[Message]:
    to = e.to_session_thread_id
    text, _ = content_text(e.content)
    target = e.to_agent_name or m.names.get(to or "") or short(to)
    author = e.from_agent_name or m.names.get(e.from_session_thread_id or "")
    part = SubAgentPart(name=target, thread=m.ref_of(to) if to else None, status="sent")
    return m.put(m.new(e, "agent", text, [part], author=author))


def _received(m: Mapper, e: WireEvent) -> list[Message]:
    sender = e.from_session_thread_id
    text, _ = content_text(e.content)
    name = e.from_agent_name or m.names.get(sender or "") or short(sender)
    part = SubAgentPart(name=name, thread=m.ref_of(sender) if sender else None, status="replied")
    return m.put(m.new(e, "agent", text, [part], author=name))


def _thread_created(m: Mapper, e: WireEvent) -> list[Message]:
    tid = e.session_thread_id
    if tid and e.agent_name:
        m.names.setdefault(tid, e.agent_name)
    name = e.agent_name or m.names.get(tid or "") or short(tid)
    return m.status(e, SubAgentPart(name=name, thread=m.ref_of(tid) if tid else None, status="created"))


def _unknown(m: Mapper, e: WireEvent) -> list[Message]:
    return _keep(m, e, e.model_extra or {})


def _keep(m: Mapper, e: WireEvent, fields: dict[str, Any]) -> list[Message]:
    extra = {k: v for k, v in fields.items() if v not in (None, "", [], {})}
    preview = " ".join(f"{k}={as_text(v)}" for k, v in extra.items())
    message = m.new(e, "event", parts=[EventPart(name=e.type or "unknown", message=preview or None)])
    return m.put(message.model_copy(update={"vendor": extra or None}))


HANDLERS: dict[str, Handler] = {
    **STATUS_HANDLERS,
    "user.message": _said("user"),
    "system.message": _said("system"),
    "agent.message": _said("assistant"),
    "agent.thinking": _thinking,
    "agent.artifact_delivered": _artifact,
    "user.define_outcome": _outcome,
    "agent.tool_use": _tool_use("builtin"),
    "agent.mcp_tool_use": _tool_use("mcp"),
    "agent.custom_tool_use": _tool_use("custom"),
    "agent.tool_result": _tool_result,
    "agent.mcp_tool_result": _tool_result,
    "user.tool_result": _tool_result,
    "user.custom_tool_result": _tool_result,
    "user.tool_confirmation": _confirmation,
    "agent.thread_message_sent": _sent,
    "agent.thread_message_received": _received,
    "session.thread_created": _thread_created,
}
