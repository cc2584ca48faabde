"""Alibaba Cloud digital employees: CMS ``2024-03-30`` and, the same API moved, STAROps ``2026-04-28``.

Employees (``GET /digital-employee``) hold threads (``GET /digitalEmployee/{name}/threads``); a thread's data
(``…/thread/{threadId}/data``, paged by ``nextToken``) is a list of turns, each a list of messages. The live reply
comes from ``POST /chat`` as SSE: ``create`` sends a message, ``reconnect`` attaches to the latest turn. This
provider never sends ``stop``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from ... import http
from ...errors import UsageError
from ...http import Timeouts
from ...refs import ThreadRef
from ...transcript import StreamEvent
from ...wire import validate
from ..alibaba.request import acs3_channel, base_url, roa_request
from ..base import Batch, Listing, ProviderSettings, State, auxiliary
from . import SPEC
from .mapping import employee_entry, page_messages, thread_entry
from .stream import Chat
from .wire import EmployeeList, Thread, ThreadData, ThreadPage

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
MAX_TURNS = 100
"""GetThreadData's largest page (``maxResults`` counts turns, each a few messages)."""


class CmsProvider:
    def __init__(self, settings: ProviderSettings, timeouts: Timeouts, policy: http.RetryPolicy) -> None:
        self.id = settings.id
        self.family = settings.family
        self.product = PRODUCTS[settings.family]
        self.settings = settings
        self.channel = acs3_channel(settings, timeouts, policy, self.product.default_endpoint)
        self.client = self.channel.client

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "family": self.family,
            "name": self.product.name,
            "endpoint": base_url(self.settings, self.product.default_endpoint),
            "region": self.settings.region,
            "can": list(SPEC.can),
            "note": f"API {self.product.version}; refs {self.id}:<employee> and {self.id}:<employee>/<thread>",
        }

    async def _get(self, model: type[M], path: list[str], action: str, query: dict[str, Any] | None = None) -> M:
        request = roa_request(self.client, "GET", path, action, self.product.version, query)
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
        """The vendor's largest page of turns, whatever ``limit``: the page holds what the tool page does not."""
        name, thread_id = self._thread(ref)
        query = {"maxResults": MAX_TURNS, "nextToken": (state or {}).get("t")}
        path = ["digitalEmployee", name, "thread", thread_id]
        data = await self._get(ThreadData, [*path, "data"], "GetThreadData", query)
        batch = Batch(page_messages(data), {"t": data.next_token} if data.next_token else None)
        if state is None:  # the messages are read: a failing title lookup does not throw them away
            thread, batch.note = await auxiliary("title and status", self._get(Thread, path, "GetThread"))
            batch.title, batch.status = (thread.title, thread.status) if thread else (None, None)
        return batch

    @asynccontextmanager
    async def stream(
        self, ref: ThreadRef, message: str | None, checkpoint: str | None
    ) -> AsyncIterator[AsyncIterator[StreamEvent]]:
        chat = Chat(self.channel, self.product.version, *self._thread(ref))
        async with aclosing(chat.events(message, checkpoint)) as events:
            yield events


def create(settings: ProviderSettings, timeouts: Timeouts, policy: http.RetryPolicy) -> CmsProvider:
    return CmsProvider(settings, timeouts, policy)
