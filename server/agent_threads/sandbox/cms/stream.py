"""The sandbox's CreateChat: thread turns, the SSE events a turn streams as, and generated replies."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from . import build

Json = dict[str, Any]
_PARTS = ("tools", "agents", "events", "artifacts")


class Turns:
    """A thread's turns in GetThreadData form; a generated thread makes its turns on demand."""

    def __init__(self, turns: list[Json], *, generated: int = 0) -> None:
        self._stored = turns
        self._generated = generated
        self._generated_turns = -(-generated // 4)

    def __len__(self) -> int:
        return self._generated_turns + len(self._stored)

    def __getitem__(self, index: int) -> Json:
        if index < self._generated_turns:
            return build.big_turn(index, self._generated)
        return self._stored[index - self._generated_turns]

    def next_seq(self) -> int:
        last = self[len(self) - 1]["messages"] if len(self) else []
        return (max(m.get("seq", 0) for m in last) + 1) if last else 0

    def append(self, turn: Json) -> None:
        self._stored.append(turn)


def split_events(turn: Json) -> list[Json]:
    """The SSE events a turn streams as: one per content chunk; a message's tools, agents, events, artifacts
    ride on its last chunk."""
    out: list[Json] = []
    for message in turn["messages"]:
        contents = message.get("contents") or []
        head = {k: v for k, v in message.items() if k != "contents" and k not in _PARTS}
        for i, chunk in enumerate(contents or [None]):
            piece = {**head, "contents": [chunk] if chunk else []}
            if i == max(0, len(contents) - 1):
                piece.update({k: message.get(k, []) for k in _PARTS})
            out.append({"requestId": turn["requestId"], "traceId": turn["traceId"], "messages": [piece]})
    return out


def stored_events(turns: Turns) -> list[Json]:
    """``reconnect``: the latest turn again, from its first event."""
    return split_events(turns[len(turns) - 1]) if len(turns) else []


def _question(messages: list[Any]) -> str:
    last = messages[-1] if messages and isinstance(messages[-1], dict) else {}
    values = [
        c.get("value") for c in last.get("contents") or [] if isinstance(c, dict) and c.get("type", "text") == "text"
    ]
    return "".join(str(v) for v in values if v is not None)


def _answer(question: str) -> list[str]:
    if any("\u4e00" <= ch <= "\u9fff" for ch in question):
        return ["我查了一下：", f"“{question[:40]}”", "，找到 3 份相关的运维手册；", "建议先查看慢查询日志。"]
    return [
        "Looked into it: ",
        f"\u201c{question[:40]}\u201d",
        " matches 3 runbooks; ",
        "the first says to check the slow-query log.",
    ]


def reply_turn(turns: Turns, messages: list[Any]) -> list[Json]:
    """``create``: store the user's message and a generated reply as a new turn; return its SSE events."""
    question = _question(messages)
    trace, seq = uuid.uuid4().hex[:30], turns.next_seq()
    call, now = trace[:14], time.time() - build.BASE
    tool = {"name": "SearchKnowledge", "toolCallId": f"t-{trace[:8]}", "arguments": {"query": question[:60]}}
    m = build.msg
    turn = {
        "traceId": trace,
        "requestId": str(uuid.uuid4()).upper(),
        "messages": [
            m(seq, "user", now, call, contents=build.chunks(question)),
            m(seq + 1, "assistant", now + 0.5, call, tools=[{**tool, "status": "start"}]),
            m(seq + 2, "tool", now + 1.0, call, tools=[{**tool, "status": "success", "result": "3 runbooks matched"}]),
            m(seq + 3, "assistant", now + 1.5, call, contents=build.chunks(*_answer(question))),
            build.finished(seq + 4, now + 2.0, call, 2000),
        ],
    }
    turns.append(turn)
    return split_events(turn)


def chat_events(index: int, event: Json) -> bytes:
    data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    return f"id:{index}\nevent:message\ndata:{data}\n\n".encode()
