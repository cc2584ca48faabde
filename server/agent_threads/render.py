"""Everything the model reads that this server writes around vendor data: message lines, page and list text,
live turns, provider lines and the hints around them (its instructions and prompt texts are in ``prompts``).

The server's own markup (``#seq`` headers, ``next_cursor:``, ``checkpoint:``, ``note:``, the bracketed notices)
always starts at column 0. Every string a vendor controls goes through ``untrusted`` before it is placed, so it
never does: one rule for titles, statuses, authors, names, list entries, message text, parts and error text.
A message is one header line (``#seq time role[author]: text``), then its further lines, indented by two spaces,
and its parts, each on a line of its own starting `` » `` (one space: no vendor line can look like one). Long
values are cut with an explicit ``…(+N chars)`` marker.
"""

from __future__ import annotations

import json
import re
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
)
from .wire import as_text

Detail = Literal["brief", "compact", "full"]

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""What a vendor string loses: controls but tab and newline (the others break lines too) and bidi overrides."""


def untrusted(text: str) -> str:
    """The one rule for a vendor string in the server's text: line breaks of every kind become a newline followed
    by two spaces and other control characters are dropped, so no line of it starts at column 0, where the
    server's markup lives. Any new output (search hits, failure groups) passes its vendor strings through this."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL.sub("", text).replace("\n", "\n  ")


def cut(text: str, limit: int, *, hidden: int = 0) -> str:
    """``text`` up to ``limit`` characters, then ``…(+N chars)`` counting what is left out (and ``hidden`` more)."""
    if len(text) <= limit and not hidden:
        return text
    return f"{text[:limit]}…(+{max(0, len(text) - limit) + hidden} chars)"


_QUIET = frozenset(
    {"success", "succeeded", "successful", "done", "ok", "completed", "complete", "finished", "auto_approved"}
)
"""Statuses that only say "it worked": left out of a tool's or an event's line (errors and anything else stay)."""
_FAILED = frozenset({"failed", "failure", "error", "errored"})  # said already by a line's "error" / "ERROR"
_PLAIN_STOP = "end_turn"  # the stop reason of a turn that simply ended (TurnEnd's usual one): left out too


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


def part_line(part: Part, base: str | None = None, linked: dict[str, str] | None = None) -> str:
    """One part as a line; ``base``: the thread the line is read in (refs beside it are written relative, its own
    ref not at all); ``linked``: the ref last written for each sub-agent name on this page (not written again)."""
    if isinstance(part, ToolCallPart):
        said = _QUIET | _FAILED if part.is_error and part.result else _QUIET  # "→ ERROR …" says it failed
        status = f" [{part.status}]" if part.status and part.status.lower() not in said else ""
        result = f" → {'ERROR ' if part.is_error else ''}{part.result}" if part.result else ""
        return f"tool {part.name}({_args(part.arguments)}){status}{result}"
    if isinstance(part, ToolResultPart):
        return f"tool result{' ' + part.name if part.name else ''}: {'ERROR ' if part.is_error else ''}{part.result}"
    if isinstance(part, ReasoningPart):
        return f"thinking: {part.text}"
    if isinstance(part, SubAgentPart):
        bits = [f"sub-agent {part.name}", f"[{part.status}]" if part.status else "", _link(part, base, linked)]
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


def _link(part: SubAgentPart, base: str | None, linked: dict[str, str] | None) -> str:
    if not part.thread or part.thread == base or (linked is not None and linked.get(part.name) == part.thread):
        return ""
    if linked is not None:
        linked[part.name] = part.thread
    return f"→ {relative(part.thread, base)}"


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
    status = part.status if part.status and part.status.lower() not in (_FAILED if part.is_error else _QUIET) else ""
    code = part.code if part.code != _PLAIN_STOP else ""
    bits = ["error" if part.is_error else "", name, f"[{status}]" if status else "", code or ""]
    text = " ".join(b for b in bits if b)
    if part.message:
        text += f": {part.message}"
    return text + (f" ({part.duration_s:g}s)" if part.duration_s is not None else "")


TIME_STEP = 5
"""Minutes a compact view's time must move on before it is shown again: a message without one is less than this
many minutes after the last time shown."""


class Renderer:
    """Renders messages one by one. Compact views show ``HH:MM`` when it moved on ``TIME_STEP`` minutes or more
    since the last one shown (the date when the day changes); ``full`` shows every timestamp to the second.
    ``thread``: the thread read (refs beside it are written relative to it, a sub-agent's ref once a page)."""

    def __init__(self, detail: Detail = "compact", thread: str | None = None) -> None:
        self._full = detail == "full"
        self._base = thread
        self._day: str | None = None
        self._minute = 0
        self._linked: dict[str, str] = {}

    def time(self, when: datetime | None) -> str:
        if when is None:
            return ""
        stamp = when.isoformat()  # "YYYY-MM-DDTHH:MM:SS…": slicing is ~5x cheaper than two strftime calls
        day, clock = stamp[:10], stamp[11:19] if self._full else stamp[11:16]
        minute = int(stamp[11:13]) * 60 + int(stamp[14:16])
        if day != self._day:
            self._day, self._minute = day, minute
            return f"{day} {clock} "
        if not self._full and 0 <= minute - self._minute < TIME_STEP:
            return ""
        self._minute = minute
        return clock + " "

    def message(self, m: Message) -> str:
        head = f"#{m.seq} {self.time(m.time)}"
        parts = [untrusted(part_line(p, self._base, self._linked)) for p in m.parts]
        if m.role == "event" and not m.text:  # status changes: one line, no role label
            return head + " · ".join(parts)
        who = m.role + (f"[{untrusted(m.author)}]" if m.author else "")
        if m.text or not parts:
            first = f"{who}:" + (f" {untrusted(m.text)}" if m.text else "")
        else:  # the first part on the heading line; the assistant's own parts need no label ("tool …")
            first = parts.pop(0) if who == "assistant" else f"{who}: {parts.pop(0)}"
        return "\n » ".join([head + first, *parts])


# ---- the server's own text around messages ------------------------------------------------------------------


def page_text(page: MessagePage, lines: Sequence[str], budget_tokens: int) -> str:
    """A transcript page: the thread's title (unless the first message shown opens with it) and status (its ref
    is the caller's own), the message lines, then whether the budget cut it and where to continue."""
    title = page.title
    if title and page.messages and page.messages[0].text.startswith(title):
        title = None  # a title taken from the first question would be read twice
    head = heading(title, page.status)
    out = [f"thread: {head}"] if head else []  # a vendor's title never starts a line of the server's markup
    if page.note:
        out.append(f"note: {untrusted(page.note)}")
    if page.incomplete:
        out.append(f"incomplete: {untrusted(page.incomplete)}")
    out.extend(lines or ["(no messages on this page match)"])
    if page.truncated:
        out.append(f"[cut at the output budget (~{budget_tokens} tokens): next_cursor continues after it]")
    out.append(f"next_cursor: {page.next_cursor}" if page.next_cursor else end_of(page.incomplete))
    return "\n".join(out)


def heading(*fields: str | None) -> str:
    """A heading or entry line of vendor fields (ref, title, status…): the ones given, each ``untrusted``."""
    return " · ".join(untrusted(x) for x in fields if x)


def repeated_note(ids: Sequence[str]) -> str | None:
    """What a page says when the vendor repeated message ids (the first copy of each is the one shown)."""
    if not ids:
        return None
    named = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
    return f"the vendor sent {len(ids)} message(s) again under an id already shown ({named}); kept the first"


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
        out.append(f"note: {untrusted(result.note)}")
    for entry in result.threads:
        out.append(entry_line(entry))
        if digests and entry.ref in digests:
            out.append(digests[entry.ref])
    out.append(f"next_cursor: {result.next_cursor}" if result.next_cursor else "end of list")
    return "\n".join(out)


def entry_line(entry: ThreadEntry) -> str:
    when = entry.updated or entry.created
    stamp = when.strftime("%Y-%m-%d %H:%M") if when else None
    return heading(entry.ref, entry.kind, entry.title, entry.status, stamp) + (" (+threads)" if entry.children else "")


def providers_text(described: Sequence[dict[str, Any]], missing: dict[str, str], forms: Sequence[str]) -> str:
    """list_providers: one line per configured provider, one per missing account, then the ref forms."""
    lines = [_provider_line(d) for d in described] or ["no provider configured"]
    lines += [f"{name}: not configured: {untrusted(need)}" for name, need in missing.items()]
    lines.append("thread refs: " + "; ".join(forms))
    return "\n".join(lines)


def _provider_line(d: dict[str, Any]) -> str:
    rest = ", ".join(f"{k}={untrusted(str(v))}" for k, v in d.items() if k not in ("id", "can") and v not in (None, ""))
    return f"{d['id']}: can {', '.join(d.get('can', []))}" + (f" · {rest}" if rest else "")


def resource_text(
    head: str, lines: Sequence[str], ref: str, cursor: str | None, budget: int, incomplete: str | None = None
) -> str:
    """A thread as a resource: heading (from ``heading``), message lines, then the end or where get_thread_messages
    continues."""
    if cursor is None:
        footer = end_of(incomplete)
    else:
        footer = (
            f"[cut at ~{budget} tokens: get_thread_messages(thread='{ref}', cursor='{cursor}') continues from here]"
        )
    return "\n".join([f"{head} · times UTC", *(lines or ["(no messages)"]), footer])
