"""Everything the model reads that this server writes: message lines, page and list text, live turns, provider
lines and the hints around them.

One message becomes one header line (``#seq time role[author]: text``); its further text lines and its parts
follow, each indented by two spaces, so nothing inside a message can pass for the server's own markup (which
always starts at column 0). Long values are cut with an explicit ``…(+N chars)`` marker.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from typing_extensions import assert_never

from .transcript import (
    ArtifactPart,
    DataPart,
    EventPart,
    Message,
    MessagePage,
    Part,
    PlanPart,
    ReasoningPart,
    SubAgentPart,
    ThreadEntry,
    ThreadList,
    ToolCallPart,
    ToolResultPart,
    TurnResult,
)
from .wire import as_text

Detail = Literal["brief", "compact", "full"]

INSTRUCTIONS = """Reads the conversations of cloud agents (Qoder, Alibaba CMS/STAROps digital employees, DMS Data \
Agent, RDS AI, Tencent DataAgent) as compact transcripts. Start with list_providers, then list_threads, then \
get_thread_messages with a ref; follow next_cursor for more. stream_chat follows (or continues) a live conversation."""

SUMMARY = """Summarise the agent conversation {ref}.
Cover what was asked; what the agent did (main steps, tools, sub-agents); the outcome (done, failed, still \
running, waiting for input); and anything left open. Quote ids, numbers and error codes exactly. Under 200 words \
unless asked for more.
The transcript follows: one line per message, times UTC, long values shortened with …(+N chars). If it ends with \
a cursor, read the rest with get_thread_messages before concluding."""

FAILURE = """Find where the agent in {ref} failed, and why.
1. Look for error events (an "error …" line or part), tool results marked ERROR, failed or cancelled statuses, and the \
last messages before the thread stopped.
2. Name the first failure the others follow from: message #seq, time, tool or step, error code and message.
3. Explain the likely cause from the surrounding messages, and what would fix it or what to check next.
To see a shortened value whole, call get_thread_messages(thread="{ref}", detail="full", \
kinds=["event", "tool_call", "tool_call_response"]). If the transcript ends with a cursor, read on before \
concluding that nothing failed."""


def cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…(+{len(text) - limit} chars)"


_QUIET = frozenset(
    {"success", "succeeded", "successful", "done", "ok", "completed", "complete", "finished", "auto_approved"}
)
"""Tool statuses that only say "it worked": left out of the compact line (errors and anything else stay)."""


def _args(value: Any) -> str:
    """Tool arguments: a flat object as ``k=v, …`` (fewer tokens than JSON), anything else as compact JSON."""
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    flat = pairs(value)
    return flat if flat is not None else as_text(value)


def pairs(value: Any) -> str | None:
    """A flat object as ``k=v, …``; None for anything else."""
    if isinstance(value, dict) and all(isinstance(v, (str, int, float, bool)) or v is None for v in value.values()):
        return ", ".join(f"{k}={_scalar(v)}" for k, v in value.items())
    return None


def _scalar(value: Any) -> str:
    if isinstance(value, str) and value and not any(c in value for c in ",=()\n") and value.strip() == value:
        return value
    return json.dumps(value, ensure_ascii=False)


def relative(ref: str, base: str | None) -> str:
    """``ref`` as the page of ``base`` writes it: a thread beside ``base`` (same parent) as ``./<last part>``."""
    if base is None or "/" not in base:
        return ref
    parent = base.rsplit("/", 1)[0] + "/"
    rest = ref[len(parent) :] if ref.startswith(parent) else ""
    return f"./{rest}" if rest and "/" not in rest else ref


def part_line(part: Part, base: str | None = None) -> str:
    """One part as a line; ``base``: the thread the line is read in (refs beside it are written relative)."""
    if isinstance(part, ToolCallPart):
        status = f" [{part.status}]" if part.status and part.status.lower() not in _QUIET else ""
        result = f" → {'ERROR ' if part.is_error else ''}{part.result}" if part.result else ""
        return f"tool {part.name}({_args(part.arguments)}){status}{result}"
    if isinstance(part, ToolResultPart):
        return f"tool result{' ' + part.name if part.name else ''}: {'ERROR ' if part.is_error else ''}{part.result}"
    if isinstance(part, ReasoningPart):
        return f"thinking: {part.text}"
    if isinstance(part, SubAgentPart):
        bits = [
            f"sub-agent {part.name}",
            f"[{part.status}]" if part.status else "",
            f"→ {relative(part.thread, base)}" if part.thread else "",
        ]
        return " ".join(b for b in bits if b) + (f": {part.text}" if part.text else "")
    if isinstance(part, ArtifactPart):
        meta = ", ".join(x for x in (part.mime, f"{part.size} bytes" if part.size else None, part.uri) if x)
        return f"artifact {part.name}" + (f" ({meta})" if meta else "") + (f": {part.text}" if part.text else "")
    if isinstance(part, PlanPart):
        return _plan_line(part)
    if isinstance(part, EventPart):
        return _event_line(part)
    if isinstance(part, DataPart):
        return f"data{' ' + part.category if part.category else ''}: {part.data}"
    assert_never(part)


def _plan_line(part: PlanPart) -> str:
    status, *statuses = quiet([part.status, *(s.status for s in part.steps)], skip_first=part.status is None)
    numbered = [f"{i}. {s.title}" if len(part.steps) > 1 else s.title for i, s in enumerate(part.steps, 1)]
    steps = "; ".join(t + (f" [{st}]" if st else "") for t, st in zip(numbered, statuses))
    head = "plan" + (f" {part.title}" if part.title else "") + (f" [{status}]" if status else "")
    return f"{head}: {steps}"


def quiet(statuses: list[str | None], *, skip_first: bool = False) -> list[str | None]:
    """Statuses of a plan and its steps with those that only say done left out, when each has one (where some
    step has none, a step without one must not read as done); ``skip_first``: the plan itself has no status."""
    judged = statuses[1:] if skip_first else statuses
    if not judged or not all(s and s.strip() for s in judged):
        return statuses
    return [None if s is None or s.strip().lower() in _QUIET else s for s in statuses]


def _event_line(part: EventPart) -> str:
    """``name [status] code: message (duration)``; an error starts with ``error``."""
    name = "" if part.is_error and part.name.lower() == "error" else part.name  # not "error ERROR …"
    bits = ["error" if part.is_error else "", name, f"[{part.status}]" if part.status else "", part.code or ""]
    text = " ".join(b for b in bits if b)
    if part.message:
        text += f": {part.message}"
    return text + (f" ({part.duration_s:g}s)" if part.duration_s is not None else "")


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


class Renderer:
    """Renders messages one by one. Compact views show ``HH:MM`` only when the minute changes (the date when the
    day does); ``full`` shows every timestamp to the second. ``thread``: the thread read (refs beside it are
    written relative to it)."""

    def __init__(self, detail: Detail = "compact", thread: str | None = None) -> None:
        self._full = detail == "full"
        self._base = thread
        self._day: str | None = None
        self._minute: str | None = None

    def time(self, when: datetime | None) -> str:
        if when is None:
            return ""
        stamp = when.isoformat()  # "YYYY-MM-DDTHH:MM:SS…": slicing is ~5x cheaper than two strftime calls
        day, clock = stamp[:10], stamp[11:19] if self._full else stamp[11:16]
        if day != self._day:
            self._day, self._minute = day, clock
            return f"{day} {clock} "
        if clock == self._minute and not self._full:
            return ""
        self._minute = clock
        return clock + " "

    def message(self, m: Message) -> str:
        head = f"#{m.seq} {self.time(m.time)}"
        if m.role == "event" and not m.text:  # status changes: one line, no role label
            return head + " · ".join(_indent(part_line(p, self._base)) for p in m.parts)
        who = m.role + (f"[{m.author}]" if m.author else "")
        parts = [_indent(part_line(p, self._base)) for p in m.parts]
        if m.text or not parts:
            first = f"{who}:" + (f" {_indent(m.text)}" if m.text else "")
        else:  # the first part on the heading line; the assistant's own parts need no label ("tool …")
            first = parts.pop(0) if who == "assistant" else f"{who}: {parts.pop(0)}"
        return "\n  ↳ ".join([head + first, *parts])


# ---- the server's own text around messages ------------------------------------------------------------------


def page_text(page: MessagePage, lines: Sequence[str], budget_tokens: int) -> str:
    """A transcript page: the thread's title and status (its ref is the caller's own), the message lines, then
    whether the budget cut it and where to continue."""
    head = " · ".join(x for x in (page.title, page.status) if x)
    out = [head] if head else []
    if page.note:
        out.append(f"note: {page.note}")
    if page.incomplete:
        out.append(f"incomplete: {page.incomplete}")
    out.extend(lines or ["(no messages on this page match)"])
    if page.truncated:
        out.append(f"[cut at the output budget (~{budget_tokens} tokens): next_cursor continues after it]")
    out.append(f"next_cursor: {page.next_cursor}" if page.next_cursor else end_of(page.incomplete))
    return "\n".join(out)


def end_of(incomplete: str | None) -> str:
    """The last line of a thread read to its end: its end, or only as far as the vendor's reply could be read."""
    return "end of what could be read: not the whole thread (read it again later)" if incomplete else "end of thread"


def json_summary(page: MessagePage) -> str:
    """The one line a ``format="json"`` page shows: the messages are in structuredContent."""
    seqs = [m.seq for m in page.messages]
    span = f" (#{seqs[0]}…#{seqs[-1]})" if seqs else ""
    return f"{len(seqs)} messages{span} in structuredContent.messages"


def list_text(result: ThreadList, digests: Mapping[str, str] | None = None) -> str:
    """A listing, one line per entry; an indexed thread's digest line (``render_index.digest_line``) under it."""
    out = [f"{result.provider}{' under ' + result.parent if result.parent else ''}: {len(result.threads)} entries"]
    if result.note:
        out.append(f"note: {result.note}")
    for entry in result.threads:
        out.append(_entry_line(entry))
        if digests and entry.ref in digests:
            out.append(digests[entry.ref])
    out.append(f"next_cursor: {result.next_cursor}" if result.next_cursor else "end of list")
    return "\n".join(out)


def _entry_line(entry: ThreadEntry) -> str:
    when = entry.updated or entry.created
    bits = [entry.ref, entry.kind, entry.title, entry.status, when.strftime("%Y-%m-%d %H:%M") if when else None]
    return " · ".join(b for b in bits if b) + (" (+threads)" if entry.children else "")


def turn_text(result: TurnResult, timeout_s: float) -> str:
    """A followed turn: its messages, whether it ended, and the checkpoint to continue from."""
    renderer = Renderer()
    lines = [f"{result.thread} · live turn · times UTC"]
    lines.extend(renderer.message(m) for m in result.messages)
    if not result.messages:
        lines.append("(nothing new yet)")
    if result.ended:
        lines.append(f"turn ended{f' ({result.stop_reason})' if result.stop_reason else ''}")
    else:
        lines.append(f"still running after {timeout_s:g}s; call stream_chat again with this checkpoint to continue")
    lines.append(f"checkpoint: {result.checkpoint}" if result.checkpoint else "checkpoint: none")
    return "\n".join(lines)


def progress_text(role: str, text: str, total: int | None = None) -> str:
    """A progress notification's message: the latest text so far; or, given the whole text's length, its tail."""
    return f"{role}: {text}" if total is None else f"{role} ({total} chars): …{text}"


def providers_text(described: Sequence[dict[str, Any]], missing: dict[str, str], forms: Sequence[str]) -> str:
    """list_providers: one line per configured provider, one per missing account, then the ref forms."""
    lines = [_provider_line(d) for d in described] or ["no provider configured"]
    lines += [f"{name}: not configured: {need}" for name, need in missing.items()]
    lines.append("thread refs: " + "; ".join(forms))
    return "\n".join(lines)


def _provider_line(d: dict[str, Any]) -> str:
    rest = ", ".join(f"{k}={v}" for k, v in d.items() if k not in ("id", "can") and v not in (None, ""))
    return f"{d['id']}: can {', '.join(d.get('can', []))}" + (f" · {rest}" if rest else "")


def resource_text(
    head: str, lines: Sequence[str], ref: str, cursor: str | None, budget: int, incomplete: str | None = None
) -> str:
    """A thread as a resource: heading, message lines, then the end or where get_thread_messages continues."""
    if cursor is None:
        footer = end_of(incomplete)
    else:
        footer = (
            f"[cut at ~{budget} tokens: get_thread_messages(thread='{ref}', cursor='{cursor}') continues from here]"
        )
    return "\n".join([f"{head} · times UTC", *(lines or ["(no messages)"]), footer])
