"""Streaming an RDS AI reply: ChatMessages sends the query and streams the answer (the only way to stream).

The API cannot reopen a reply stream, and a query is never sent twice. So a checkpoint names the reply and how
much of it was seen (``<message id>:<chars>:<parts>``); after a dropped stream, or on a later call with that
checkpoint, the rest comes from the stored row (GetMessages) once the reply is complete.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import AsyncExitStack, aclosing
from datetime import datetime
from typing import Protocol

import httpx

from ... import http, sse
from ...errors import NotFoundError, ProviderAPIError, ProviderConnectionError, UsageError
from ...times import utc
from ...transcript import Mark, Message, MessageDone, MessageStart, PartAdded, StreamEvent, TextDelta, TurnEnd
from ...wire import validate
from ..alibaba.errors import api_error
from ..alibaba.request import rpc_request
from ..base import ProviderSettings
from .mapping import answer_parts, event_part, kind, row_messages, streamed_text
from .wire import RdsEvent, Row

VERSION = "2025-05-07"
RUNNING = frozenset({"running", "generating", "pending", "in_progress", "streaming"})
_FIND_ROWS = 20


class Source(Protocol):
    id: str
    channel: http.Channel
    settings: ProviderSettings

    async def rows(self, conversation: str, first_id: str | None, limit: int) -> tuple[list[Row], bool]: ...


def parse_checkpoint(raw: str) -> tuple[str, int, int]:
    try:
        message_id, chars, parts = raw.rsplit(":", 2)
        return message_id, int(chars), int(parts)
    except ValueError as e:
        raise UsageError(
            f"Not an RDS AI checkpoint: {raw[:60]!r}.", hint="Pass the checkpoint stream_chat returned."
        ) from e


class ChatTranslator:
    """ChatMessages events to stream events; the final message is rebuilt from all events at ``message_end``."""

    def __init__(self, query: str | None = None) -> None:
        self.query = query
        self.message_id: str | None = None
        self.time: datetime | None = None
        self.events: list[RdsEvent] = []
        self.text = ""
        self._parts = 0

    def feed(self, ev: RdsEvent) -> list[StreamEvent]:
        k = kind(ev)
        if k == "skip":
            return []
        out: list[StreamEvent] = [] if self.message_id else self._start(ev)
        mid = self.message_id or ""
        self.events.append(ev)
        if k == "text" and ev.answer:
            self.text += ev.answer
            out.append(TextDelta(mid, ev.answer))
        elif k in ("replace", "end"):
            self.text = streamed_text(self.events)
            out.append(MessageDone(self.message()))
        elif (part := event_part(ev)) is not None:
            out.append(PartAdded(mid, part))
            self._parts = len(answer_parts(self.events))
        out.append(Mark(self.checkpoint()))
        if k in ("end", "error"):
            out.append(TurnEnd("message_end" if k == "end" else "error"))
        return out

    def _start(self, ev: RdsEvent) -> list[StreamEvent]:
        """The reply begins; the query sent for it shows first (as GetMessages will store it, ``<row>:query``)."""
        self.message_id = ev.message_id or ev.task_id or "answer"
        self.time = utc(ev.created_at)
        start = MessageStart(self.message_id, "assistant", time=self.time)
        if self.query is None:
            return [start]
        query = Message(id=f"{self.message_id}:query", time=self.time, role="user", text=self.query)
        return [MessageDone(query), start]

    def message(self) -> Message:
        return Message(
            id=self.message_id, time=self.time, role="assistant", text=self.text, parts=answer_parts(self.events)
        )

    def checkpoint(self) -> str:
        return f"{self.message_id}:{len(self.text)}:{self._parts}"


class ChatFollow:
    def __init__(self, source: Source, conversation: str, message: str | None, checkpoint: str | None) -> None:
        if message is None and checkpoint is None:
            raise UsageError(
                "RDS AI streams only the reply to a query it is sent.",
                hint="Pass message to ask something, or an earlier stream_chat's checkpoint for the rest of its reply.",
            )
        self.source = source
        self.conversation = conversation
        self.message = message
        self.checkpoint = checkpoint

    async def events(self) -> AsyncGenerator[StreamEvent, None]:
        if self.message is None:
            async for out in self._catch_up(*parse_checkpoint(self.checkpoint or "")):
                yield out
            return
        translator = ChatTranslator(self.message)
        try:
            async with aclosing(self._send(self.message, translator)) as outs:
                async for out in outs:
                    yield out
                    if isinstance(out, TurnEnd):
                        return
            raise ProviderConnectionError("the reply stream closed before message_end", provider=self.source.id)
        except ProviderConnectionError as err:
            if translator.message_id is None:  # no reply seen: nothing to read it back from
                raise http.maybe_delivered(err)
        async for out in self._catch_up(translator.message_id, 0, 0):
            yield out

    async def _send(self, text: str, translator: ChatTranslator) -> AsyncGenerator[StreamEvent, None]:
        """ChatMessages, repeated only while RDS AI surely did not take it: a query is never sent twice."""
        region = self.source.settings.region
        params = {
            "ConversationId": self.conversation,
            "Query": text,
            "Inputs": {"RegionId": region} if region else None,
        }
        src = self.source
        request = rpc_request(src.channel.client, "ChatMessages", VERSION, params)
        async with AsyncExitStack() as stack:
            response = await sse.open_send(stack, src.channel, request, what="ChatMessages")
            async with aclosing(sse.events(response, provider=src.id)) as items:
                async for item in items:
                    if not item.data.strip() or item.data.strip() == "[DONE]":
                        continue
                    ev = validate(RdsEvent, item.data, provider=src.id, what="ChatMessages event")
                    if kind(ev) == "error" and translator.message_id is None:
                        raise self._in_band(ev, response)
                    for out in translator.feed(ev):
                        yield out

    def _in_band(self, ev: RdsEvent, response: httpx.Response) -> ProviderAPIError:
        """An ``error`` event before the reply started: the query failed, raised like an HTTP error would be."""
        raw = str(ev.status or "")
        status = int(raw) if raw.isdigit() and int(raw) >= 400 else 400
        stand_in = httpx.Response(status, headers=response.headers, request=response.request)
        return api_error(self.source.id, stand_in, {"Code": ev.code, "Message": ev.message or ev.answer or "error"})

    async def _catch_up(self, message_id: str, chars: int, parts: int) -> AsyncGenerator[StreamEvent, None]:
        """The rest of a reply, from its stored row, once it is complete (waits while it is generated)."""
        attempt = 0
        while True:
            row = await self._find(message_id)
            policy = self.source.channel.policy
            if row is None and attempt >= policy.max_retries:
                raise NotFoundError(f"reply {message_id} is not among the latest messages", provider=self.source.id)
            if row is not None and (row.generation_status or "").lower() not in RUNNING:
                final = row_messages(row)[-1]
                yield MessageDone(final.model_copy(update={"text": final.text[chars:], "parts": final.parts[parts:]}))
                yield Mark(f"{message_id}:{len(final.text)}:{len(final.parts)}")
                yield TurnEnd("message_end")
                return
            await policy.sleep(policy.backoff(attempt))
            attempt += 1

    async def _find(self, message_id: str) -> Row | None:
        rows, _ = await self.source.rows(self.conversation, None, _FIND_ROWS)
        return next((r for r in rows if r.id == message_id), None)
