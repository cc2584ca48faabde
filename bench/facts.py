"""The facts a transcript must keep, read straight from the raw vendor JSON (not through any provider code).

A fact is a user or assistant text (each chunk, block or delta on its own), a tool name or an error code. It
is present when its first ``PREFIX`` characters (whitespace collapsed, secrets masked as the server masks
them) occur in what the model received. Some facts have alternatives (a vendor error with both a type and a
code): any one of them counts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from agent_threads.redact import mask

PREFIX = 60
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Fact:
    kind: str  # "text", "tool", "error"
    options: tuple[str, ...]

    def found(self, haystack: str) -> bool:
        return any(normalize(o)[:PREFIX] in haystack for o in self.options if normalize(o))


@dataclass(frozen=True)
class Raw:
    """One raw vendor reply (a JSON body, or one SSE frame's data) and the request it answered."""

    key: str
    value: Any


def normalize(text: str) -> str:
    return _SPACE.sub(" ", mask(_CONTROL.sub("", text))).strip()


def text(value: Any) -> Fact | None:
    return Fact("text", (value,)) if isinstance(value, str) and value.strip() else None


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _blocks(content: Any) -> Iterator[Any]:
    if isinstance(content, str):
        yield content
    elif isinstance(content, list):
        yield from (b.get("text") for b in content if isinstance(b, dict) and b.get("type", "text") == "text")


def qoder(raws: list[Raw]) -> Iterator[Fact | None]:
    texts = {"user.message", "agent.message", "agent.thread_message_sent", "agent.thread_message_received"}
    for raw in raws:
        for event in raw.value.get("data", []) if isinstance(raw.value, dict) else []:
            kind = str(event.get("type", ""))
            if kind in texts:
                yield from (text(t) for t in _blocks(event.get("content")))
            elif kind.endswith("tool_use") and event.get("name"):
                yield Fact("tool", (event["name"],))
            elif kind == "session.error":
                error = event.get("error")
                codes = (
                    [error.get("qoder_error_code"), error.get("type")]
                    if isinstance(error, dict)
                    else [event.get("code")]
                )
                yield Fact("error", tuple(c for c in codes if c)) if any(codes) else None


def cms(raws: list[Raw]) -> Iterator[Fact | None]:
    for raw in raws:
        turns = raw.value.get("data") if isinstance(raw.value, dict) else None
        for turn in turns if isinstance(turns, list) else []:
            for m in turn.get("messages", []):
                if m.get("role") in ("user", "assistant"):
                    yield from (text(c.get("value")) for c in m.get("contents", []) if c.get("type") == "text")
                yield from (Fact("tool", (t["name"],)) for t in m.get("tools", []) if t.get("name"))
                for event in m.get("events", []):
                    error = (event.get("payload") or {}).get("error")
                    if isinstance(error, dict) and error.get("code"):
                        yield Fact("error", (error["code"],))


def dms(raws: list[Raw]) -> Iterator[Fact | None]:
    for raw in raws:
        value = raw.value if isinstance(raw.value, dict) else {}
        if "DescribeDataAgentSession" in raw.key:
            yield from (text(m.get("Content")) for m in (value.get("Data") or {}).get("Messages", []))
        elif value.get("event_type") == "DELTA" and value.get("category") != "THINKING":
            yield text(value.get("content"))
        elif value.get("event_type") in ("DATA", "CHAT_FINISH") and value.get("content_type") == "json":
            body = _json(value.get("content"))
            if (
                isinstance(body, dict)
                and body.get("code")
                and (value.get("category") == "ERROR" or body.get("status") == "FAILED")
            ):
                yield Fact("error", (body["code"],))


def rdsai(raws: list[Raw]) -> Iterator[Fact | None]:
    for raw in raws:
        rows = raw.value.get("Data") if isinstance(raw.value, dict) and "GetMessages" in raw.key else None
        for row in rows if isinstance(rows, list) else []:
            yield text(row.get("Query"))
            yield text(row.get("Answer"))
            for event in row.get("Events") or []:
                if event.get("ToolName"):
                    yield Fact("tool", (event["ToolName"],))
                if event.get("event") == "error" and event.get("code"):
                    yield Fact("error", (event["code"],))


def dataagent(raws: list[Raw]) -> Iterator[Fact | None]:
    for raw in raws:
        response = raw.value.get("Response") if isinstance(raw.value, dict) else None
        for record in (response or {}).get("RecordList") or []:
            yield text(record.get("Question"))
            yield text(record.get("Answer"))
            error = _json(record.get("ErrorContext"))
            if isinstance(error, dict) and error.get("Code"):
                yield Fact("error", (error["Code"],))


EXTRACTORS: dict[str, Callable[[list[Raw]], Iterator[Fact | None]]] = {
    "qoder": qoder,
    "cms": cms,
    "dms": dms,
    "rdsai": rdsai,
    "dataagent": dataagent,
}


def facts(vendor: str, raws: list[Raw]) -> list[Fact]:
    """Distinct facts of one vendor's raw replies, in first-seen order."""
    return list(dict.fromkeys(f for f in EXTRACTORS[vendor](raws) if f is not None))


def haystack(text_content: str, structured: Any) -> str:
    """What the model read, as one normalized string: the text content and every string in structuredContent."""
    strings: list[str] = [text_content]

    def walk(value: Any) -> None:
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(structured)
    return _SPACE.sub(" ", "\n".join(strings))
