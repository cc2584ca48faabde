"""The commands the README and ``docs/`` tell a reader to run, read with a CommonMark parser.

A command is a line of a ``bash``/``sh`` block, a line of an untagged block that starts with a program name, a
host configuration (a JSON ``{"command", "args"}`` object), or an inline code span that starts with a program
name. A command the tests cannot run says what it needs: a trailing ``# needs …`` comment in a block, or
``(needs …)`` right after an inline span.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

ROOT = Path(__file__).resolve().parent.parent
DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
PROGRAMS = frozenset(
    {"agent-threads-mcp", "claude", "curl", "npx", "pip", "pipx", "powershell", "python", "python3", "uv", "uvx"}
    | {"which"}
)
SHELL = frozenset({"bash", "sh", "shell", "console"})
_COMMENT = re.compile(r"\s{2,}#\s?(.*)$")
_NEEDS = re.compile(r"^\s*\((needs [^);]*)")


@dataclass(frozen=True)
class Command:
    where: str  # "docs/hosts.md:12"
    text: str
    needs: str | None = None  # what the reader needs that the tests do not have, as the doc says


def documented_commands() -> list[Command]:
    return [c for doc in DOCS for c in _commands(doc)]


def _commands(doc: Path) -> Iterator[Command]:
    name = doc.relative_to(ROOT).as_posix()
    for token in MarkdownIt("commonmark").parse(doc.read_text(encoding="utf-8")):
        line = (token.map or [0])[0] + 1
        if token.type == "fence" and token.info.strip() == "json":
            yield from (Command(f"{name}:{line}", text) for text in _host_commands(json.loads(token.content)))
        elif token.type == "fence" and (token.info.strip() in SHELL or not token.info.strip()):
            yield from _shell_lines(token, name, line, untagged=not token.info.strip())
        elif token.type == "inline":
            yield from _inline(token, name, line)


def _shell_lines(token: Token, name: str, first: int, *, untagged: bool) -> Iterator[Command]:
    joined = token.content.replace("\\\n", " ")
    for text in joined.splitlines():
        comment = _COMMENT.search(text)
        command = " ".join(text[: comment.start()].split()) if comment else " ".join(text.split())
        if not command or command.startswith("#") or (untagged and command.split()[0] not in PROGRAMS):
            continue
        needs = comment.group(1) if comment and comment.group(1).startswith("needs ") else None
        yield Command(f"{name}:{first}", command, needs)


def _inline(token: Token, name: str, line: int) -> Iterator[Command]:
    children = token.children or []
    for i, child in enumerate(children):
        words = child.content.split()
        if child.type != "code_inline" or len(words) < 2 or words[0] not in PROGRAMS:  # one word names a program
            continue
        after = children[i + 1].content if i + 1 < len(children) and children[i + 1].type == "text" else ""
        needs = _NEEDS.match(after)
        yield Command(f"{name}:{line}", child.content, needs.group(1) if needs else None)


def _host_commands(value: Any) -> Iterator[str]:
    """``command`` + ``args`` of every MCP server entry in a host configuration."""
    if isinstance(value, dict):
        if isinstance(value.get("command"), str) and isinstance(value.get("args"), list):
            yield shlex.join([value["command"], *value["args"]])
        for inner in value.values():
            yield from _host_commands(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _host_commands(inner)
