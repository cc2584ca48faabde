"""The Provider protocol every vendor module implements, and the small types it trades in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import httpx

from ..errors import NotFoundError, ProviderAPIError, ProviderError
from ..refs import ThreadRef
from ..transcript import Message, StreamEvent, ThreadEntry

State = dict[str, Any]
T = TypeVar("T")
MISSING_API = frozenset({"InvalidApi.NotFound", "InvalidAction", "ActionOffline", "UnsupportedOperation"})
"""Codes that say the action itself does not exist here (region, version), not that the thread is gone."""


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
    incomplete: str | None = None
    """What this page lacks because the vendor's reply could not be read whole: the page is not the thread."""


async def listed_entry(provider: Provider, ref: ThreadRef, pages: int = 5) -> ThreadEntry | None:
    """The thread's entry in its provider's listing (its parent's, ``pages`` pages of 100 looked through), or
    None."""
    parent = ThreadRef(ref.provider, ref.parts[:-1]) if len(ref.parts) > 1 else None
    state: State | None = None
    for _ in range(pages):
        listing = await provider.list_threads(parent, state, 100)
        found = next((e for e in listing.threads if e.ref == str(ref)), None)
        if found is not None or listing.next_state is None:
            return found
        state = listing.next_state
    return None


async def auxiliary(what: str, lookup: Awaitable[T]) -> tuple[T | None, str | None]:
    """A lookup made beside the messages (a title, a status): its value, or None and a note naming ``what`` is
    missing and why. The messages are never thrown away for it; the thread itself gone is still an error."""
    try:
        return await lookup, None
    except NotFoundError as e:
        if (e.code or "") not in MISSING_API:
            raise
        return None, _missing(what, e)
    except ProviderError as e:
        return None, _missing(what, e)


def _missing(what: str, error: ProviderError) -> str:
    code = f" ({error.code})" if isinstance(error, ProviderAPIError) and error.code else ""
    return f"{what} unavailable: {error.message}{code}"


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
