"""Tencent Cloud DataAgent (``2025-05-13``) as the sandbox serves it: ``POST /`` with ``X-TC-Action``.

Every reply is HTTP 200; errors are ``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}``.
Actions: ``GetSessionDetails``, ``QueryUserSessionDetail`` (``Offset``/``Limit``/``TotalCount``),
``CreateDataAgentSession`` and ``ChatAI`` (an event stream; ``X-TC-RequestId`` in the headers).

Knobs in ``ctx.options``: ``dataagent.get_session_details`` / ``dataagent.query_user_session_detail`` set
to False (or to an error code) make that action answer as unsupported; ``dataagent.big_session_records``
adds a session with that many records; ``dataagent.run_polls`` completes the running sample after that
many reads; ``dataagent.chat_error_in_stream`` (an error code) answers ChatAI with an event stream whose
first frame is an error envelope.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..core import ASGIApp, Fault, Receive, SandboxContext, Scope, Send
from ..faults import with_faults
from .data import (
    SAMPLE_REFS,
    SESSION_BIG,
    SESSION_RUNNING,
    Session,
    big_session,
    finished_forecast,
    sample_sessions,
)
from .sign import TcError, verify
from .stream import chat_frames, new_record

VERSION = "2025-05-13"
SUB_ACCOUNT = "100000000001"
Handler = Callable[["Cloud", dict[str, Any], str], Awaitable[Response]]

__all__ = ["SAMPLE_REFS", "build", "error_reply"]


def envelope(payload: dict[str, Any], request_id: str) -> Response:
    body = json.dumps({"Response": {**payload, "RequestId": request_id}}, ensure_ascii=False)
    return Response(body, headers={"Content-Type": "application/json", "X-TC-RequestId": request_id})


def error_envelope(code: str, message: str, request_id: str) -> Response:
    return envelope({"Error": {"Code": code, "Message": message}}, request_id)


def error_reply(fault: Fault) -> tuple[int, dict[str, str], bytes]:
    request_id = str(uuid.uuid4())
    code, message = {
        "throttle": ("RequestLimitExceeded", "Your request frequency has exceeded the limit (20 per second)."),
        "error_200": ("FailedOperation", "The operation failed."),
    }.get(fault.kind, ("InternalError", "An internal error has occurred. Retry your request."))
    body = {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}
    return 200, {"Content-Type": "application/json", "X-TC-RequestId": request_id}, json.dumps(body).encode()


@dataclass
class Cloud:
    ctx: SandboxContext
    sessions: dict[str, Session]

    def instances(self) -> set[str]:
        return {s.instance for s in self.sessions.values()}

    def session(self, params: dict[str, Any]) -> Session:
        instance, session_id = _text(params, "InstanceId"), _text(params, "SessionId")
        self._ensure_big(session_id)
        if instance not in self.instances():
            raise TcError("ResourceNotFound", f"instance {instance} not found")
        found = self.sessions.get(session_id)
        if found is None or found.instance != instance:
            raise TcError("ResourceNotFound", "session not found")
        return found

    def _ensure_big(self, session_id: str) -> None:
        count = int(self.ctx.options.get("dataagent.big_session_records", 0))
        current = self.sessions.get(session_id)
        if session_id == SESSION_BIG and count and (current is None or len(current.records) != count):
            self.sessions[session_id] = big_session(count)

    def read(self, session: Session) -> Session:
        """A read of the running sample counts down ``dataagent.run_polls``; at zero its reply completes."""
        if session.session_id != SESSION_RUNNING or session.running is None:
            return session
        if session.polls_left is None and "dataagent.run_polls" in self.ctx.options:
            session.polls_left = int(self.ctx.options["dataagent.run_polls"])
        if session.polls_left is not None:
            session.polls_left -= 1
            if session.polls_left <= 0:
                finished_forecast(next(r for r in session.records if r.record_id == session.running))
                session.running = None
        return session

    def unsupported(self, action: str) -> None:
        switch = self.ctx.options.get(f"dataagent.{_snake(action)}", True)
        if switch is not True:
            code = switch if isinstance(switch, str) else "InvalidAction"
            raise TcError(code, f"The action {action} is not supported (offline or unknown).")


def _snake(action: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in action).lstrip("_")


def _text(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise TcError("MissingParameter", f"The request is missing a required parameter `{name}`.")
    return value


def _int(params: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = params.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise TcError("InvalidParameterValue", f"`{name}` must be an integer in [{low}, {high}].")
    return value


async def get_session_details(cloud: Cloud, params: dict[str, Any], request_id: str) -> Response:
    cloud.unsupported("GetSessionDetails")
    session = cloud.read(cloud.session(params))
    records = [r.details(session.session_id) for r in session.records]
    if cloud.ctx.faults.take("dataagent", "GetSessionDetails", ("drift",)):
        for record in records:  # older servers: the plan only as a string, feedback as text, extra fields
            record.update(TaskList=None, TaskListStr=json.dumps(record["TaskList"]), Feedback=str(record["Feedback"]))
            record["Attachments"] = ["chart-1.png"]
    payload = {"RecordList": records, "RecordCount": len(records), "RunRecord": session.run_record()}
    return envelope(payload, request_id)


async def query_user_session_detail(cloud: Cloud, params: dict[str, Any], request_id: str) -> Response:
    cloud.unsupported("QueryUserSessionDetail")
    session = cloud.read(cloud.session(params))
    limit, offset = _int(params, "Limit", 10, 1, 100), _int(params, "Offset", 0, 0, 10**9)
    items = [r.query_item(session.session_id) for r in session.records[offset : offset + limit]]
    payload = {
        "SubAccountUin": SUB_ACCOUNT,
        "SessionId": session.session_id,
        "RecordList": items,
        "TotalCount": len(session.records),
        "RunRecord": session.run_record(),
    }
    return envelope(payload, request_id)


async def create_session(cloud: Cloud, params: dict[str, Any], request_id: str) -> Response:
    instance = _text(params, "InstanceId")
    if instance not in cloud.instances():
        raise TcError("ResourceNotFound", f"instance {instance} not found")
    session = Session(instance, str(uuid.uuid4()))
    cloud.sessions[session.session_id] = session
    return envelope({"SessionId": session.session_id}, request_id)


async def chat_ai(cloud: Cloud, params: dict[str, Any], request_id: str) -> Response:
    session = cloud.session(params)
    question = _text(params, "Question")
    if session.running is not None:
        raise TcError("FailedOperation", "A reply is still being generated in this session; wait or call StopChatAI.")
    in_stream = cloud.ctx.options.get("dataagent.chat_error_in_stream")
    frames = _error_frames(str(in_stream), request_id) if in_stream else _run(session, question)
    headers = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-TC-RequestId": request_id}
    return _Stream(frames, headers=headers)


class _Stream(StreamingResponse):
    """Closes its frames even when the client goes away, so the reply still completes server-side."""

    def __init__(self, frames: AsyncGenerator[bytes, None], headers: dict[str, str]) -> None:
        super().__init__(frames, headers=headers)
        self._frames = frames

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._frames.aclose()


async def _run(session: Session, question: str) -> AsyncGenerator[bytes, None]:
    record = new_record(question)
    session.records.append(record)
    session.running = record.record_id
    frames = chat_frames(session, record)
    try:
        async for frame in frames:
            yield frame
    finally:  # the reply completes server-side even when the client goes away
        async for _ in frames:
            pass
        session.running = None


async def _error_frames(code: str, request_id: str) -> AsyncGenerator[bytes, None]:
    error = {
        "Response": {
            "Error": {"Code": code, "Message": "Your request frequency has exceeded the limit."},
            "RequestId": request_id,
        }
    }
    yield f"data: {json.dumps(error)}\n\n".encode()


HANDLERS: dict[str, Handler] = {
    "GetSessionDetails": get_session_details,
    "QueryUserSessionDetail": query_user_session_detail,
    "CreateDataAgentSession": create_session,
    "ChatAI": chat_ai,
}


async def _params(request: Request) -> dict[str, Any]:
    try:
        params = json.loads(await request.body() or b"{}")
    except ValueError as e:
        raise TcError("InvalidParameter", "The request body is not valid JSON.") from e
    if not isinstance(params, dict):
        raise TcError("InvalidParameter", "The request body must be a JSON object.")
    return params


def _dispatch(cloud: Cloud) -> Callable[[Request], Awaitable[Response]]:
    keys = {cloud.ctx.creds.tencent_secret_id: cloud.ctx.creds.tencent_secret_key}

    async def endpoint(request: Request) -> Response:
        request_id = str(uuid.uuid4())
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            verify(request.method, headers, await request.body(), keys, service="dataagent")
            action = headers.get("x-tc-action", "")
            if headers.get("x-tc-version") != VERSION:
                raise TcError("NoSuchVersion", f"The API version `{headers.get('x-tc-version')}` does not exist.")
            if not headers.get("x-tc-region"):
                raise TcError("MissingParameter", "The request is missing a required parameter `Region`.")
            handler = HANDLERS.get(action)
            if handler is None:
                raise TcError("InvalidAction", f"The action `{action}` does not exist.")
            return await handler(cloud, await _params(request), request_id)
        except TcError as e:
            return error_envelope(e.code, e.message, request_id)

    return endpoint


def build(ctx: SandboxContext, family: str) -> ASGIApp:
    ctx.options.setdefault("dataagent.sample_refs", " ".join(SAMPLE_REFS))  # Sandbox.env() passes them on
    cloud = Cloud(ctx, sample_sessions())
    app = Starlette(routes=[Route("/", _dispatch(cloud), methods=["POST"])])
    return with_faults(app, ctx, family, error_reply)
