"""Following a DMS session live: GetChatContent from a checkpoint, after one SendChatMessage when asked.

Without a checkpoint the follow starts at the latest turn: the k-th user message of the session opens the k-th
``CHAT_START`` turn, so the turns before it are read past silently. The replay follows the shared rule of
``replay.py``: a stream that drops, closes or goes silent before the followed turn finished reopens from the last
checkpoint seen; events at or before it are skipped, so nothing is shown twice and nothing is missed.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import AbstractAsyncContextManager, aclosing
from typing import Protocol

from ...errors import UsageError
from ...http import RetryPolicy
from ...replay import Ended, Replay, Waits
from ...transcript import Message, MessageDone, StreamEvent, TurnEnd
from .history import after
from .mapping import TurnTranslator
from .wire import ChatEvent, Sent, SessionDetail


class Source(Protocol):
    id: str
    policy: RetryPolicy

    async def session(self, session_id: str) -> SessionDetail: ...

    async def send_message(self, session: SessionDetail, text: str) -> Sent: ...

    def chat_events(
        self, session: SessionDetail, checkpoint: int | None, waits: Waits
    ) -> AsyncGenerator[ChatEvent, None]: ...


def parse_checkpoint(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError as e:
        raise UsageError(
            f"Not a DMS checkpoint: {raw[:40]!r}.", hint="Pass the checkpoint stream_chat returned."
        ) from e


def sent_message(sent: Sent, text: str) -> Message:
    """The message a SendChatMessage sent, as the turn shows it."""
    message_id = (sent.data or {}).get("MessageId")
    return Message(id=str(message_id) if message_id else None, role="user", text=text)


class Follow:
    """One follow of one session (a ``replay.Source``); ``events()`` yields stream events up to the turn's end."""

    def __init__(
        self, source: Source, session_id: str, message: str | None, checkpoint: str | None, waits: Waits
    ) -> None:
        self.source = source
        self.session_id = session_id
        self.message = message
        self.cp = parse_checkpoint(checkpoint)
        self.resuming = self.cp is not None
        self.waits = waits
        self.target = 0
        self.seen = 0
        self.translator = TurnTranslator()
        self.session: SessionDetail | None = None

    async def events(self) -> AsyncGenerator[StreamEvent, None]:
        session = self.session = await self.source.session(self.session_id)
        if not self.resuming:
            self.target = max(len(session.messages) + (self.message is not None), 1)
        if self.message is not None:
            yield MessageDone(sent_message(await self.source.send_message(session, self.message), self.message))
        replay = Replay(self, self.source.policy, self.waits, "the chat stream", self.source.id)
        async with aclosing(replay.events()) as items:
            async for item in items:
                if isinstance(item, Ended):  # no turn open and none awaited: nothing more is coming now
                    yield TurnEnd("idle", str(self.cp) if self.cp is not None else None)
                    return
                for out in self._take(item):
                    yield out
                    if isinstance(out, TurnEnd):
                        return

    def connect(self) -> AbstractAsyncContextManager[AsyncIterator[ChatEvent]]:
        assert self.session is not None
        return aclosing(self.source.chat_events(self.session, self.cp, self.waits))

    def position(self) -> object:
        return self.cp

    def settled(self, end: Ended) -> bool:
        """Closed with no turn open and the followed turn reached: nothing more is coming now."""
        return end.how == "closed" and not self.translator.open and self.seen >= self.target

    def _take(self, event: ChatEvent) -> list[StreamEvent]:
        """The stream events one vendor event gives once past the older turns (none for an event seen before)."""
        if not after(event, self.cp):
            return []
        if event.checkpoint is not None:
            self.cp = event.checkpoint
        if event.event_type.upper() == "CHAT_START":
            self.seen += 1
        return self.translator.feed(event) if self.seen >= self.target else []
