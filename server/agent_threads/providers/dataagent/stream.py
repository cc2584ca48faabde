"""Live DataAgent turns: send with ChatAI (creating the session first when the ref names only an instance),
or follow a reply by reading the session until ``RunRecord`` is empty.

ChatAI cannot be re-attached: when its stream breaks (or turns unreadable) after the send was accepted, the
reply is followed by polling the read actions instead, and the question is never sent again.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator

import anyio

from ...errors import ProtocolError, ProviderConnectionError, UsageError
from ...refs import ThreadRef
from ...transcript import (
    EventPart,
    Mark,
    Message,
    MessageDone,
    MessageStart,
    PartAdded,
    StreamEvent,
    ThreadNamed,
    TurnEnd,
)
from .api import DataAgentApi, RecordPage
from .catalog import Catalog
from .fold import ChatFold, Checkpoint
from .mapping import record_messages, running_record
from .wire import Record

log = logging.getLogger("agent_threads.providers.dataagent")
TAIL = 20
"""Records read from the end of a session when following it."""


async def run(
    api: DataAgentApi, catalog: Catalog, ref: ThreadRef, message: str | None, checkpoint: str | None, interval: float
) -> AsyncGenerator[StreamEvent, None]:
    after = Checkpoint.load(checkpoint) if checkpoint else None
    instance = ref.parts[0]
    session = ref.parts[1] if len(ref.parts) > 1 else (after.session if after else None)
    if message is not None:
        if session is None:
            session = await api.create_session(instance)
            await catalog.note(instance, session, title=message[:80], status="running")
            for event in _created(ThreadRef(ref.provider, (instance, session))):
                yield event
        async for event in send(api, catalog, instance, session, message, interval):
            yield event
        return
    if session is None:
        raise UsageError(
            f"{ref} names an instance, not a session: there is no reply to follow.",
            hint="Pass message to start a new session there, or a session ref dataagent:<instance>/<session>.",
        )
    async for event in follow(api, instance, session, after, interval):
        yield event


def _created(ref: ThreadRef) -> list[StreamEvent]:
    event_id = f"{ref.parts[1]}:created"
    part = EventPart(name="session", status="created", message=f"continue this conversation with thread {ref}")
    return [ThreadNamed(str(ref)), MessageStart(event_id, "event"), PartAdded(event_id, part)]


async def send(
    api: DataAgentApi, catalog: Catalog, instance: str, session: str, question: str, interval: float
) -> AsyncGenerator[StreamEvent, None]:
    fold = ChatFold(session, question, api.provider, api.secret_id)
    accepted = False
    try:
        async with api.chat({"InstanceId": instance, "SessionId": session, "Question": question}) as frames:
            accepted = True
            async for frame in frames:
                events = fold.feed(frame)
                if fold.ended:  # before the last events: the consumer may stop reading at TurnEnd
                    await catalog.note(instance, session, status="idle")
                for event in events:
                    yield event
                if fold.ended:
                    return
    except (ProviderConnectionError, ProtocolError) as e:
        if not accepted:
            raise
        log.info("ChatAI stream broke (%s); following the reply by reading the session", type(e).__name__)
    after = Checkpoint(session, fold.record_id) if fold.record_id else None
    async for event in follow(api, instance, session, after, interval):
        yield _keep_streamed(event, fold)


def _keep_streamed(event: StreamEvent, fold: ChatFold) -> StreamEvent:
    """The stored reply lacks the stream-only frames (unknown types) seen before the break: keep them on it."""
    if not isinstance(event, MessageDone) or event.message.id != fold.reply_id or not fold.extra:
        return event
    missing = [part for part in fold.extra if part not in event.message.parts]
    return MessageDone(event.message.model_copy(update={"parts": [*event.message.parts, *missing]}))


def _pending(records: list[Record], after: Checkpoint | None) -> list[Record]:
    """The records to show: the latest turn, or those after the checkpoint (its own record again if unfinished)."""
    ids = [r.RecordId for r in records]
    if after is None or after.record not in ids:
        return records[-1:]
    start = ids.index(after.record) + (1 if after.done else 0)
    return records[start:]


def _messages(page: RecordPage, records: list[Record]) -> list[Message]:
    running, run_id = running_record(page.run_record)
    last = page.records[-1].RecordId if page.records else None
    out: list[Message] = []
    for record in records:
        live = running and record.RecordId == (run_id or last)
        out.extend(record_messages(record, page.action, live))
    return out


async def follow(
    api: DataAgentApi, instance: str, session: str, after: Checkpoint | None, interval: float
) -> AsyncGenerator[StreamEvent, None]:
    """Show the latest turn (or what follows ``after``) and keep reading until no reply is running."""
    shown: dict[str | None, Message] = {}
    while True:
        page = await api.latest(instance, session, TAIL)
        records = _pending(page.records, after)
        for message in _messages(page, records):
            if shown.get(message.id) != message:
                shown[message.id] = message
                yield MessageDone(message)
        last = records[-1].RecordId if records else (after.record if after else None)
        running, _ = running_record(page.run_record)
        mark = Checkpoint(session, last, done=not running).dump()
        yield Mark(mark)
        if not running:
            yield TurnEnd("end_turn" if records else "idle", mark)
            return
        await anyio.sleep(interval)
