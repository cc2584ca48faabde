"""Alibaba RDS AI assistant (API ``2025-05-07``, RPC): conversations, their messages, and sending a query.

Refs are ``rdsai:<conversation>``. GetMessages pages go backwards (Dify-style): the first page holds the newest
rows, and ``FirstId`` (the oldest row shown) fetches the ones before. Each page is shown chronologically, one row
as two messages (the user's ``Query``, the assistant's ``Answer``), and ``seq`` counts back from the newest
message: -1 is the latest, -2 the one before, and so on across pages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from datetime import datetime, timezone
from typing import Any, TypeVar

from pydantic import BaseModel

from ... import http
from ...errors import UsageError
from ...http import Timeouts
from ...refs import ThreadRef
from ...times import utc
from ...transcript import StreamEvent, ThreadEntry
from ...wire import validate
from ..alibaba.credentials import DEFAULT_REGION
from ..alibaba.request import acs3_channel, rpc_request
from ..base import Batch, Listing, ProviderSettings, State
from . import SPEC
from .mapping import row_messages, truthy
from .stream import ChatFollow
from .wire import Conversation, Conversations, Messages, Row

VERSION = "2025-05-07"
MAINLAND = frozenset({"cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen", "cn-guangzhou", "cn-wulanchabu"})
MAX_ROWS = 100
"""GetMessages' largest page (``Limit``, rows of a question and its answer)."""
ORDER_NOTE = "newest page first, each chronological; seq counts back from the newest (-1)"
"""The first page's note when older pages follow (a conversation shown whole needs none: its last seq is -1)."""
M = TypeVar("M", bound=BaseModel)


def default_endpoint(region: str | None) -> str:
    """The SDK's host: one central endpoint for the mainland regions, a regional one elsewhere."""
    region = region or DEFAULT_REGION
    return "rdsai.aliyuncs.com" if region in MAINLAND else f"rdsai.{region}.aliyuncs.com"


def create(settings: ProviderSettings, timeouts: Timeouts, policy: http.RetryPolicy) -> RdsAiProvider:
    return RdsAiProvider(settings, timeouts, policy)


class RdsAiProvider:
    family = "rdsai"

    def __init__(self, settings: ProviderSettings, timeouts: Timeouts, policy: http.RetryPolicy) -> None:
        self.id = settings.id
        self.settings = settings
        self.channel = acs3_channel(settings, timeouts, policy, default_endpoint(settings.region))
        self.client = self.channel.client

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "family": self.family,
            "name": "Alibaba Cloud RDS AI assistant",
            "endpoint": str(self.client.base_url).rstrip("/"),
            "region": self.settings.region,
            "can": list(SPEC.can),
            "note": "refs rdsai:<conversation>; seq counts back from the newest message (-1); "
            "stream_chat needs a message (the API streams only a reply to a query)",
        }

    async def call(self, action: str, params: dict[str, Any], model: type[M]) -> M:
        request = rpc_request(self.client, action, VERSION, params)
        response = await self.channel.send(request)
        return validate(model, response.content, provider=self.id, what=f"{action} reply")

    async def rows(self, conversation: str, first_id: str | None, limit: int) -> tuple[list[Row], bool]:
        """One GetMessages page in chronological order, and whether older rows exist."""
        params = {"ConversationId": conversation, "FirstId": first_id, "Limit": max(1, min(100, limit))}
        reply = await self.call("GetMessages", params, Messages)
        rows = list(reply.data)
        if len(rows) > 1 and _when(rows[0]) > _when(rows[-1]):
            rows.reverse()  # accept a newest-first page too
        return rows, truthy(reply.has_more) and bool(rows)

    async def list_threads(self, parent: ThreadRef | None, state: State | None, limit: int) -> Listing:
        if parent is not None:
            raise UsageError(
                f"{parent} is a conversation; it holds no threads.", hint="Read it with get_thread_messages."
            )
        params = {"LastId": (state or {}).get("last"), "Limit": str(limit)}
        reply = await self.call("GetConversations", params, Conversations)
        more = truthy(reply.has_more) and bool(reply.data)
        return Listing([self._entry(c) for c in reply.data], {"last": reply.data[-1].id} if more else None)

    def _entry(self, c: Conversation) -> ThreadEntry:
        running = truthy(c.is_running) if isinstance(c.is_running, str) else c.is_running
        return ThreadEntry(
            ref=str(ThreadRef(self.id, (c.id,))),
            title=c.name,
            status=c.status or ("running" if running else None),
            kind="conversation",
            created=utc(c.created_at),
            updated=utc(c.updated_at),
            vendor={"introduction": c.introduction} if c.introduction else None,
        )

    async def read(self, ref: ThreadRef, state: State | None, limit: int) -> Batch:
        """The vendor's largest page of rows (each a question and its answer), whatever ``limit``."""
        shown = int((state or {}).get("shown", 0))
        rows, older = await self.rows(ref.parts[0], (state or {}).get("first"), MAX_ROWS)
        messages = [m for row in rows for m in row_messages(row)]
        numbered = [m.model_copy(update={"seq": i - len(messages) - shown}) for i, m in enumerate(messages)]
        next_state = {"first": rows[0].id, "shown": shown + len(messages)} if older else None
        return Batch(numbered, next_state, note=ORDER_NOTE if older and not state else None)

    @asynccontextmanager
    async def stream(
        self, ref: ThreadRef, message: str | None, checkpoint: str | None
    ) -> AsyncIterator[AsyncIterator[StreamEvent]]:
        follow = ChatFollow(self, ref.parts[0], message, checkpoint)
        async with aclosing(follow.events()) as events:
            yield events


def _when(row: Row) -> datetime:
    return utc(row.created_at) or datetime.min.replace(tzinfo=timezone.utc)


__all__ = ["RdsAiProvider", "create", "default_endpoint"]
