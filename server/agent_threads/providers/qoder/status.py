"""Status-like Qoder events: session and thread status, errors, usage, model and outcome spans.

Each adds an ``EventPart`` to the open ``event`` message (consecutive ones merge); a span's end completes the
part its start added, so a model request reads as one line with its duration and tokens.
"""

from __future__ import annotations

from typing import Any

from ...times import utc
from ...transcript import EventPart, Message
from .mapper import Handler, Mapper, short, stop_type
from .wire import WireEvent

TERMINAL = frozenset({"session.status_terminated", "terminated", "session.deleted"})


def session_status(m: Mapper, e: WireEvent) -> list[Message]:
    state = e.type.rsplit("_", 1)[-1] if e.type.startswith("session.status_") else e.type.split(".")[-1]
    reason = stop_type(e.stop_reason)
    return m.status(
        e,
        EventPart(name="session", status=state, code=reason, is_error=True if reason == "retries_exhausted" else None),
    )


def thread_status(m: Mapper, e: WireEvent) -> list[Message]:
    who = e.agent_name or m.names.get(e.session_thread_id or "") or short(e.session_thread_id)
    reason = stop_type(e.stop_reason)
    return m.status(e, EventPart(name=f"thread {who}", status=e.type.rsplit("_", 1)[-1], code=reason))


def session_error(m: Mapper, e: WireEvent) -> list[Message]:
    err: Any = e.error
    if isinstance(err, dict):
        retry = err.get("retry_status")
        part = EventPart(
            name="session.error",
            is_error=True,
            code=err.get("type") or err.get("qoder_error_code"),
            message=err.get("message"),
            status=retry.get("type") if isinstance(retry, dict) else None,
        )
    else:
        part = EventPart(name="session.error", is_error=True, code=e.code, message=str(err) if err else None)
    return m.status(e, part)


def session_usage(m: Mapper, e: WireEvent) -> list[Message]:
    bits = []
    if e.total_credits is not None:
        parts = ", ".join(
            f"{k} {v:g}"
            for k, v in (("model", e.model_credits), ("sandbox", e.sandbox_runtime_credits))
            if v is not None
        )
        bits.append(f"credits {e.total_credits:g}" + (f" ({parts})" if parts else ""))
    if e.usage:
        bits.append(token_counts(e.usage))
    return m.status(e, EventPart(name="usage", message="; ".join(b for b in bits if b) or None))


def token_counts(usage: dict[str, Any]) -> str:
    pairs = (("input_tokens", "in"), ("output_tokens", "out"), ("cache_read_input_tokens", "cached"))
    return " / ".join(f"{usage[k]} {label}" for k, label in pairs if isinstance(usage.get(k), (int, float)))


def span_start(m: Mapper, e: WireEvent) -> list[Message]:
    out, (key, index) = m.place(e, EventPart(name="model_request", status="started"))
    m.spans[str(e.id)] = (key, index, utc(e.when))
    return out


def span_end(m: Mapper, e: WireEvent) -> list[Message]:
    tokens = token_counts(e.model_usage or {}) or None
    start = m.spans.pop(e.model_request_start_id or "", None)
    end = utc(e.when)
    if start is None:
        return m.status(e, EventPart(name="model_request", message=tokens, is_error=e.is_error or None))
    duration = (end - start[2]).total_seconds() if end and start[2] else None
    return m.patch(
        start[:2],
        status="error" if e.is_error else None,
        message=tokens,
        duration_s=duration,
        is_error=e.is_error or None,
    )


def evaluation(m: Mapper, e: WireEvent) -> list[Message]:
    key = f"{e.outcome_id}#{e.iteration}"
    phase = e.type.rsplit("_", 1)[-1]
    if key in m.spans and phase != "start":
        status = str(e.result) if phase == "end" and e.result else phase
        return m.patch(m.spans[key][:2], status=status, message=e.explanation)
    out, (message_id, index) = m.place(
        e, EventPart(name="outcome_evaluation", status="started" if phase == "start" else phase, message=e.explanation)
    )
    m.spans[key] = (message_id, index, None)
    return out


def marker(name: str) -> Handler:
    return lambda m, e: m.status(e, EventPart(name=name, message=f"title: {e.title}" if e.title else None))


STATUS_HANDLERS: dict[str, Handler] = {
    "session.error": session_error,
    "session.usage": session_usage,
    "span.model_request_start": span_start,
    "span.model_request_end": span_end,
    "span.outcome_evaluation_start": evaluation,
    "span.outcome_evaluation_ongoing": evaluation,
    "span.outcome_evaluation_end": evaluation,
    "session.updated": marker("session.updated"),
    "agent.thread_context_compacted": marker("context_compacted"),
    "user.interrupt": marker("user.interrupt"),
    **{f"session.status_{s}": session_status for s in ("running", "idle", "rescheduled", "terminated")},
    "session.deleted": session_status,
    "terminated": session_status,
    **{f"session.thread_status_{s}": thread_status for s in ("running", "idle", "rescheduled", "terminated")},
}
