"""The Provider protocol every vendor module implements, and the small types it trades in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from ..refs import ThreadRef
from ..transcript import Message, StreamEvent, ThreadEntry

State = dict[str, Any]


@dataclass(frozen=True)
class ProviderSettings:
    """One configured account of one vendor family. Secrets never appear in repr."""

    id: str
    family: str
    endpoint: str | None = None
    region: str | None = None
    credentials: dict[str, str] = field(default_factory=dict[str, str], repr=False)
    options: dict[str, str] = field(default_factory=dict[str, str])
    source: str = "env"


@dataclass
class Listing:
    threads: list[ThreadEntry]
    next_state: State | None = None
    note: str | None = None


@dataclass
class Batch:
    """One vendor page of a transcript, in chronological order."""

    messages: list[Message]
    next_state: State | None = None
    title: str | None = None
    status: str | None = None
    note: str | None = None


class Provider(Protocol):
    id: str
    family: str
    client: httpx.AsyncClient

    def describe(self) -> dict[str, Any]:
        """What a model may know about this provider: endpoint, region, abilities. Never a secret."""
        ...

    async def list_threads(self, parent: ThreadRef | None, state: State | None, limit: int) -> Listing: ...

    async def read(self, ref: ThreadRef, state: State | None, limit: int) -> Batch:
        """One vendor page of the thread from ``state`` (None: the first). A vendor that pages by a count is asked
        for its largest page, whatever ``limit`` (the messages the caller wants at least, where the vendor leaves
        the page size to the provider): the page that shows them keeps the rest for its next cursor."""
        ...

    def stream(
        self, ref: ThreadRef, message: str | None, checkpoint: str | None
    ) -> AbstractAsyncContextManager[AsyncIterator[StreamEvent]]:
        """Follow the live reply (sending ``message`` first when given) as normalized stream events."""
        ...
