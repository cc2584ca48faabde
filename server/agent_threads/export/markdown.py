"""``--format markdown``: a heading per message, its text, and its parts as a list; tool arguments, results and
data (SQL, tables) in code fences that the vendor's own text cannot close early."""

from __future__ import annotations

import re
from typing import TextIO

from ..render import part_line
from ..transcript import ArtifactPart, DataPart, JsonValue, Message, Part, ToolCallPart, ToolResultPart
from ..wire import compact_json
from .base import iso_z

_BACKTICKS = re.compile(r"`+")
_FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


class MarkdownWriter:
    def __init__(self, out: TextIO, ref: str) -> None:
        self.out, self.ref = out, ref

    def start(self, title: str | None, status: str | None) -> None:
        meta = [f"- ref: `{self.ref}`"] + ([f"- status: {status}"] if status else [])
        self.out.write(f"# {title or self.ref}\n\n" + "\n".join(meta) + "\n")

    def message(self, m: Message) -> None:
        who = m.role + (f" ({m.author})" if m.author else "")
        when = f" · {iso_z(m.time)}" if m.time else ""
        self.out.write(f"\n### #{m.seq}{when} · {who}\n\n")
        if m.text:
            self.out.write(closed_fences(m.text.rstrip("\n")) + ("\n\n" if m.parts else "\n"))
        for part in m.parts:
            self.out.write("- " + _indented(part_block(part)) + "\n")

    def end(self, count: int) -> None:
        self.out.write(f"\n---\n{count} messages, exported by agent-threads-mcp.\n")


def part_block(part: Part) -> str:
    """A part as a list item's content: a title line, then its values in fences."""
    if isinstance(part, ToolCallPart):
        status = f" [{part.status}]" if part.status else ""
        blocks = [f"tool `{part.name}`{status}"]
        if part.arguments is not None:
            blocks.append(fence(_as_text(part.arguments), _info(part.arguments)))
        if part.result:
            blocks += ["error:" if part.is_error else "result:", fence(part.result)]
        return "\n".join(blocks)
    if isinstance(part, ToolResultPart):
        title = f"tool result{f' `{part.name}`' if part.name else ''}{': error' if part.is_error else ''}"
        return f"{title}\n{fence(part.result)}"
    if isinstance(part, DataPart):
        info = "sql" if "sql" in (part.category or "").lower() else _info(part.data)
        return f"data {part.category or ''}".rstrip() + "\n" + fence(_as_text(part.data), info)
    if isinstance(part, ArtifactPart) and part.text:
        info = "sql" if "sql" in f"{part.name} {part.mime}".lower() else ""
        return part_line(part.model_copy(update={"text": None})) + "\n" + fence(part.text, info)
    return part_line(part)


def fence(text: str, info: str = "") -> str:
    """``text`` in a backtick fence longer than any backtick run inside it, so nothing in it can close it."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    marks = "`" * max(3, longest + 1)
    return f"{marks}{info}\n{text}\n{marks}"


def closed_fences(text: str) -> str:
    """The vendor's Markdown with a fence it left open closed at its end, so it cannot swallow what follows."""
    opened: str | None = None
    for line in text.split("\n"):
        match = _FENCE_LINE.match(line)
        if match is None:
            continue
        marks, rest = match.groups()
        if opened is None and not (marks[0] == "`" and "`" in rest):
            opened = marks
        elif opened is not None and marks[0] == opened[0] and len(marks) >= len(opened) and not rest.strip():
            opened = None
    return text if opened is None else f"{text}\n{opened}"


def _as_text(value: JsonValue) -> str:
    return value if isinstance(value, str) else compact_json(value)


def _info(value: JsonValue) -> str:
    return "" if isinstance(value, str) else "json"


def _indented(block: str) -> str:
    """Continuation lines of a list item, indented to stay inside it (blank lines stay blank)."""
    return "\n".join(line and "  " + line if i else line for i, line in enumerate(block.split("\n")))
