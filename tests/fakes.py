"""An in-memory provider for testing the vendor-neutral layers (tools, pages, live) without a vendor."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, TextContent

from agent_threads.app import build_server
from agent_threads.config import Settings
from agent_threads.errors import NotFoundError
from agent_threads.http import RetryPolicy, Timeouts
from agent_threads.providers.base import Batch, Listing, ProviderSettings, State
from agent_threads.refs import ThreadRef
from agent_threads.tools.context import AppContext
from agent_threads.transcript import (
    Mark,
    Message,
    MessageDone,
    MessageStart,
    Part,
    StreamEvent,
    TextDelta,
    ThreadEntry,
    ToolCallPart,
    TurnEnd,
)

from .conftest import register_secret

T0 = datetime(2026, 5, 18, 3, 40, tzinfo=timezone.utc)
FAKE_TOKEN = register_secret("qoder-secret-token-123456")


def result_text(result: CallToolResult) -> str:
    """The text content of a tool result, blocks joined by newlines."""
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


def page_cursor(result: CallToolResult) -> str | None:
    """The next_cursor a get_thread_messages text page ends with; None at the end of the thread."""
    last = result_text(result).splitlines()[-1]
    return last.removeprefix("next_cursor: ") if last.startswith("next_cursor: ") else None


def page_seqs(result: CallToolResult) -> list[int]:
    """The #seq of each message of a text page (only the server writes at column 0)."""
    return [int(line[1:].split(" ", 1)[0]) for line in result_text(result).splitlines() if line[:1] == "#"]


def sample_messages(n: int, *, text: str = "message {i}") -> list[Message]:
    out: list[Message] = []
    for i in range(n):
        role = "user" if i % 2 == 0 else "assistant"
        call = ToolCallPart(id=f"tu{i}", name="Bash", arguments={"cmd": "ls"}, result="a.txt")
        parts: list[Part] = [call] if i % 5 == 4 else []
        out.append(Message(id=f"m{i}", time=T0 + timedelta(seconds=i), role=role, text=text.format(i=i), parts=parts))
    return out


@dataclass
class FakeProvider:
    id: str = "qoder"
    family: str = "qoder"
    threads: dict[str, list[Message]] = field(default_factory=dict[str, list[Message]])
    page_size_cap: int = 100
    stream_events: list[StreamEvent] = field(default_factory=list[StreamEvent])
    reads: list[tuple[str, State | None, int]] = field(default_factory=list[tuple[str, "State | None", int]])
    sent: list[str] = field(default_factory=list[str])
    client: httpx.AsyncClient = field(default_factory=httpx.AsyncClient)

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "family": self.family, "name": "Fake", "endpoint": "memory", "can": ["list", "read"]}

    async def list_threads(self, parent: ThreadRef | None, state: State | None, limit: int) -> Listing:
        refs = sorted(self.threads)
        start = int((state or {}).get("i", 0))
        chunk = refs[start : start + limit]
        entries = [ThreadEntry(ref=r, title=f"thread {r}", status="idle") for r in chunk]
        more = start + limit < len(refs)
        return Listing(entries, {"i": start + limit} if more else None)

    async def read(self, ref: ThreadRef, state: State | None, limit: int) -> Batch:
        self.reads.append((str(ref), state, limit))
        if str(ref) not in self.threads:
            raise NotFoundError(f"no thread {ref}", provider=self.id, status=404, code="not_found_error")
        msgs = self.threads[str(ref)]
        start = int((state or {}).get("i", 0))
        size = min(limit, self.page_size_cap)
        more = start + size < len(msgs)
        return Batch(
            msgs[start : start + size], {"i": start + size} if more else None, title="Fake thread", status="idle"
        )

    @asynccontextmanager
    async def stream(
        self, ref: ThreadRef, message: str | None, checkpoint: str | None
    ) -> AsyncIterator[AsyncIterator[StreamEvent]]:
        if message is not None:
            self.sent.append(message)

        async def events() -> AsyncIterator[StreamEvent]:
            for event in self.stream_events:
                yield event

        yield events()


def fake_factory(fakes: dict[str, FakeProvider]) -> Callable[[ProviderSettings, Timeouts, RetryPolicy], FakeProvider]:
    def factory(settings: ProviderSettings, timeouts: Timeouts, policy: RetryPolicy) -> FakeProvider:
        return fakes[settings.id]

    return factory


def fake_server(fake: FakeProvider, **settings: Any) -> MCPServer[AppContext]:
    """A server whose one provider, ``qoder``, is ``fake``; ``settings`` replace fields of its Settings."""
    base = Settings(
        providers=(ProviderSettings("qoder", "qoder", credentials={"token": FAKE_TOKEN}),), missing={"tencent": "set X"}
    )
    return build_server(replace(base, **settings), factory=fake_factory({"qoder": fake}))


def reply_events(text: str = "Hello world") -> list[StreamEvent]:
    half = len(text) // 2
    return [
        MessageStart(id="a1", role="assistant", time=T0),
        TextDelta(id="a1", text=text[:half]),
        Mark("evt_1"),
        TextDelta(id="a1", text=text[half:]),
        MessageDone(Message(id="a1", role="assistant", text=text, time=T0)),
        Mark("evt_2"),
        TurnEnd(reason="end_turn", checkpoint="evt_2"),
    ]
