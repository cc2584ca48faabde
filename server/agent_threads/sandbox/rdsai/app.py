"""The RDS AI (``2025-05-07``) side of the sandbox: RPC actions as the official SDK sends them.

GetConversations pages with ``LastId`` and answers ``HasMore`` as the string ``"true"``/``"false"`` (a bool
when ``ctx.options["rdsai.has_more_bool"]`` is set); GetMessages pages backwards from ``FirstId``, each page
oldest first, ``HasMore`` a bool. ChatMessages streams a Dify-style reply with PascalCase keys (what the SDK's
model reads) and stores it as a new row. ``ctx.options["rdsai.chat_error"] = (code, message)`` makes the
stream open with an ``error`` event instead. The ``drift`` fault serves GetMessages rows in Dify's snake_case, with
an extra field and an event type no client knows.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import Response, StreamingResponse

from ..alibaba.app import RpcHandler, rpc_app
from ..alibaba.wire import ApiError
from ..core import ASGIApp, SandboxContext
from .data import Conversation, Row, result, sample_conversations, stable_id, thought, tool

VERSION = "2025-05-07"


def _limit(params: dict[str, str], default: int = 100) -> int:
    raw = params.get("Limit") or str(default)
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise ApiError(400, "InvalidParameter", "The provided parameter Limit is invalid: 1-100.")
    return int(raw)


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


class RdsAiCloud:
    def __init__(self, ctx: SandboxContext) -> None:
        self.ctx = ctx
        self.conversations = sample_conversations(ctx.options)

    def _conversation(self, cid: str | None) -> Conversation:
        found = self.conversations.get(cid or "")
        if found is None:
            raise ApiError(404, "ConversationNotFound", f"The conversation {cid!r} does not exist.")
        return found

    async def list_conversations(self, params: dict[str, str]) -> dict[str, Any]:
        ordered = sorted(self.conversations.values(), key=lambda c: -int(c.summary()["UpdatedAt"]))
        start = 0
        if params.get("LastId"):
            ids = [c.id for c in ordered]
            if params["LastId"] not in ids:
                raise ApiError(400, "InvalidParameter", "The provided parameter LastId is invalid.")
            start = ids.index(params["LastId"]) + 1
        limit = _limit(params)
        chunk = ordered[start : start + limit]
        more = start + limit < len(ordered)
        has_more: bool | str = more if self.ctx.options.get("rdsai.has_more_bool") else ("true" if more else "false")
        return {"Data": [c.summary() for c in chunk], "HasMore": has_more, "Limit": limit}

    async def messages(self, params: dict[str, str]) -> dict[str, Any]:
        rows = self._conversation(params.get("ConversationId")).rows
        end = len(rows)
        if params.get("FirstId"):
            ids = [r["Id"] for r in rows]
            if params["FirstId"] not in ids:
                raise ApiError(400, "InvalidParameter", "The provided parameter FirstId is invalid.")
            end = ids.index(params["FirstId"])
        limit = _limit(params)
        begin = max(0, end - limit)
        page = rows[begin:end]
        if self.ctx.faults.take("rdsai", "GetMessages", ("drift",)):
            page = [_drifted(row) for row in page]
        return {"Data": page, "HasMore": begin > 0, "Limit": limit}

    async def chat(self, params: dict[str, str]) -> Response:
        query = params.get("Query")
        if not query:
            raise ApiError(
                400,
                "MissingParameter",
                "The input parameter Query that is mandatory for processing this request is not supplied.",
            )
        cid = params.get("ConversationId")
        conv = self._conversation(cid) if cid else self._new(query)
        return StreamingResponse(self._reply(conv, query), media_type="text/event-stream")

    def _new(self, query: str) -> Conversation:
        now = int(time.time())
        conv = Conversation(stable_id("new", len(self.conversations), now), query[:30], "", now)
        self.conversations[conv.id] = conv
        return conv

    async def _reply(self, conv: Conversation, query: str) -> AsyncIterator[bytes]:
        failure = self.ctx.options.get("rdsai.chat_error")
        if failure:
            yield _frame(0, {"Event": "error", "Status": 400, "Code": failure[0], "Message": failure[1]})
            return
        now = int(time.time())
        answer, row_events = _answer(query)
        row = conv.add(query, answer, now, row_events)
        base = {
            "Id": row["Id"],
            "MessageId": row["Id"],
            "ConversationId": conv.id,
            "TaskId": stable_id("task", row["Id"]),
            "CreatedAt": now,
        }
        for n, payload in enumerate(_stream_events(row, answer)):
            yield _frame(n, base | payload)


_SNAKE = {
    "Id": "id",
    "ConversationId": "conversation_id",
    "Query": "query",
    "Answer": "answer",
    "CreatedAt": "created_at",
    "GenerationStatus": "generation_status",
    "Events": "events",
    "MessageFiles": "message_files",
}
_SNAKE_EVENT = {
    "ToolName": "tool_name",
    "ToolArguments": "tool_input",
    "CallId": "call_id",
    "ApprovalStatus": "approval_status",
}
UNKNOWN_EVENT = {"event": "node_finished", "answer": "", "NodeType": "llm", "ElapsedTime": 1.2}
"""The event type a drifted row carries that no client knows."""


def _snake_event(event: dict[str, Any]) -> dict[str, Any]:
    return {_SNAKE_EVENT.get(k, k): v for k, v in event.items()}


def _drifted(row: Row) -> Row:
    """A row in a newer shape: Dify's snake_case names, an extra field, and an unknown event before the text."""
    events = [_snake_event(ev) for ev in row["Events"]]
    events.insert(len(events) - 1, dict(UNKNOWN_EVENT))
    renamed = {_SNAKE.get(k, k): v for k, v in row.items()}
    return renamed | {"events": events, "SchemaVersion": "2026-05-01"}


def _answer(query: str) -> tuple[str, list[dict[str, Any]]]:
    if _cjk(query):
        answer = f"已收到您的问题:「{query}」。沙箱实例 rm-sandbox01 运行正常,磁盘使用率 31%,CPU 12%。"
    else:
        answer = f"You asked: {query} The sandbox instance rm-sandbox01 is running; disk usage 31%, CPU 12%."
    events = [
        thought("Look up the instance first."),
        tool("DescribeDBInstanceAttribute", {"DBInstanceId": "rm-sandbox01"}, "call_live_01"),
        result("call_live_01", {"Engine": "MySQL 8.0", "DBInstanceStatus": "Running"}),
    ]
    return answer, events


def _stream_events(row: Row, answer: str) -> list[dict[str, Any]]:
    """The reply as ChatMessages streams it: thought, tool call, its result, text chunks, message_end."""
    out: list[dict[str, Any]] = []
    for ev in row["Events"]:
        name = ev["event"]
        if name == "message":
            continue
        pascal = {("Event" if k == "event" else "Answer" if k == "answer" else k): v for k, v in ev.items()}
        out.append(pascal)
    out.extend({"Event": "message", "Answer": answer[i : i + 12]} for i in range(0, len(answer), 12))
    out.append({"Event": "message_end", "Metadata": {"Usage": {"TotalTokens": 321}}})
    return out


def _frame(n: int, payload: dict[str, Any]) -> bytes:
    return f"id:{n}\nevent:message\ndata:{json.dumps(payload, ensure_ascii=False)}\n\n".encode()


def build(ctx: SandboxContext, family: str) -> ASGIApp:
    cloud = RdsAiCloud(ctx)
    handlers: dict[str, RpcHandler] = {
        "GetConversations": cloud.list_conversations,
        "GetMessages": cloud.messages,
        "ChatMessages": cloud.chat,
    }
    return rpc_app(ctx, family, VERSION, handlers)
