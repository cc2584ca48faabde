"""Alibaba DMS Data Agent (API ``2025-04-14``, RPC): sessions, their history, and the agent's live output.

Refs are ``dms:<session>``. A transcript page interleaves the user messages and artifacts of
``DescribeDataAgentSession`` with the assistant turns that ``GetChatContent`` replays from a checkpoint.
``DMSUnit`` comes from the ``dms_unit`` option (default ``cn-hangzhou``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing, asynccontextmanager
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel

from ... import http, sse
from ...errors import ProtocolError, UsageError
from ...http import Timeouts
from ...refs import ThreadRef
from ...replay import Replay, Waits
from ...transcript import StreamEvent, ThreadEntry
from ...ttlcache import TtlCache
from ...wire import validate
from ..alibaba.request import acs3_channel, rpc_request
from ..base import Batch, Listing, ProviderSettings, State, auxiliary
from . import SPEC
from .history import Collected, PageReplay, Position, assemble
from .mapping import epoch
from .stream import Follow
from .wire import ChatEvent, Described, Sent, Session, SessionDetail, SessionList

VERSION = "2025-04-14"
DEFAULT_ENDPOINT = "dms.{region}.aliyuncs.com"
DEFAULT_UNIT = "cn-hangzhou"
RUNNING = frozenset({"RUNNING", "PROCESSING", "IN_PROGRESS", "PENDING", "EXECUTING"})
"""Session or agent states in which DMS is still writing the latest turn."""
M = TypeVar("M", bound=BaseModel)


def create(settings: ProviderSettings, timeouts: Timeouts, policy: http.RetryPolicy) -> DmsProvider:
    return DmsProvider(settings, timeouts, policy)


class DmsProvider:
    family = "dms"

    def __init__(self, settings: ProviderSettings, timeouts: Timeouts, policy: http.RetryPolicy) -> None:
        self.id = settings.id
        self.settings = settings
        self.unit = settings.options.get("dms_unit") or DEFAULT_UNIT
        self.channel = acs3_channel(settings, timeouts, policy, DEFAULT_ENDPOINT)
        self.client = self.channel.client
        self.policy = policy
        self.details: TtlCache[SessionDetail] = TtlCache()
        """Sessions' details as a read's first page fetched them, for the pages that follow."""

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "family": self.family,
            "name": "Alibaba Cloud DMS Data Agent",
            "endpoint": str(self.client.base_url).rstrip("/"),
            "region": self.settings.region,
            "can": list(SPEC.can),
            "note": f"DMSUnit {self.unit}; refs dms:<session>",
        }

    # ---- calls ----------------------------------------------------------------------------------

    async def call(self, action: str, params: dict[str, Any], model: type[M], *, retry: http.Retry = "always") -> M:
        request = rpc_request(self.client, action, VERSION, {"DMSUnit": self.unit, **params})
        response = await self.channel.send(request, retry=retry)
        return validate(model, response.content, provider=self.id, what=f"{action} reply")

    async def session(self, session_id: str) -> SessionDetail:
        found = (await self.call("DescribeDataAgentSession", {"SessionId": session_id}, Described)).data
        if found is None:
            raise ProtocolError(f"DescribeDataAgentSession returned no Data for {session_id!r}", provider=self.id)
        return found

    async def send_message(self, session: SessionDetail, text: str) -> Sent:
        """SendChatMessage, retried only while DMS surely did not take it: a send is never repeated."""
        params = {"SessionId": session.session_id, "AgentId": session.agent_id, "Message": text}
        with http.delivery():
            return await self.call("SendChatMessage", params, Sent, retry="if_unsent")

    async def chat_events(
        self, session: SessionDetail, checkpoint: int | None, waits: Waits
    ) -> AsyncGenerator[ChatEvent, None]:
        """GetChatContent from a checkpoint (0: the start), one parsed event at a time; the caller bounds the waits
        between events (``waits``), the connection only backs them up."""
        params = {"SessionId": session.session_id, "AgentId": session.agent_id, "Checkpoint": str(checkpoint or 0)}
        request = rpc_request(self.client, "GetChatContent", VERSION, {"DMSUnit": self.unit, **params})
        async with self.channel.stream(request, read=waits.longest) as response:
            await sse.expect_event_stream(response, provider=self.id, check=self.channel.check, what="GetChatContent")
            async with aclosing(sse.events(response, provider=self.id)) as items:
                async for item in items:
                    if item.data.strip() and item.data.strip() != "[DONE]":
                        yield validate(ChatEvent, item.data, provider=self.id, what="GetChatContent event")

    # ---- provider protocol ----------------------------------------------------------------------

    async def list_threads(self, parent: ThreadRef | None, state: State | None, limit: int) -> Listing:
        if parent is not None:
            raise UsageError(
                f"{parent} is a session; DMS sessions hold no threads.", hint="Read it with get_thread_messages."
            )
        page, size = int((state or {}).get("page", 1)), int((state or {}).get("size", limit))
        reply = await self.call("ListDataAgentSession", {"PageNumber": page, "PageSize": size}, SessionList)
        more = page < reply.total_pages if reply.total_pages is not None else len(reply.data) >= size
        return Listing(
            [self._entry(s) for s in reply.data], {"page": page + 1, "size": size} if more and reply.data else None
        )

    def _entry(self, s: Session) -> ThreadEntry:
        config = s.session_config
        extra = {"agent_id": s.agent_id, "mode": config.mode if config else None, "saved": s.saved or None}
        return ThreadEntry(
            ref=str(ThreadRef(self.id, (s.session_id,))),
            title=s.title,
            status=(s.session_status or s.agent_status or "").lower() or None,
            kind="session",
            created=epoch(s.create_time),
            vendor={k: v for k, v in extra.items() if v is not None} or None,
        )

    async def read(self, ref: ThreadRef, state: State | None, limit: int) -> Batch:
        session_id = ref.parts[0]
        detail, kept = await self._detail(session_id, fresh=state is None)
        pos = Position.load(state)
        page = await self._replay(detail, pos, max(1, (limit + 1) // 2))
        missing = None
        if page.over and kept:  # the last page: a message sent since the read began must show
            detail, missing = await self._refreshed(session_id, detail)
        messages, next_state = assemble(detail, pos, page)
        status = (detail.session_status or detail.agent_status or "").lower() or None
        title = detail.title if state is None else None  # the first page named the session
        return Batch(messages, next_state, title, status, _note(page, missing), incomplete=page.incomplete)

    async def _detail(self, session_id: str, *, fresh: bool) -> tuple[SessionDetail, bool]:
        """The session's details, and whether they are the ones kept since an earlier page of this read."""
        fetch = partial(self.session, session_id)
        if fresh:
            return await self.details.refresh(session_id, fetch), False
        return await self.details.get(session_id, fetch)

    async def _refreshed(self, session_id: str, kept: SessionDetail) -> tuple[SessionDetail, str | None]:
        """The session described again, or the kept details and a note when that lookup fails (the turns are
        read: they are not thrown away for it). A session gone since is still an error."""
        found, missing = await auxiliary("messages sent since the read began", self._detail(session_id, fresh=True))
        return (found[0], None) if found is not None else (kept, missing)

    async def _replay(self, detail: SessionDetail, pos: Position, want: int) -> Collected:
        """The page's turns, through the shared replay rule (``replay.py``)."""
        waits = Waits.history(self.channel.timeouts)
        running = any((s or "").upper() in RUNNING for s in (detail.session_status, detail.agent_status))
        page = PageReplay(partial(self.chat_events, detail, waits=waits), pos, want, len(detail.messages), running)
        replay = Replay(page, self.policy, waits, "the GetChatContent replay", self.id)
        return await page.collect(replay)

    @asynccontextmanager
    async def stream(
        self, ref: ThreadRef, message: str | None, checkpoint: str | None
    ) -> AsyncIterator[AsyncIterator[StreamEvent]]:
        follow = Follow(self, ref.parts[0], message, checkpoint, Waits.live(self.channel.timeouts))
        async with aclosing(follow.events()) as events:
            yield events


def _note(page: Collected, missing: str | None) -> str | None:
    notes = [missing] if missing else []
    last = page.turns[-1] if page.turns else None
    if last is not None and not last.finished and page.over and not page.incomplete:
        notes.append("the last turn is still running; stream_chat follows it")
    if page.cut:
        notes.append("the last turn goes on past this page; next_cursor continues it")
    return "; ".join(notes) or None


__all__ = ["DmsProvider", "create"]
