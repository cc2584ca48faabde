"""A DMS transcript page: the session's user messages and artifacts (DescribeDataAgentSession) interleaved
with the assistant turns replayed by GetChatContent.

The k-th user message opens the k-th turn (each SendChatMessage starts one reply). Artifacts go in by time,
before the first turn that started after them. The paging state is the last checkpoint consumed and how many
turns, user messages and artifacts earlier pages already showed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio

from ...transcript import Message, Transcript, fold
from ..base import State
from .mapping import TurnTranslator, artifact_message, artifact_time, epoch, user_message
from .wire import ChatEvent, SessionDetail


@dataclass(frozen=True)
class Position:
    cp: int | None = None
    turns: int = 0
    users: int = 0
    artifacts: int = 0

    @classmethod
    def load(cls, state: State | None) -> Position:
        state = state or {}
        cp = state.get("cp")
        return cls(
            int(cp) if cp is not None else None, int(state.get("t", 0)), int(state.get("u", 0)), int(state.get("a", 0))
        )


@dataclass(frozen=True)
class Turn:
    message: Message
    last_cp: int | None
    finished: bool

    @classmethod
    def of(cls, folded: Transcript, last_cp: int | None, finished: bool) -> Turn:
        """The turn's message, unnumbered: the page numbers messages in thread order."""
        return cls(folded.messages[-1].model_copy(update={"seq": 0}), last_cp, finished)


def after(event: ChatEvent, cp: int | None) -> bool:
    """True unless the event is at or before checkpoint ``cp`` (resume may repeat the checkpoint itself)."""
    return cp is None or event.checkpoint is None or event.checkpoint > cp


async def collect_turns(
    events: AsyncIterator[ChatEvent], cp: int | None, want: int, idle: float
) -> tuple[list[Turn], bool]:
    """Up to ``want`` turns after checkpoint ``cp``; the flag says the replay is over (closed or idle)."""
    translator = TurnTranslator()
    turns: list[Turn] = []
    current: Transcript | None = None
    last = cp
    while (event := await _next(events, idle)) is not None:
        if not after(event, cp):
            continue
        if len(turns) >= want:
            return turns, False  # peeked one event past the page: the thread goes on
        if event.event_type.upper() == "CHAT_START" and current is not None:
            turns.append(Turn.of(current, last, False))
            current = None
        current = fold(translator.feed(event), current or Transcript())
        last = event.checkpoint if event.checkpoint is not None else last
        if not translator.open:
            turns.append(Turn.of(current, last, True))
            current = None
    if current is not None and current.messages:
        turns.append(Turn.of(current, last, False))
    return turns, True


async def _next(events: AsyncIterator[ChatEvent], idle: float) -> ChatEvent | None:
    """The next event, or None when the stream ended or stayed silent for ``idle`` seconds (a running turn)."""
    with anyio.move_on_after(idle):
        try:
            return await events.__anext__()
        except StopAsyncIteration:
            return None
    return None


def assemble(detail: SessionDetail, pos: Position, turns: list[Turn], over: bool) -> tuple[list[Message], State | None]:
    users = [user_message(m) for m in _by_time(detail.messages, lambda m: m.send_time)]
    arts = [artifact_message(a) for a in _by_time(detail.artifacts, artifact_time)]
    out: list[Message] = []
    u, a = pos.users, pos.artifacts
    for i, turn in enumerate(turns):
        start = turn.message.time
        while a < len(arts) and _before(arts[a].time, start):
            out.append(arts[a])
            a += 1
        while u <= pos.turns + i and u < len(users):
            out.append(users[u])
            u += 1
        out.append(turn.message)
    if over:
        rest = sorted(users[u:] + arts[a:], key=lambda m: (m.time is None, m.time or datetime.min))
        return out + rest, None
    return out, {"cp": turns[-1].last_cp, "t": pos.turns + len(turns), "u": u, "a": a}


def _before(when: datetime | None, start: datetime | None) -> bool:
    return when is not None and start is not None and when <= start


def _by_time(items: list[Any], when: Any) -> list[Any]:
    return sorted(items, key=lambda x: (epoch(when(x)) is None, epoch(when(x)) or datetime.min))
