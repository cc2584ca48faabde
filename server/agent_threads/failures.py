"""What a failure is, decided once on the normalized transcript, and the signature that groups failures.

A message carries a failure when one of its parts says so: an error event (``is_error``, or a failure status
such as failed / terminated / cancelled / timed out), a failed or rejected tool call or tool result, a failed
plan or sub-agent, or a stop reason that means the agent gave up (retries exhausted, budget or max tokens,
refusal). A thread carries one when its status is a failure, or when its last message was left unfinished
while the thread is no longer running, and nothing in its last turn already says what went wrong.

A signature is the error code (the vendor's, else the tool or event name with its status) plus the message
with numbers, ids, quoted values, paths, urls, times, hex and uuids masked: "Table 'sales.t1' doesn't exist"
and "Table 'ops.t9' doesn't exist" share one; different codes never do (the group key is the pair).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .transcript import EventPart, Message, Part, PlanPart, SubAgentPart, ToolCallPart, ToolResultPart

FAILED = frozenset(
    {"error", "errored", "failed", "failure", "fail", "rejected", "reject", "denied", "deny", "cancelled"}
    | {"canceled", "cancel", "terminated", "timeout", "timedout", "timed", "aborted", "abort", "killed", "expired"}
)
"""Words of a status that mean it did not succeed."""
RUNNING = frozenset(
    {"running", "in_progress", "inprogress", "pending", "queued", "started", "streaming", "executing", "processing"}
)
"""Words of a status that mean it has not finished yet."""
_GAVE_UP = ("exhausted", "max_tokens", "max_turns", "budget", "refus", "context_length", "max_output")
"""Fragments of a stop reason that mean the agent gave up."""
_MAX_MESSAGE = 300


@dataclass(frozen=True)
class Failure:
    """One failure: ``code`` and ``pattern`` group it (the pair is the key); ``message`` is what was said."""

    code: str
    message: str
    pattern: str

    @property
    def signature(self) -> str:
        return f"{self.code}: {self.pattern}" if self.pattern else self.code


def words(status: str | None) -> set[str]:
    """A status as lower-case words: ``"Timed_Out"`` → ``{"timed", "out", "timed_out"}``."""
    if not status:
        return set()
    lowered = status.strip().lower()
    return {lowered, *re.split(r"[^a-z0-9]+", lowered)} - {""}


def is_failed(status: str | None) -> bool:
    return bool(words(status) & FAILED)


def is_running(status: str | None) -> bool:
    return bool(words(status) & RUNNING) and not is_failed(status)


def failure(code: str, message: str | None) -> Failure:
    text = first_line(message or "", _MAX_MESSAGE)
    return Failure(code=code, message=text, pattern=mask_values(text))


def classify(message: Message) -> Failure | None:
    """The failure this message carries, if any: a part with a vendor code wins over one without."""
    first: Failure | None = None
    for part in message.parts:
        found = _part_failure(part)
        if found is not None and isinstance(part, EventPart) and part.code:
            return found
        first = first or found
    return first


def _part_failure(part: Part) -> Failure | None:
    if isinstance(part, EventPart):
        return _event_failure(part)
    if isinstance(part, ToolCallPart):
        failed = part.is_error or is_failed(part.status)
        return failure(f"tool:{part.name}:{_failed_word(part.status)}", part.result) if failed else None
    if isinstance(part, ToolResultPart):
        return failure(f"tool:{part.name or 'result'}:failed", part.result) if part.is_error else None
    if isinstance(part, PlanPart):
        return _plan_failure(part)
    if isinstance(part, SubAgentPart):
        return failure(f"sub_agent:{_failed_word(part.status)}", part.text) if is_failed(part.status) else None
    return None


def _event_failure(part: EventPart) -> Failure | None:
    gave_up = bool(part.code) and any(f in str(part.code).lower() for f in _GAVE_UP)
    if not (part.is_error or is_failed(part.status) or gave_up):
        return None
    code = part.code or f"{part.name}:{_failed_word(part.status)}"
    return failure(code, part.message)


def _plan_failure(part: PlanPart) -> Failure | None:
    failed_steps = [s.title for s in part.steps if is_failed(s.status)]
    if not (is_failed(part.status) or failed_steps):
        return None
    return failure("plan:failed", "; ".join(failed_steps) or part.title)


_CANONICAL = {
    **dict.fromkeys(("error", "errored", "failed", "failure", "fail"), "failed"),
    **dict.fromkeys(("rejected", "reject", "denied", "deny"), "rejected"),
    **dict.fromkeys(("cancelled", "canceled", "cancel"), "cancelled"),
    **dict.fromkeys(("timeout", "timedout", "timed"), "timeout"),
    **dict.fromkeys(("aborted", "abort"), "aborted"),
}


def _failed_word(status: str | None) -> str:
    """What a failure status says, in one word per meaning: ``"[error, retried]"`` → ``failed``, ``"denied"`` →
    ``rejected``; ``failed`` when there is no status (an ``is_error`` flag alone)."""
    for word in sorted(words(status)):
        if word in FAILED:
            return _CANONICAL.get(word, word)
    return "failed"


def unfinished(message: Message) -> str | None:
    """What in this message had not finished when it was read (a running tool, an open reply), if anything; a
    later part of the same name with another status closes it (``session [running] · session [idle]``)."""
    still: dict[str, bool] = {}
    for part in message.parts:
        status = getattr(part, "status", None)
        if status is None:
            continue
        name = part.name if isinstance(part, (ToolCallPart, EventPart, SubAgentPart)) else part.kind
        label = f"{part.kind}:{name}" if isinstance(part, ToolCallPart) else str(name)
        still[label] = is_running(status)
    return next((label for label, running in still.items() if running), None)


@dataclass(frozen=True)
class TurnMessage:
    """What thread-level classification needs of a message in the thread's last turn."""

    seq: int
    failed: bool
    open: str | None


def thread_failure(status: str | None, turn: Sequence[TurnMessage]) -> tuple[int, Failure] | None:
    """The thread's own failure and the seq it sits at: its status, or a last message left unfinished while the
    thread no longer runs; None when the last turn already carries a failure (that one says what went wrong)."""
    if not turn or any(m.failed for m in turn) or is_running(status):
        return None
    last = turn[-1]
    if is_failed(status):
        return last.seq, Failure(
            code=f"status:{(status or '').strip().lower()}", message=f"thread {status}", pattern=""
        )
    if last.open:
        return last.seq, Failure(code=f"unfinished:{last.open}", message="the turn never finished", pattern="")
    return None


# ---- masking ------------------------------------------------------------------------------------

_QUOTES = {"'": "'", '"': '"', "`": "`", "“": "”", "‘": "’", "「": "」", "『": "』"}
"""Opening and closing quotes: the leftmost opening one wins, and its value may hold the others."""


def _quoted(opening: str) -> str:
    close = _QUOTES[opening]
    return f"{re.escape(opening)}[^{re.escape(close)}\n]*{re.escape(close)}"


def _quote_mask(match: re.Match[str]) -> str:
    return f"{match.group(0)[0]}…{match.group(0)[-1]}"


_RULES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>`]+"), "<url>"),
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "<uuid>"),
    (re.compile(rf"(?<!\w)(?:{'|'.join(_quoted(q) for q in _QUOTES)})(?!\w)"), _quote_mask),
    (
        re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"),
        "<time>",
    ),
    (re.compile(r"(?<![\w:])\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?![\w:])"), "<time>"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    (re.compile(r"(?<![\w/.~<>-])(?:~|\.{1,2})?/[\w.@%+~-]+(?:/[\w.@%+~-]*)*"), "<path>"),
    (re.compile(r"\b[A-Za-z]:\\[^\s'\"]*"), "<path>"),
    (re.compile(r"(?<![\w/.-])[\w.-]+(?:/[\w.-]+)*/[\w-]+\.[A-Za-z]\w*\b"), "<path>"),
    (
        re.compile(r"(?<![A-Za-z0-9_.-])\d+(?:[.,]\d+)*(?=(?:[mun]?s|min|h|d|[kKMGT]i?B|[kKM]|%)(?![A-Za-z0-9_]))"),
        "<n>",
    ),
    (
        re.compile(
            r"(?<![A-Za-z0-9_.<-])(?=[A-Za-z0-9_.-]*\d)(?=[A-Za-z0-9_.-]*[A-Za-z_])[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?(?![A-Za-z0-9_>])"
        ),
        "<id>",
    ),
    (re.compile(r"\d+(?:[.,]\d+)*"), "<n>"),
]
_SPACES = re.compile(r"\s+")


def mask_values(text: str) -> str:
    """The message with its variable parts masked; applied to a fixpoint, so masking twice changes nothing."""
    masked = _SPACES.sub(" ", text).strip()
    for _ in range(6):
        again = _mask_once(masked)
        if again == masked:
            break
        masked = again
    return masked


def _mask_once(text: str) -> str:
    for pattern, placeholder in _RULES:
        text = pattern.sub(placeholder, text)
    return text


def first_line(text: str, limit: int) -> str:
    line = next((s.strip() for s in text.splitlines() if s.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"
