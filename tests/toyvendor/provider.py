"""The toy vendor's provider: boxes hold threads, kept in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from agent_threads.http import RetryPolicy, Timeouts
from agent_threads.providers.base import Batch, Listing, ProviderSettings, State
from agent_threads.refs import ThreadRef
from agent_threads.transcript import Message, MessageDone, StreamEvent, ThreadEntry, TurnEnd

from . import SPEC

THREADS = {("box", "t1"): ["hello toy", "hello human"]}


class ToyProvider:
    def __init__(self, settings: ProviderSettings) -> None:
        self.id, self.family, self.settings = settings.id, settings.family, settings
        self.client = httpx.AsyncClient()

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "family": self.family,
            "name": "Toy",
            "region": self.settings.region,
            "can": list(SPEC.can),
        }

    async def list_threads(self, parent: ThreadRef | None, state: State | None, limit: int) -> Listing:
        if parent is None:
            return Listing([ThreadEntry(ref=str(ThreadRef(self.id, ("box",))), kind="box", children=True)])
        return Listing(
            [ThreadEntry(ref=str(parent.child(t)), kind="thread") for b, t in THREADS if b == parent.parts[0]]
        )

    async def read(self, ref: ThreadRef, state: State | None, limit: int) -> Batch:
        texts = THREADS[(ref.parts[0], ref.parts[1])]
        roles = ("user", "assistant")
        return Batch([Message(id=str(i), role=roles[i % 2], text=t) for i, t in enumerate(texts)], title="toy thread")

    @asynccontextmanager
    async def stream(
        self, ref: ThreadRef, message: str | None, checkpoint: str | None
    ) -> AsyncIterator[AsyncIterator[StreamEvent]]:
        async def events() -> AsyncIterator[StreamEvent]:
            yield MessageDone(Message(id="r", role="assistant", text=f"you said {message}"))
            yield TurnEnd("end_turn")

        yield events()


def create(settings: ProviderSettings, timeouts: Timeouts, policy: RetryPolicy) -> ToyProvider:
    return ToyProvider(settings)
