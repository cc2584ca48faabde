"""A DMS transcript page: the session's user messages and artifacts (DescribeDataAgentSession) interleaved
with the assistant turns replayed by GetChatContent.

The k-th user message opens the k-th turn (each SendChatMessage starts one reply). Artifacts go in by time,
before the first turn that started after them. The paging state is the last checkpoint consumed and how many
turns, user messages and artifacts earlier pages already showed.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, aclosing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...errors import ProviderConnectionError
from ...replay import Ended, Replay
from ...transcript import Message, Transcript, fold
from ..base import State
from .mapping import TurnTranslator, artifact_message, artifact_time, epoch, user_message
from .wire import ChatEvent, SessionDetail

Opener = Callable[[int | None], AsyncGenerator[ChatEvent, None]]
"""GetChatContent from a checkpoint (None: the start), one parsed event at a time."""
TURN_EVENTS = 200
"""Events a page may read per turn it shows: a replay that never goes quiet ends the page there."""


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


@dataclass
class Collected:
    """A page's turns. ``over``: the replay ended there; ``cut``: the last turn goes on past the page (the replay
    never went quiet); ``incomplete``: what the page is missing because the replay could not be read whole."""

    turns: list[Turn]
    over: bool
    cut: bool = False
    incomplete: str | None = None


class PageReplay:
    """One transcript page's replay (a ``replay.Source``): turns after checkpoint ``cp``, at most ``want`` of them
    and ``want * TURN_EVENTS`` events. ``expected`` is how many turns the session's user messages open;
    ``before`` how many earlier pages showed; ``running`` whether DMS says the session is running."""

    def __init__(self, open_from: Opener, pos: Position, want: int, expected: int, running: bool) -> None:
        self.open_from, self.want, self.expected, self.running = open_from, want, expected, running
        self.before = pos.turns
        self.last = pos.cp
        self.translator = TurnTranslator()
        self.turns: list[Turn] = []
        self.current: Transcript | None = None
        self.budget = want * TURN_EVENTS

    def connect(self) -> AbstractAsyncContextManager[AsyncIterator[ChatEvent]]:
        return aclosing(self.open_from(self.last))

    def position(self) -> object:
        return self.last

    def settled(self, end: Ended) -> bool:
        """Closed or quiet with nothing lost: every expected turn seen and none open, or DMS says the session runs
        and only its latest turn is missing or unfinished. DMS does not document whether every user message gets
        a turn, nor whether a replay closes or stays open at its end: fewer turns than user messages on a session
        that is not running is taken as a replay cut short (reopened, then the page marked incomplete), which may
        cry wolf but never passes a cut transcript off as whole."""
        seen = self.before + len(self.turns) + (self.current is not None)
        if self.current is not None:
            return self.running and seen >= self.expected
        return seen >= self.expected or (self.running and seen >= self.expected - 1)

    async def collect(self, replay: Replay[ChatEvent]) -> Collected:
        try:
            async with aclosing(replay.events()) as items:
                async for item in items:
                    if isinstance(item, Ended):
                        return self._page(over=True)
                    if self._starts_beyond(item):
                        return self._page(over=False)  # one event past the page: the thread goes on
                    self.budget -= 1
                    if self.budget < 0:
                        return self._page(over=False, cut=True)
                    self._feed(item)
        except ProviderConnectionError as err:
            if not self.turns and self.current is None:
                raise
            return self._page(over=True, incomplete=f"{err.message}, after checkpoint {self.last}")
        return self._page(over=True)

    def _starts_beyond(self, event: ChatEvent) -> bool:
        """The event would open a turn the page has no room for."""
        shown = len(self.turns) + (self.current is not None)
        starts = self.current is None or event.event_type.upper() == "CHAT_START"
        return shown >= self.want and starts and after(event, self.last)

    def _feed(self, event: ChatEvent) -> None:
        if not after(event, self.last):
            return
        if event.event_type.upper() == "CHAT_START" and self.current is not None:
            self.turns.append(Turn.of(self.current, self.last, False))
            self.current = None
        self.current = fold(self.translator.feed(event), self.current or Transcript())
        self.last = event.checkpoint if event.checkpoint is not None else self.last
        if not self.translator.open:
            self.turns.append(Turn.of(self.current, self.last, True))
            self.current = None

    def _page(self, *, over: bool, cut: bool = False, incomplete: str | None = None) -> Collected:
        open_turn = self.current is not None and bool(self.current.messages)
        turns = self.turns + ([Turn.of(self.current, self.last, False)] if open_turn and self.current else [])
        return Collected(turns, over, cut and open_turn, incomplete)


def assemble(detail: SessionDetail, pos: Position, page: Collected) -> tuple[list[Message], State | None]:
    users = [user_message(m) for m in _by_time(detail.messages, lambda m: m.send_time)]
    arts = [artifact_message(a) for a in _by_time(detail.artifacts, artifact_time)]
    out: list[Message] = []
    u, a, turns = pos.users, pos.artifacts, page.turns
    for i, turn in enumerate(turns):
        start = turn.message.time
        while a < len(arts) and _before(arts[a].time, start):
            out.append(arts[a])
            a += 1
        while u <= pos.turns + i and u < len(users):
            out.append(users[u])
            u += 1
        out.append(turn.message)
    if page.over:
        rest = sorted(users[u:] + arts[a:], key=lambda m: (m.time is None, m.time or datetime.min))
        return out + rest, None
    done = len(turns) - page.cut  # a turn cut at the page's end is counted once it ends, on a later page
    return out, {"cp": turns[-1].last_cp if turns else pos.cp, "t": pos.turns + done, "u": u, "a": a}


def _before(when: datetime | None, start: datetime | None) -> bool:
    return when is not None and start is not None and when <= start


def _by_time(items: list[Any], when: Any) -> list[Any]:
    return sorted(items, key=lambda x: (epoch(when(x)) is None, epoch(when(x)) or datetime.min))
