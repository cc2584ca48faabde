"""DataAgent over HTTP: one TC3-signed, rate-limited client, the read actions with their fallback, ChatAI.

``GetSessionDetails`` has the full records (``Think``, ``TaskList``, ``FinalSummary``) but was dropped from
the SDK; ``QueryUserSessionDetail`` pages with ``Offset``/``Limit``. Whichever answers as unsupported, the
other is tried, and the one that worked is remembered for this endpoint (tencent-qoder.md §1.1).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
from httpx_sse import ServerSentEvent

from ... import http, sse
from ...auth.tc3 import TC3Auth
from ...errors import ProviderAPIError
from ...http import Timeouts
from ...ratelimit import RateLimiter
from ...ttlcache import TtlCache
from ...wire import compact_json, validate
from ..base import ProviderSettings
from .credentials import DEFAULT_REGION
from .errors import checker, is_unsupported, response_body
from .wire import CreatedSession, Record, SessionDetails, UserSessionDetail

log = logging.getLogger("agent_threads.providers.dataagent")
SERVICE = "dataagent"
VERSION = "2025-05-13"
DEFAULT_ENDPOINT = "https://dataagent.tencentcloudapi.com"
READERS = ("GetSessionDetails", "QueryUserSessionDetail")
QUERY_LIMIT = 50  # the documented example; Tencent does not state a maximum


@dataclass(frozen=True)
class RecordPage:
    records: list[Record]
    total: int | None
    run_record: str | None
    action: str
    """The read action that answered (the Feedback encoding depends on it)."""


def _slice(details: SessionDetails, offset: int, limit: int) -> RecordPage:
    """Records ``offset..offset+limit`` of a GetSessionDetails reply (it holds the whole session)."""
    every = details.RecordList or []
    return RecordPage(every[offset : offset + limit], len(every), details.RunRecord, "GetSessionDetails")


class DataAgentApi:
    def __init__(
        self,
        settings: ProviderSettings,
        timeouts: Timeouts,
        policy: http.RetryPolicy,
        limiter: RateLimiter | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        creds = settings.credentials
        self.provider = settings.id
        self.endpoint = (settings.endpoint or DEFAULT_ENDPOINT).rstrip("/")
        self.region = settings.region or DEFAULT_REGION
        self.secret_id = creds["secret_id"]
        auth = TC3Auth(
            creds["secret_id"],
            creds["secret_key"],
            creds.get("token"),
            service=SERVICE,
            region=self.region,
            clock=clock,
        )
        self.client = http.make_client(self.endpoint, auth, timeouts, headers={"Content-Type": "application/json"})
        self.limiter = limiter or RateLimiter()
        self.client.event_hooks = {"request": [self.limiter.hook("x-tc-action")], "response": []}
        self.channel = http.Channel(
            self.provider, self.client, checker(self.provider, self.secret_id), policy, timeouts
        )
        self.reader = READERS[0]
        """The read action that answered last on this endpoint."""
        self.details: TtlCache[SessionDetails] = TtlCache()
        """GetSessionDetails replies (every record of a session) as a read's first page fetched them."""

    def _request(self, action: str, params: dict[str, Any]) -> httpx.Request:
        body = compact_json(params).encode("utf-8")
        return self.client.build_request(
            "POST", "/", content=body, headers={"X-TC-Action": action, "X-TC-Version": VERSION}
        )

    async def call(self, action: str, params: dict[str, Any], *, retry: http.Retry = "always") -> dict[str, Any]:
        """``Response`` of one action. Raises the mapped ProviderError (errors arrive inside HTTP 200)."""
        request = self._request(action, params)
        response = await self.channel.send(request, retry=retry)
        return response_body(response, self.provider, self.secret_id)

    async def records(self, instance: str, session: str, offset: int, limit: int, *, reuse: bool = False) -> RecordPage:
        """Records ``offset..offset+limit`` of a session, from whichever read action this endpoint supports;
        ``reuse``: a later page of a read, which may take the GetSessionDetails reply its first page kept."""
        first = self.reader
        try:
            return await self._read(first, instance, session, offset, limit, reuse)
        except ProviderAPIError as e:
            if not is_unsupported(e):
                raise
            other = READERS[1 - READERS.index(first)]
            log.info("%s unavailable on %s (%s); falling back to %s", first, self.endpoint, e.code, other)
        page = await self._read(other, instance, session, offset, limit, reuse)
        self.reader = other
        return page

    async def _read(self, action: str, instance: str, session: str, offset: int, limit: int, reuse: bool) -> RecordPage:
        params: dict[str, Any] = {"InstanceId": instance, "SessionId": session}
        if action == "GetSessionDetails":
            return _slice(await self._details(params, offset + limit, reuse), offset, limit)
        params |= {"Limit": min(limit, QUERY_LIMIT), "Offset": offset}
        page = validate(
            UserSessionDetail, await self.call(action, params), provider=self.provider, what=f"{action} reply"
        )
        return RecordPage(page.RecordList or [], page.TotalCount, page.RunRecord, action)

    async def _details(self, params: dict[str, Any], end: int | None, reuse: bool) -> SessionDetails:
        """GetSessionDetails, or the reply kept for this session when ``reuse`` and the page ends before it does
        (a page reaching the end asks again: records added since the read began must show); ``end`` None: any
        kept reply will do (it was fetched moments ago by the same call)."""
        key = f"{params['InstanceId']}/{params['SessionId']}"
        fetch = partial(self._session_details, params)
        if reuse:
            details, kept = await self.details.get(key, fetch)
            if not kept or end is None or end < len(details.RecordList or []):
                return details
        return await self.details.refresh(key, fetch)

    async def _session_details(self, params: dict[str, Any]) -> SessionDetails:
        action = "GetSessionDetails"
        return validate(SessionDetails, await self.call(action, params), provider=self.provider, what=f"{action} reply")

    async def latest(self, instance: str, session: str, count: int) -> RecordPage:
        """The last ``count`` records of a session (a second call when it is longer and the endpoint pages;
        a GetSessionDetails reply already held every record, so its tail is taken from it)."""
        page = await self.records(instance, session, 0, count)
        if page.total is None or page.total <= len(page.records):
            return page
        start = max(0, page.total - count)
        if page.action == "GetSessionDetails":
            details = await self._details({"InstanceId": instance, "SessionId": session}, None, reuse=True)
            return _slice(details, start, count)
        return await self.records(instance, session, start, count)

    async def create_session(self, instance: str) -> str:
        """A new session id. Repeated only while Tencent surely did not take it: a lost reply must not create two."""
        body = await self.call("CreateDataAgentSession", {"InstanceId": instance}, retry="if_unsent")
        created = validate(CreatedSession, body, provider=self.provider, what="CreateDataAgentSession reply")
        return created.SessionId

    @asynccontextmanager
    async def chat(self, params: dict[str, Any]) -> AsyncIterator[AsyncIterator[ServerSentEvent]]:
        """Send a question with ChatAI and yield its frames; a question is never sent twice."""
        async with AsyncExitStack() as stack:
            response = await sse.open_send(stack, self.channel, self._request("ChatAI", params), what="ChatAI")
            yield sse.events(response, provider=self.provider)
