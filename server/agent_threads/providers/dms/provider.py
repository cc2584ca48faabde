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
from ...errors import ProtocolError, ProviderConnectionError, UsageError
from ...http import Timeouts
from ...refs import ThreadRef
from ...transcript import StreamEvent, ThreadEntry
from ...ttlcache import TtlCache
from ...wire import validate
from ..alibaba.request import acs3_channel, rpc_request
from ..base import Batch, Listing, ProviderSettings, State
from . import SPEC
from .history import Position, Turn, assemble, collect_turns
from .mapping import epoch
from .stream import Follow
from .wire import ChatEvent, Described, Sent, Session, SessionDetail, SessionList

VERSION = "2025-04-14"
DEFAULT_ENDPOINT = "dms.{region}.aliyuncs.com"
DEFAULT_UNIT = "cn-hangzhou"
READ_IDLE = 5.0
"""Seconds a transcript read waits on a silent replay before presenting a running turn as it stands."""
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
        """SendChatMessage, never retried: a send the vendor accepted must not be repeated."""
        params = {"SessionId": session.session_id, "AgentId": session.agent_id, "Message": text}
        return await self.call("SendChatMessage", params, Sent, retry="never")

    async def chat_events(self, session: SessionDetail, checkpoint: int | None) -> AsyncGenerator[ChatEvent, None]:
        """GetChatContent from a checkpoint (0: the start), one parsed event at a time."""
        params = {"SessionId": session.session_id, "AgentId": session.agent_id, "Checkpoint": str(checkpoint or 0)}
        request = rpc_request(self.client, "GetChatContent", VERSION, {"DMSUnit": self.unit, **params})
        async with self.channel.stream(request) as response:
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
        turns, over = await self._replay(detail, pos.cp, max(1, (limit + 1) // 2))
        if over and kept:  # the last page: a message sent since the read began must show
            detail, _ = await self._detail(session_id, fresh=True)
        messages, next_state = assemble(detail, pos, turns, over)
        running = bool(turns) and not turns[-1].finished
        note = "the last turn is still running; stream_chat follows it" if running and over else None
        status = (detail.session_status or detail.agent_status or "").lower() or None
        title = detail.title if state is None else None  # the first page named the session
        return Batch(messages, next_state, title=title, status=status, note=note)

    async def _detail(self, session_id: str, *, fresh: bool) -> tuple[SessionDetail, bool]:
        """The session's details, and whether they are the ones kept since an earlier page of this read."""
        fetch = partial(self.session, session_id)
        if fresh:
            return await self.details.refresh(session_id, fetch), False
        return await self.details.get(session_id, fetch)

    async def _replay(self, detail: SessionDetail, cp: int | None, want: int) -> tuple[list[Turn], bool]:
        """The page's turns; a replay that drops is reopened from the page's checkpoint and read again."""
        attempt = 0
        while isinstance(result := await self._replay_once(detail, cp, want), ProviderConnectionError):
            await self.policy.wait(attempt, result)
            attempt += 1
        return result

    async def _replay_once(
        self, detail: SessionDetail, cp: int | None, want: int
    ) -> tuple[list[Turn], bool] | ProviderConnectionError:
        """One replay of the page, or the connection error it dropped with."""
        try:
            async with aclosing(self.chat_events(detail, cp)) as events:
                return await collect_turns(events, cp, want, READ_IDLE)
        except ProviderConnectionError as err:
            return err

    @asynccontextmanager
    async def stream(
        self, ref: ThreadRef, message: str | None, checkpoint: str | None
    ) -> AsyncIterator[AsyncIterator[StreamEvent]]:
        follow = Follow(self, ref.parts[0], message, checkpoint)
        async with aclosing(follow.events()) as events:
            yield events


__all__ = ["DmsProvider", "create"]
