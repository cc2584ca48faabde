"""Qoder Cloud Agents: sessions and their threads as thread refs, event pages as transcripts, SSE to follow.

Base URL from ``QODER_BASE_URL`` (any server speaking the Qoder API, plain ``http://`` included):

- Managed (default): ``https://api.qoder.com/api/v1/cloud``
- Forward (multi-tenant): ``https://api.qoder.com/api/v1/forward`` — pages by ``after_id`` only
- CN region: ``https://api.qoder.com.cn/api/v1/cloud`` or ``…/api/v1/forward``

Auth is ``Authorization: Bearer <QODER_PAT>``. Refs: ``qoder:<session>`` (session-level events, all threads'
highlights) and ``qoder:<session>/<thread>`` (one thread's events). Paging follows ``next_page`` as ``page``;
when a page has ``has_more`` but no ``next_page`` (older and CN deployments, Forward) it continues with
``after_id=<last_id>`` where the official SDK would stop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from ... import http
from ...auth.bearer import BearerAuth
from ...errors import ConfigError, ProtocolError
from ...http import RetryPolicy, Timeouts, url_path
from ...refs import ThreadRef
from ...times import utc
from ...transcript import StreamEvent, ThreadEntry
from ...wire import validate
from ..base import Batch, Listing, ProviderSettings, State, auxiliary
from . import SPEC
from .errors import check_reply
from .mapper import Mapper, stop_type
from .mapping import feed
from .stream import Follower
from .wire import W, WireEventPage, WirePage, WireSession, WireThread

DEFAULT_BASE_URL = "https://api.qoder.com/api/v1/cloud"
MAX_PAGE = 100
MAX_NAMES = 12


def create(settings: ProviderSettings, timeouts: Timeouts, policy: RetryPolicy) -> QoderProvider:
    return QoderProvider(settings, timeouts, policy)


def next_state(page: WirePage, used: State | None, *, provider: str) -> State | None:
    """The cursor for the page after ``page``. Raises ProtocolError for a cursor that does not advance."""
    if page.has_more is False or (page.has_more is None and not page.next_page):
        return None
    if page.next_page:
        following: State = {"page": page.next_page}
    elif page.last_id:
        following = {"after_id": page.last_id}
    else:
        raise ProtocolError("the page says has_more but gives neither next_page nor last_id", provider=provider)
    key, value = next(iter(following.items()))
    if used and used.get(key) == value:
        raise ProtocolError(
            f"the {key} cursor did not advance ({value!r} again); stopping instead of looping", provider=provider
        )
    return following


class QoderProvider:
    family = "qoder"

    def __init__(self, settings: ProviderSettings, timeouts: Timeouts, policy: RetryPolicy) -> None:
        token = settings.credentials.get("token")
        if not token:
            raise ConfigError("Qoder needs a token.", hint="Set QODER_PAT to a Qoder personal access token.")
        self.id = settings.id
        self.settings = settings
        self.base_url = (settings.endpoint or DEFAULT_BASE_URL).rstrip("/")
        self.client = http.make_client(
            self.base_url + "/", BearerAuth(token), timeouts, headers={"Accept": "application/json"}
        )
        self.channel = http.Channel(self.id, self.client, partial(check_reply, provider=self.id), policy, timeouts)
        self.follower = Follower(self.channel, self.ref_of, self.fetch)

    def describe(self) -> dict[str, Any]:
        host = urlsplit(self.base_url).hostname or ""
        mode = "Forward" if "/forward" in self.base_url else "Managed"
        region = self.settings.region or ("cn" if host.endswith(".cn") else None)
        return {
            "id": self.id,
            "family": self.family,
            "name": "Qoder Cloud Agents",
            "endpoint": self.base_url,
            "region": region,
            "can": list(SPEC.can),
            "note": f"{mode} API; refs qoder:<session> and qoder:<session>/<thread>",
        }

    def ref_of(self, sid: str, tid: str | None = None) -> str:
        return str(ThreadRef(self.id, (sid, tid) if tid else (sid,)))

    async def fetch(
        self, model: type[W], url: str, params: dict[str, Any] | None = None, *, ref: str | None = None
    ) -> W:
        """GET ``url`` as ``model``; errors name ``ref`` when given."""
        request = self.client.build_request("GET", url, params=params)
        response = await self.channel.send(request, check=partial(check_reply, provider=self.id, ref=ref))
        return validate(model, response.content, provider=self.id, what=f"reply from {request.url.path}")

    def items(self, model: type[W], items: list[dict[str, Any]]) -> list[W]:
        what = f"{model.__name__.removeprefix('Wire').lower()} in a list"
        return [validate(model, item, provider=self.id, what=what) for item in items]

    async def list_threads(self, parent: ThreadRef | None, state: State | None, limit: int) -> Listing:
        cursor = {k: v for k, v in (state or {}).items() if k in ("page", "after_id")}
        params = {"limit": max(1, min(limit, MAX_PAGE)), **cursor}
        if parent is None:
            page = await self.fetch(WirePage, "sessions", params)
            entries = [self._session_entry(s) for s in self.items(WireSession, page.data)]
        else:
            sid = parent.parts[0]
            page = await self.fetch(WirePage, url_path("sessions", sid, "threads"), params, ref=str(parent))
            entries = [self._thread_entry(sid, t) for t in self.items(WireThread, page.data)]
        return Listing(entries, next_state(page, cursor, provider=self.id))

    def _session_entry(self, s: WireSession) -> ThreadEntry:
        return ThreadEntry(
            ref=self.ref_of(s.id),
            title=s.title,
            status=s.status,
            kind="session",
            created=utc(s.created_at),
            updated=utc(s.updated_at),
            children=True,
        )

    def _thread_entry(self, sid: str, t: WireThread) -> ThreadEntry:
        kind = t.role or ("coordinator" if t.parent_thread_id is None else "sub-agent")
        stop = stop_type(t.stop_reason)
        status = f"{t.status} ({stop})" if t.status and stop and stop != "end_turn" else t.status
        return ThreadEntry(
            ref=self.ref_of(sid, t.id),
            title=t.label,
            status=status,
            kind=f"{kind} thread",
            created=utc(t.created_at),
            updated=utc(t.updated_at),
        )

    async def read(self, ref: ThreadRef, state: State | None, limit: int) -> Batch:
        sid, tid = ref.parts[0], (ref.parts[1] if len(ref.parts) > 1 else None)
        cursor = {k: v for k, v in (state or {}).items() if k in ("page", "after_id")}
        url = url_path("sessions", sid, "threads", tid, "events") if tid else url_path("sessions", sid, "events")
        params = {"limit": max(1, min(limit, MAX_PAGE)), **cursor}
        page = await self.fetch(WireEventPage, url, params, ref=str(ref))
        mapper = Mapper(partial(self.ref_of, sid), names=dict((state or {}).get("names", {})))
        for raw in page.data:
            feed(mapper, raw)
        following = next_state(page, cursor, provider=self.id)
        if following is not None and mapper.names:
            following["names"] = dict(list(mapper.names.items())[:MAX_NAMES])
        batch = Batch(list(mapper.messages.values()), following)
        if state is None:  # after the events: a failing title lookup does not throw them away
            heading, batch.note = await auxiliary("title and status", self._heading(ref, sid, tid))
            batch.title, batch.status = heading or (None, None)
        return batch

    async def _heading(self, ref: ThreadRef, sid: str, tid: str | None) -> tuple[str | None, str | None]:
        """The title and status from the session object, or the thread object for a thread ref."""
        if tid is None:
            session = await self.fetch(WireSession, url_path("sessions", sid), ref=str(ref))
            return session.title, session.status
        thread = await self.fetch(WireThread, url_path("sessions", sid, "threads", tid), ref=str(ref))
        return thread.label, thread.status

    def stream(
        self, ref: ThreadRef, message: str | None, checkpoint: str | None
    ) -> AbstractAsyncContextManager[AsyncIterator[StreamEvent]]:
        return self.follower.follow(ref, message, checkpoint)
