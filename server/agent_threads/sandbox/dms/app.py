"""The DMS Data Agent (``2025-04-14``) side of the sandbox: RPC actions as the official SDK sends them.

``POST /`` with the action in ``x-acs-action`` and every parameter in the query (the docs' ``POST
/api/v1/chat/stream`` is accepted for GetChatContent too). Failures about a session come the DMS way: HTTP 200
with ``Success: false``, ``ErrorCode`` and ``ErrorMessage``. GetChatContent replays the session's events from
``Checkpoint`` (inclusive) as SSE frames ``id:N / event:message / data:<json>`` and closes.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
from starlette.responses import JSONResponse, Response, StreamingResponse

from ..alibaba.app import RpcHandler, rpc_app
from ..alibaba.wire import ApiError, request_id
from ..core import ASGIApp, SandboxContext
from .build import DmsSession, data, deltas, plan
from .data import sample_sessions

VERSION = "2025-04-14"
UNITS = ("cn-hangzhou", "cn-beijing", "cn-shanghai", "cn-shenzhen", "ap-southeast-1")


def failure(code: str, message: str) -> Response:
    """A DMS in-band failure: HTTP 200 and ``Success: false``."""
    body = {"RequestId": request_id(), "Success": False, "ErrorCode": code, "ErrorMessage": message}
    return JSONResponse(body)


def _int(params: dict[str, str], name: str, default: int, lo: int = 0, hi: int = 1_000_000_000) -> int:
    raw = params.get(name)
    try:
        value = int(raw) if raw not in (None, "") else default
    except ValueError as e:
        raise ApiError(400, "InvalidParameter", f"The parameter {name} is invalid.") from e
    if not lo <= value <= hi:
        raise ApiError(400, "InvalidParameter", f"The parameter {name} must be between {lo} and {hi}.")
    return value


class DmsCloud:
    def __init__(self, ctx: SandboxContext, family: str) -> None:
        self.ctx = ctx
        self.family = family
        self.sessions = sample_sessions(ctx.options)

    def _session(self, params: dict[str, str]) -> DmsSession | Response:
        if params.get("DMSUnit", "cn-hangzhou") not in UNITS:
            return failure("InvalidParameter.DMSUnit", f"Unknown DMSUnit {params['DMSUnit']!r}.")
        sid = params.get("SessionId")
        if not sid:
            raise ApiError(
                400,
                "MissingParameter",
                "The input parameter SessionId that is mandatory for processing this request is not supplied.",
            )
        session = self.sessions.get(sid)
        return session if session is not None else failure("Session.NotFound", f"The session {sid} does not exist.")

    async def list_sessions(self, params: dict[str, str]) -> dict[str, Any] | Response:
        if params.get("DMSUnit", "cn-hangzhou") not in UNITS:
            return failure("InvalidParameter.DMSUnit", f"Unknown DMSUnit {params['DMSUnit']!r}.")
        page, size = _int(params, "PageNumber", 1, 1), _int(params, "PageSize", 10, 1, 100)
        ordered = sorted(self.sessions.values(), key=lambda s: -s.created)
        chunk = ordered[(page - 1) * size : page * size]
        total_pages = (len(ordered) + size - 1) // size
        data_ = [s.summary() for s in chunk]
        return {
            "Success": True,
            "PageNumber": page,
            "PageSize": size,
            "Total": len(ordered),
            "TotalPages": total_pages,
            "Data": data_,
        }

    async def describe(self, params: dict[str, str]) -> dict[str, Any] | Response:
        session = self._session(params)
        if isinstance(session, Response):
            return session
        detail = session.summary() | {
            "FavoriteInWorkspace": "false",
            "Messages": session.messages,
            "Artifacts": session.artifacts,
            "ChatHistoryLocations": [
                {"Key": f"history/{session.id}.jsonl", "Url": f"https://dms-sandbox.oss.example/{session.id}.jsonl"}
            ],
            "Capabilities": [{"Id": "sql", "Type": "skill"}],
            "DataSources": [{"Category": "CHAT", "Detail": "sales_dw"}],
            "RecallResults": [],
        }
        return {"Success": True, "Data": detail}

    async def send(self, params: dict[str, str]) -> dict[str, Any] | Response:
        session = self._session(params)
        if isinstance(session, Response):
            return session
        text = params.get("Message")
        if not text:
            raise ApiError(
                400,
                "MissingParameter",
                "The input parameter Message that is mandatory for processing this request is not supplied.",
            )
        now = int(time.time())
        message_id = session.turn(
            text,
            now,
            [
                data("Question received.", "PLAN"),
                plan("Answer the question", ("Understand the question", "DONE"), ("Answer", "DONE")),
                *deltas(
                    f"You asked: {text} Here is a short answer from the sandbox agent: all figures are sample data."
                ),
            ],
        )
        reply = {"SessionId": session.id, "AgentId": session.agent_id, "MessageId": message_id, "Message": text}
        return {"Success": "true", "Data": reply}

    async def chat_content(self, params: dict[str, str]) -> Response:
        session = self._session(params)
        if isinstance(session, Response):
            return session
        if params.get("AgentId") != session.agent_id:
            return failure(
                "InvalidParameter.AgentId", f"The agent {params.get('AgentId')!r} does not serve session {session.id}."
            )
        checkpoint = _int(params, "Checkpoint", 0)
        drift = self.ctx.faults.take(self.family, "GetChatContent", ("drift",)) is not None
        endless = self.ctx.faults.take(self.family, "GetChatContent", ("endless",)) is not None
        frames = self._frames(session, checkpoint, drift, endless)
        return StreamingResponse(frames, media_type="text/event-stream")

    async def _frames(self, session: DmsSession, checkpoint: int, drift: bool, endless: bool) -> AsyncIterator[bytes]:
        for event in session.events[checkpoint:]:
            if drift and event["event_type"] == "CHAT_FINISH":
                yield frame(
                    "-",
                    {"event_type": "SUGGESTION", "content": "Ask about Q4 next.", "content_type": "str", "trace": "x1"},
                )
            yield frame(str(event["checkpoint"]), event | ({"trace": "x1"} if drift else {}))
        if endless:  # the fault: a replay that never goes quiet, a turn that writes and writes
            async for more in _endless(max(checkpoint, len(session.events))):
                yield more
        elif session.status == "RUNNING":  # the latest turn goes on: the stream stays open, silent for now
            await anyio.sleep_forever()


async def _endless(checkpoint: int) -> AsyncIterator[bytes]:
    start = {"event_type": "CHAT_START", "content": "", "content_type": "str", "checkpoint": checkpoint}
    yield frame(str(checkpoint), start)
    while True:
        checkpoint += 1
        await anyio.lowlevel.checkpoint()
        yield frame(str(checkpoint), {"event_type": "DELTA", "content": "more ", "checkpoint": checkpoint})


def frame(event_id: str, payload: dict[str, Any]) -> bytes:
    """One GetChatContent frame as the wire carries it."""
    return f"id:{event_id}\nevent:message\ndata:{json.dumps(payload, ensure_ascii=False)}\n\n".encode()


def build(ctx: SandboxContext, family: str) -> ASGIApp:
    cloud = DmsCloud(ctx, family)
    handlers: dict[str, RpcHandler] = {
        "ListDataAgentSession": cloud.list_sessions,
        "DescribeDataAgentSession": cloud.describe,
        "SendChatMessage": cloud.send,
        "GetChatContent": cloud.chat_content,
    }
    return rpc_app(ctx, family, VERSION, handlers, paths=("/", "/api/v1/chat/stream"))
