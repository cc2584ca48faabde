"""Following a DMS session live: GetChatContent from a checkpoint, after one SendChatMessage when asked.

Without a checkpoint the follow starts at the latest turn: the k-th user message of the session opens the k-th
``CHAT_START`` turn, so the turns before it are read past silently. A dropped stream reopens from the last
checkpoint seen; events at or before it are skipped, so nothing is shown twice and nothing is missed.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Protocol

from ...errors import ProviderConnectionError, UsageError
from ...http import RetryPolicy
from ...transcript import StreamEvent, TurnEnd
from .history import after
from .mapping import TurnTranslator
from .wire import ChatEvent, Sent, SessionDetail


class Source(Protocol):
    id: str
    policy: RetryPolicy

    async def session(self, session_id: str) -> SessionDetail: ...

    async def send_message(self, session: SessionDetail, text: str) -> Sent: ...

    def chat_events(self, session: SessionDetail, checkpoint: int | None) -> AsyncGenerator[ChatEvent, None]: ...


def parse_checkpoint(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError as e:
        raise UsageError(
            f"Not a DMS checkpoint: {raw[:40]!r}.", hint="Pass the checkpoint stream_chat returned."
        ) from e


class Follow:
    """One follow of one session; ``events()`` yields normalized stream events up to the turn's end."""

    def __init__(self, source: Source, session_id: str, message: str | None, checkpoint: str | None) -> None:
        self.source = source
        self.session_id = session_id
        self.message = message
        self.cp = parse_checkpoint(checkpoint)
        self.resuming = self.cp is not None
        self.target = 0
        self.seen = 0
        self.translator = TurnTranslator()

    async def events(self) -> AsyncGenerator[StreamEvent, None]:
        session = await self.source.session(self.session_id)
        if not self.resuming:
            self.target = max(len(session.messages) + (self.message is not None), 1)
        if self.message is not None:
            await self.source.send_message(session, self.message)
        attempt = 0
        while True:
            async with aclosing(self._connection(session)) as outs:
                async for out in outs:
                    if isinstance(out, ProviderConnectionError):
                        await self.source.policy.wait(attempt, out)
                        attempt += 1
                        break
                    attempt = 0
                    yield out
                    if isinstance(out, TurnEnd):
                        return
                else:  # the stream ended with no turn open and none awaited: nothing more is coming now
                    yield TurnEnd("idle", str(self.cp) if self.cp is not None else None)
                    return

    async def _connection(self, session: SessionDetail) -> AsyncGenerator[StreamEvent | ProviderConnectionError, None]:
        """One connection's events, then the error it dropped with (also when it closed mid-turn), if any."""
        try:
            async with aclosing(self._pass(session)) as outs:
                async for out in outs:
                    yield out
            if not self._settled():
                raise ProviderConnectionError(
                    "the chat stream closed before the turn finished", provider=self.source.id
                )
        except ProviderConnectionError as err:
            yield err

    async def _pass(self, session: SessionDetail) -> AsyncGenerator[StreamEvent, None]:
        """One connection's worth of events after the last checkpoint."""
        async with aclosing(self.source.chat_events(session, self.cp)) as events:
            async for event in events:
                if not after(event, self.cp):
                    continue
                if event.checkpoint is not None:
                    self.cp = event.checkpoint
                if event.event_type.upper() == "CHAT_START":
                    self.seen += 1
                if self.seen >= self.target:
                    for out in self.translator.feed(event):
                        yield out

    def _settled(self) -> bool:
        """The stream ended with no turn open and none still awaited: nothing more is coming now."""
        return not self.translator.open and (self.message is None or self.seen >= self.target)
