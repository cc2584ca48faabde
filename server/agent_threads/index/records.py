"""From normalized messages to what the index stores: redacted, with one searchable text per message.

Redaction is the transcript's own (control characters dropped, credential-like strings masked) plus the
configured credentials, applied to every string of the message before anything is derived from it; the
vendor extras are not stored. The searchable text is the message text and one line per part as the compact
transcript shows it (tool names and arguments, result previews, error codes and messages, reasoning, artifact,
sub-agent and plan names).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import failures
from ..failures import Failure
from ..redact import mask_secrets
from ..render import part_line
from ..shaping import clean, cut
from ..transcript import PART_KINDS, EventPart, Message, ThreadEntry, ToolCallPart

MAX_VALUE = 20_000
"""Longest string stored per field; longer ones end with ``…(+N chars)`` (the vendor has the rest)."""
MAX_PART_LINE = 2_000
LEAD = 200
ANSWER_ROLES = ("assistant", "agent")


@dataclass(frozen=True)
class MessageRecord:
    seq: int
    mid: str | None
    time: datetime | None
    role: str
    author: str | None
    kinds: int
    tools: int
    open: str | None
    failure: Failure | None
    lead: str
    """The first line of the message's own text (what an answer preview shows)."""
    fold: str
    """The searchable text, lower-cased, whitespace runs as one space: every backend matches on it the same way."""
    body: str
    """The redacted message as JSON, for drill-down."""


@dataclass(frozen=True)
class Progress:
    """Where a sync stands on a thread after a write."""

    resume: dict[str, Any] | None
    complete: bool
    listed: str | None = None


@dataclass(frozen=True)
class ThreadWrite:
    """One atomic write of a thread: its metadata, some messages, and (from a sync) its progress.

    ``replace`` drops every stored message first; ``drop_after`` drops stored messages after that seq (the
    tail was re-read and is shorter). Metadata left None keeps what is stored."""

    ref: str
    provider: str
    title: str | None = None
    status: str | None = None
    kind: str | None = None
    created: datetime | None = None
    updated: datetime | None = None
    messages: Sequence[MessageRecord] = ()
    replace: bool = False
    drop_after: int | None = None
    progress: Progress | None = None
    usage: str | None = None
    synced: bool = True
    running: bool | None = field(default=None)


def kinds_mask(kinds: set[str] | frozenset[str]) -> int:
    return sum(1 << i for i, kind in enumerate(PART_KINDS) if kind in kinds)


def redacted(message: Message, secrets: tuple[str, ...], seq: int | None = None) -> Message:
    """Every string of the message cleaned, masked and capped; the vendor extras dropped; numbered ``seq``."""
    dumped = message.model_dump(mode="json", exclude_none=True, exclude={"vendor", *_TYPED})
    data = _scrub(dumped, secrets)
    numbered = {} if seq is None else {"seq": seq}
    if data == dumped:  # nothing to clean (the common case): no need to build the message again
        return message.model_copy(update={"vendor": None, **numbered})
    return Message.model_validate(data | {name: getattr(message, name) for name in _TYPED} | numbered)


_TYPED = ("time", "role")
"""A datetime and a literal: nothing a vendor wrote, so nothing to clean."""


def safe(text: str, secrets: tuple[str, ...]) -> str:
    """Text as the index may store it."""
    return cut(clean(mask_secrets(text, secrets), redact=True), MAX_VALUE)


def _scrub(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return safe(value, secrets)
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, dict):
        return {k: _scrub(v, secrets) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
    return value


def search_text(message: Message) -> str:
    lines = [message.text] if message.text else []
    lines.extend(cut(part_line(p), MAX_PART_LINE) for p in message.parts)
    return "\n".join(lines)


def record(message: Message, seq: int, secrets: tuple[str, ...] = ()) -> MessageRecord:
    """What the index stores of one message, numbered ``seq``."""
    safe = redacted(message, secrets, seq)
    return MessageRecord(
        seq=seq,
        mid=safe.id,
        time=safe.time,
        role=safe.role,
        author=safe.author,
        kinds=kinds_mask(safe.kinds()),
        tools=sum(isinstance(p, ToolCallPart) for p in safe.parts),
        open=failures.unfinished(safe),
        failure=failures.classify(safe),
        lead=failures.first_line(safe.text, LEAD),
        fold=" ".join(search_text(safe).split()).lower(),
        body=safe.model_dump_json(exclude_none=True),
    )


def numbered(messages: Sequence[Message], first_seq: int) -> list[tuple[int, Message]]:
    """Each message with its seq: the vendor's when it gives one, else its position after ``first_seq``."""
    return [(m.seq or first_seq + i + 1, m) for i, m in enumerate(messages)]


def usage(messages: Sequence[Message], secrets: tuple[str, ...] = ()) -> str | None:
    """The newest usage report among the messages (tokens, credits), as the vendor worded it."""
    for message in reversed(messages):
        for part in reversed(message.parts):
            if isinstance(part, EventPart) and part.name == "usage" and part.message:
                return safe(part.message, secrets)
    return None


def fingerprint(entry: ThreadEntry) -> str:
    """What a listing says about a thread that changes when the thread does."""
    updated = entry.updated.isoformat() if entry.updated else None
    return json.dumps([updated, entry.status, entry.title], ensure_ascii=False)


def message_from(body: str) -> Message:
    return Message.model_validate_json(body)
