"""Alibaba Cloud digital employees: CMS ``2024-03-30`` and, the same API moved, STAROps ``2026-04-28``.

Employees (``GET /digital-employee``) hold threads (``GET /digitalEmployee/{name}/threads``); a thread's data
(``…/thread/{threadId}/data``, paged by ``nextToken``) is a list of turns, each a list of messages. The live reply
comes from ``POST /chat`` as SSE: ``create`` sends a message, ``reconnect`` attaches to the latest turn. This
provider never sends ``stop``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import AbstractAsyncContextManager, aclosing, asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from .. import http, sse
from ..errors import ProtocolError, ProviderConnectionError, UsageError
from ..http import Timeouts
from ..refs import ThreadRef
from ..transcript import Message, StreamEvent, TurnEnd
from ..wire import validate
from . import alibaba
from .base import Batch, Capabilities, Listing, ProviderSettings, State
from .cms_map import employee_entry, merge_messages, message_id, note_agents, pair_tools, thread_entry, to_message
from .cms_stream import ChatFold
from .cms_wire import ChatEvent, EmployeeList, Thread, ThreadData, ThreadPage, WireMessage

log = logging.getLogger("agent_threads.providers.cms")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Product:
    name: str
    version: str
    default_endpoint: str


PRODUCTS = {
    # CMS SDK 7.1.0 (the last with these ops) uses one global host; STAROps is regional (alibaba.md §0).
    "cms": Product("Alibaba Cloud CMS digital employees", "2024-03-30", "https://cms.aliyuncs.com"),
    "starops": Product(
        "Alibaba Cloud STAROps digital employees", "2026-04-28", "https://starops.{region}.aliyuncs.com"
    ),
}
TURN_MESSAGES = 4  # a data entry is one turn of a few messages; maxResults counts entries
MAX_DROPS = 3  # consecutive dropped connections without progress before giving up


class CmsProvider:
    def __init__(self, settings: ProviderSettings, timeouts: Timeouts, policy: http.RetryPolicy) -> None:
        self.id = settings.id
        self.family = settings.family
        self.product = PRODUCTS[settings.family]
        self.settings = settings
        self.capabilities = Capabilities()
        self.channel = alibaba.channel(settings, timeouts, policy, self.product.default_endpoint)
        self.client = self.channel.client

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "family": self.family,
            "name": self.product.name,
            "endpoint": alibaba.endpoint(self.settings, self.product.default_endpoint),
            "region": self.settings.region,
            "can": ["list", "read", "stream", "send"],
            "note": f"API {self.product.version}; refs {self.id}:<employee> and {self.id}:<employee>/<thread>",
        }

    async def _get(self, model: type[M], path: list[str], action: str, query: dict[str, Any] | None = None) -> M:
        request = alibaba.roa_request(self.client, "GET", path, action, self.product.version, query)
        response = await self.channel.send(request)
        return validate(model, response.content, provider=self.id, what=f"{action} reply")

    async def list_threads(self, parent: ThreadRef | None, state: State | None, limit: int) -> Listing:
        token = (state or {}).get("t")
        if parent is None:
            query = {"maxResults": min(limit, 100), "nextToken": token}
            employees = await self._get(EmployeeList, ["digital-employee"], "ListDigitalEmployees", query)
            entries = [employee_entry(e, str(ThreadRef(self.id, (e.name,)))) for e in employees.digital_employees]
            return Listing(entries, {"t": employees.next_token} if employees.next_token else None)
        name = parent.parts[0]
        query = {"maxResults": min(limit, 200), "nextToken": token}
        page = await self._get(ThreadPage, ["digitalEmployee", name, "threads"], "ListThreads", query)
        entries = [thread_entry(t, str(parent.child(t.thread_id))) for t in page.threads]
        return Listing(entries, {"t": page.next_token} if page.next_token else None)

    def _thread(self, ref: ThreadRef) -> tuple[str, str]:
        if len(ref.parts) != 2:
            raise UsageError(
                f"{ref} is a digital employee, not a thread.",
                hint=f"list_threads(provider={self.id!r}, parent={str(ref)!r}) lists its threads.",
            )
        return ref.parts[0], ref.parts[1]

    async def read(self, ref: ThreadRef, state: State | None, limit: int) -> Batch:
        name, thread_id = self._thread(ref)
        query = {"maxResults": max(1, min(100, limit // TURN_MESSAGES)), "nextToken": (state or {}).get("t")}
        path = ["digitalEmployee", name, "thread", thread_id]
        data = await self._get(ThreadData, [*path, "data"], "GetThreadData", query)
        batch = Batch(_messages(data), {"t": data.next_token} if data.next_token else None)
        if state is None:
            thread = await self._get(Thread, path, "GetThread")
            batch.title, batch.status = thread.title, thread.status
        return batch

    def stream(
        self, ref: ThreadRef, message: str | None, checkpoint: str | None
    ) -> AbstractAsyncContextManager[AsyncIterator[StreamEvent]]:
        return self._stream(ref, message, checkpoint)

    @asynccontextmanager
    async def _stream(
        self, ref: ThreadRef, message: str | None, checkpoint: str | None
    ) -> AsyncIterator[AsyncIterator[StreamEvent]]:
        name, thread_id = self._thread(ref)
        async with aclosing(self._follow(name, thread_id, message, checkpoint)) as events:
            yield events

    def _chat(self, body: dict[str, Any]) -> httpx.Request:
        request = alibaba.roa_request(self.client, "POST", "/chat", "CreateChat", self.product.version, None, body)
        request.headers["accept"] = "text/event-stream"
        return request

    async def _follow(
        self, name: str, thread_id: str, message: str | None, checkpoint: str | None
    ) -> AsyncGenerator[StreamEvent, None]:
        target = {"digitalEmployeeName": name, "threadId": thread_id}
        body: dict[str, Any] = {"action": "reconnect", **target}
        if message is not None:
            body = {
                "action": "create",
                **target,
                "messages": [{"role": "user", "contents": [{"type": "text", "value": message}]}],
            }
        fold = ChatFold(None if message is not None else checkpoint)
        drops = 0
        while True:
            retry: http.Retry = "if_unsent" if body["action"] == "create" else "always"
            async with self.channel.stream(self._chat(body), retry=retry) as response:
                body = {"action": "reconnect", **target}  # accepted: from here on only re-attach, never send again
                fold.attach()
                try:
                    async for event in self._events(response, fold):
                        yield event
                except ProviderConnectionError as e:
                    drops = 0 if fold.progressed else drops + 1
                    if drops >= MAX_DROPS:
                        raise
                    log.info("chat stream of %s/%s dropped (%s); reconnecting", name, thread_id, e.message)
                    continue
            if fold.ended:
                return
            if not fold.progressed:  # a re-attach brought nothing new: no turn is running
                yield TurnEnd("stream closed", fold.checkpoint)
                return
            log.info("chat stream of %s/%s closed before the turn finished; reconnecting", name, thread_id)

    async def _events(self, response: httpx.Response, fold: ChatFold) -> AsyncIterator[StreamEvent]:
        await sse.expect_event_stream(response, provider=self.id, check=self.channel.check, what="POST /chat")
        async for item in sse.events(response, provider=self.id):
            if item.data.strip() == "[DONE]":
                return
            for event in fold.feed(self._chat_event(item.event, item.data)):
                yield event
            if fold.ended:
                return

    def _chat_event(self, name: str, data: str) -> ChatEvent:
        try:
            raw = json.loads(data)
        except json.JSONDecodeError as e:
            raise ProtocolError(f"an SSE event of POST /chat is not JSON: {data[:80]!r}", provider=self.id) from e
        if isinstance(raw, dict) and (name == "error" or ("messages" not in raw and ("code" in raw or "Code" in raw))):
            raise alibaba.body_error(self.id, raw)
        return validate(ChatEvent, raw, provider=self.id, what="POST /chat event")


def _messages(data: ThreadData) -> list[Message]:
    """The page's messages in order; records of one message (same trace and seq) merged; tool results paired."""
    agents: dict[str, str] = {}
    merged: list[tuple[str, str, WireMessage]] = []
    for entry in data.data:
        trace = entry.trace_id or entry.request_id or ""
        for msg in entry.messages:
            note_agents(msg, agents)
            mid = message_id(msg, trace)
            if merged and merged[-1][0] == mid:
                merged[-1] = (mid, trace, merge_messages(merged[-1][2], msg))
            else:
                merged.append((mid, trace, msg))
    return pair_tools([to_message(msg, trace, agents) for _, trace, msg in merged])


def create(settings: ProviderSettings, timeouts: Timeouts, policy: http.RetryPolicy) -> CmsProvider:
    return CmsProvider(settings, timeouts, policy)
