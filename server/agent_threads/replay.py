"""Reading what a vendor already wrote through an event stream that replays it from a checkpoint.

One rule for every path that does (DMS transcript pages, following a DMS session past its older turns):

- the first event of a connection may take the read timeout (a vendor loading a long history answers late);
  after that, a silence longer than ``gap`` ends the connection as "quiet";
- a connection that closes, goes quiet or drops is asked about: the consumer says whether it is settled
  (nothing open, nothing more expected, or the vendor says the session still runs). If not, the replay is
  reopened from the consumer's last checkpoint, under the shared ``RetryPolicy``; attempts are counted while
  reopening makes no progress, and when they are spent the last error is raised: the consumer decides
  whether that is an error or a page marked incomplete, never a page that looks whole;
- a replay that never goes quiet is the consumer's to bound: it stops iterating (at its page's limit).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import AbstractAsyncContextManager, aclosing
from dataclasses import dataclass
from typing import Generic, Literal, Protocol, TypeVar

import anyio

from .errors import ProviderConnectionError
from .http import RetryPolicy, Timeouts

E = TypeVar("E")
E_co = TypeVar("E_co", covariant=True)


@dataclass(frozen=True)
class Ended:
    """How a connection ended: ``closed`` by the vendor, or ``quiet`` (silent for longer than the gap)."""

    how: Literal["closed", "quiet"]
    silent: float = 0.0
    """For ``quiet``: the seconds of silence it waited."""


class Source(Protocol[E_co]):
    """The consumer of a replay: opens a connection from where it stands, and judges how one ended."""

    def connect(self) -> AbstractAsyncContextManager[AsyncIterator[E_co]]:
        """A connection replaying from the consumer's last checkpoint."""
        ...

    def position(self) -> object:
        """Where the consumer stands: a connection made progress when this moved."""
        ...

    def settled(self, end: Ended) -> bool:
        """True when the replay may end this way (nothing lost); False to reopen it from the last checkpoint."""
        ...


@dataclass(frozen=True)
class Waits:
    """How long a replay waits: for the first event of a connection, and between events after it."""

    first: float
    gap: float

    @classmethod
    def history(cls, timeouts: Timeouts) -> Waits:
        """For reading a transcript: quiet after a short silence (a running turn is shown as it stands)."""
        return cls(timeouts.read, min(timeouts.replay_quiet, timeouts.stream_idle))

    @classmethod
    def live(cls, timeouts: Timeouts) -> Waits:
        """For following a live turn: agents think quietly, so a silence may last the stream idle timeout (the first
        byte, the history before the turn, also the read timeout when that is longer)."""
        return cls(max(timeouts.read, timeouts.stream_idle), timeouts.stream_idle)

    @property
    def longest(self) -> float:
        """The per-read timeout the connection itself needs so that these waits, not it, decide."""
        return max(self.first, self.gap) + 1.0


class Replay(Generic[E]):
    """A replay across connections: ``events()`` yields the vendor's events, then one ``Ended`` when settled."""

    def __init__(self, source: Source[E], policy: RetryPolicy, waits: Waits, what: str, provider: str) -> None:
        self.source, self.policy, self.waits = source, policy, waits
        self.what, self.provider = what, provider

    async def events(self) -> AsyncGenerator[E | Ended, None]:
        """Raises the last ProviderConnectionError when reopening stopped making progress."""
        attempt = 0
        while True:
            before = self.source.position()
            outcome: Ended | ProviderConnectionError = Ended("closed")
            try:
                async with aclosing(self._connection()) as items:
                    async for item in items:
                        if isinstance(item, Ended):
                            outcome = item
                        else:
                            yield item
            except ProviderConnectionError as err:
                outcome = err
            if isinstance(outcome, Ended) and self.source.settled(outcome):
                yield outcome
                return
            attempt = 0 if self.source.position() != before else attempt
            await self.policy.wait(attempt, self._error(outcome))
            attempt += 1

    async def _connection(self) -> AsyncGenerator[E | Ended, None]:
        async with self.source.connect() as stream:
            wait = self.waits.first
            while not isinstance(item := await _next(stream, wait), Ended):
                yield item
                wait = self.waits.gap
            yield item

    def _error(self, outcome: Ended | ProviderConnectionError) -> ProviderConnectionError:
        if isinstance(outcome, ProviderConnectionError):
            return outcome
        how = "closed" if outcome.how == "closed" else f"timed out after {outcome.silent:g}s of silence"
        return ProviderConnectionError(f"{self.what} {how} before it was complete", provider=self.provider)


async def _next(stream: AsyncIterator[E], wait: float) -> E | Ended:
    """The next event, or how the connection ended (closed, or silent for ``wait`` seconds)."""
    with anyio.move_on_after(wait):
        try:
            return await stream.__anext__()
        except StopAsyncIteration:
            return Ended("closed")
    return Ended("quiet", wait)
