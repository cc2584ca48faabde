"""Tencent Cloud DataAgent (``dataagent``, API ``2025-05-13``): refs ``dataagent:<instance>/<session>``.

One record is one turn: the user's ``Question``, then the assistant's ``Think``, ``TaskList`` plan,
``Answer``, final summary, ``ErrorContext`` and feedback. The API has no list action: ``list_threads``
shows the sessions this server has read or started (a local catalog), and says so.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from ...errors import NotFoundError, UsageError
from ...http import RetryPolicy, Timeouts
from ...ratelimit import RateLimiter
from ...refs import ThreadRef
from ...times import utc
from ...transcript import StreamEvent, ThreadEntry
from ..base import Batch, Listing, ProviderSettings, State
from . import SPEC
from . import stream as live
from .api import DataAgentApi, RecordPage
from .catalog import FILE_NAME, Catalog, Entry, seed_entries
from .mapping import record_messages, running_record

NAME = "Tencent Cloud DataAgent"
LIST_NOTE = (
    "Tencent DataAgent has no API that lists sessions: these are the sessions this server has read or started "
    "(plus AGENT_THREADS_DATAAGENT_REFS). Open any other session directly by its ref, dataagent:<instance>/<session>."
)
POLL_INTERVAL = 2.0


def create(settings: ProviderSettings, timeouts: Timeouts, policy: RetryPolicy) -> DataAgentProvider:
    return DataAgentProvider(settings, timeouts, policy)


class DataAgentProvider:
    family = "dataagent"

    def __init__(
        self,
        settings: ProviderSettings,
        timeouts: Timeouts,
        policy: RetryPolicy,
        limiter: RateLimiter | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.id = settings.id
        self.api = DataAgentApi(settings, timeouts, policy, limiter, clock)
        self.client = self.api.client
        options = settings.options
        path = Path(options["state_dir"]) / FILE_NAME if options.get("state_dir") else None
        account = f"{self.id}@{self.api.endpoint}"
        self.catalog = Catalog(path, account, seed_entries(account, options.get("seed_refs", "")))
        self._poll = float(options.get("poll_interval", POLL_INTERVAL))
        self._source = settings.source

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "family": self.family,
            "name": NAME,
            "endpoint": self.api.endpoint,
            "region": self.api.region,
            "can": list(SPEC.can),
            "credentials": self._source,
            "note": "no list API: list_threads shows the sessions this server has seen; open others by ref",
        }

    async def list_threads(self, parent: ThreadRef | None, state: State | None, limit: int) -> Listing:
        entries = self.catalog.entries()
        if parent is None:
            rows = _instances(self.id, entries)
        else:
            rows = [_session_entry(self.id, e) for e in entries if e.instance == parent.parts[0] and e.session]
        offset = int((state or {}).get("o", 0))
        more = offset + limit < len(rows)
        return Listing(rows[offset : offset + limit], {"o": offset + limit} if more else None, note=LIST_NOTE)

    async def read(self, ref: ThreadRef, state: State | None, limit: int) -> Batch:
        instance, session = _session_of(ref)
        offset = int((state or {}).get("o", 0))
        page = await self._records(ref, offset, limit)
        running, run_id = running_record(page.run_record)
        end = offset + len(page.records)
        more = bool(page.records) and (end < page.total if page.total is not None else len(page.records) >= limit)
        live_id = run_id or (page.records[-1].RecordId if page.records and not more else None)
        messages = [m for r in page.records for m in record_messages(r, page.action, running and r.RecordId == live_id)]
        title = _title(page) if offset == 0 else None
        await self._remember(instance, session, page, title, "running" if running else "idle", more)
        return Batch(
            messages, {"o": end} if more else None, title, "running" if running else "idle", _note(page, running)
        )

    async def _records(self, ref: ThreadRef, offset: int, limit: int) -> RecordPage:
        """A page of the session's records; Tencent's not-found names no session, so this one names the ref."""
        try:
            return await self.api.records(*_session_of(ref), offset, limit, reuse=offset > 0)
        except NotFoundError as e:
            raise NotFoundError(
                f"{ref}: {e.message}", provider=e.provider, status=e.status, code=e.code, request_id=e.request_id
            ) from e

    async def _remember(
        self, instance: str, session: str, page: RecordPage, title: str | None, status: str, more: bool
    ) -> None:
        last = page.records[-1] if page.records and not more else None
        updated = utc(last.UpdateTime or last.CreateTime) if last else None
        stamp = updated.isoformat() if updated else None
        await self.catalog.note(instance, session, title=title, status=status, updated=stamp)

    @asynccontextmanager
    async def stream(
        self, ref: ThreadRef, message: str | None, checkpoint: str | None
    ) -> AsyncIterator[AsyncIterator[StreamEvent]]:
        events = live.run(self.api, self.catalog, ref, message, checkpoint, self._poll)
        try:
            yield events
        finally:
            await events.aclose()


def _session_of(ref: ThreadRef) -> tuple[str, str]:
    if len(ref.parts) != 2:
        raise UsageError(
            f"{ref} is an instance, not a session.",
            hint=f"list_threads(provider='{ref.provider}', parent='{ref}') lists its known sessions; "
            "read one as dataagent:<instance>/<session>.",
        )
    return ref.parts[0], ref.parts[1]


def _title(page: RecordPage) -> str | None:
    question = page.records[0].Question if page.records else None
    return question[:80] if question else None


def _note(page: RecordPage, running: bool) -> str | None:
    notes = []
    if running:
        notes.append("a reply is still being generated; stream_chat (without message) follows it")
    if page.action == "QueryUserSessionDetail":
        notes.append("read with QueryUserSessionDetail: this endpoint does not give reasoning, plans or summaries")
    return "; ".join(notes) or None


def _session_entry(provider: str, entry: Entry) -> ThreadEntry:
    ref = str(ThreadRef(provider, (entry.instance, entry.session or "")))
    return ThreadEntry(
        ref=ref, title=entry.title, status=entry.status, kind="session", updated=utc(entry.updated or entry.seen)
    )


def _instances(provider: str, entries: list[Entry]) -> list[ThreadEntry]:
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.instance] = counts.get(entry.instance, 0) + (1 if entry.session else 0)
    newest = {e.instance: e for e in reversed(entries)}  # entries come newest first
    return [
        ThreadEntry(
            ref=str(ThreadRef(provider, (instance,))),
            kind="instance",
            title=f"{count} known session{'s' if count != 1 else ''}",
            updated=utc(newest[instance].updated or newest[instance].seen),
            children=True,
        )
        for instance, count in counts.items()
    ]
