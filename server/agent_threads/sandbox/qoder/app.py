"""Sandbox Qoder Cloud Agents: Managed (``/api/v1/cloud``) and Forward (``/api/v1/forward``) session, thread
and event routes with Bearer checks, both cursor styles, SSE streams with resume, and Qoder's error envelope.

Forward pages only by ``after_id``/``before_id`` and never returns ``next_page``; neither does the older
CN-style sample session. ``POST /sessions/{sid}/events`` with one ``user.message`` starts a scripted turn (409
while one runs; ``Idempotency-Key`` replays are answered, not repeated). Knobs in ``ctx.options``:
``qoder.big_thread_events`` (size of the generated session, default 240), ``qoder.turn_step_delay`` (seconds
between turn steps), ``qoder.turn_answer`` (the scripted turn's answer), ``qoder.turn_delta_chars`` (characters
per streamed delta, default 12), ``qoder.turn_gate`` (an ``anyio.Event`` a turn waits for before it starts),
``qoder.turn_waits_for_listener`` (a turn starts once a stream is open), ``qoder.heartbeat_s``,
``qoder.server_error_status`` (500 or 529 for ``server_error`` faults), ``qoder.hostile`` (add the sessions of
the ``hostile`` module).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route

from ..core import ASGIApp, Fault, Receive, SandboxContext, Scope, Send, route_key
from ..faults import with_faults
from . import hostile
from .build import SessionData
from .data import sample_sessions
from .state import Event, Live, Record, select
from .stream import DELTA_TYPES, AfterReply, TurnRunner, sse_frames
from .wire import Reject, envelope, list_reply, page_body, paging, reply, request_id

BAD_TOKEN = "Invalid API key or token."
BUSY = "Session is currently processing a turn. Cancel the current turn or wait for completion."
_TOOL_TYPES = frozenset(
    {"agent.tool_use", "agent.tool_result", "agent.mcp_tool_use", "agent.mcp_tool_result", "agent.custom_tool_use"}
)


def _mode(request: Request) -> str:
    return "forward" if request.url.path.startswith("/api/v1/forward/") else "managed"


def _type_filter(request: Request) -> Callable[[Record], bool]:
    q = request.query_params
    wanted = {t for t in (*q.getlist("types[]"), *q.getlist("types"), *q.get("type", "").split(",")) if t}
    drop = set()
    if q.get("include_thinking") == "false":
        drop.add("agent.thinking")
    if q.get("include_tool_calls") == "false":
        drop |= _TOOL_TYPES
    return lambda rec: (not wanted or rec.event["type"] in wanted) and rec.event["type"] not in drop


def _drifted(event: Event) -> Event:
    """The older (CN docs) field names for the same event."""
    if event["type"] == "agent.tool_use":
        rest = {k: v for k, v in event.items() if k not in ("name", "input")}
        return rest | {"tool_name": event.get("name"), "tool_input": event.get("input"), "tool_use_id": event["id"]}
    if event["type"] == "agent.thinking" and "thinking" in event:
        return {k: v for k, v in event.items() if k != "thinking"} | {"content": event["thinking"]}
    return event


class QoderCloud:
    def __init__(self, ctx: SandboxContext) -> None:
        self.ctx = ctx
        self._sessions: dict[str, SessionData] | None = None
        self.live: dict[str, Live] = {}

    @property
    def sessions(self) -> dict[str, SessionData]:
        if self._sessions is None:  # built on first use, so a test can set ctx.options after start-up
            self._sessions = sample_sessions(int(self.ctx.options.get("qoder.big_thread_events", 240)))
            if self.ctx.options.get("qoder.hostile"):
                self._sessions |= {str(s.obj["id"]): s for s in hostile.hostile_sessions(self.ctx.creds)}
        return self._sessions

    def session(self, request: Request) -> SessionData:
        sid = request.path_params["sid"]
        if sid not in self.sessions:
            raise Reject(404, "not_found_error", f"Session '{sid}' was not found.")
        return self.sessions[sid]

    def thread(self, request: Request, data: SessionData) -> str:
        tid = str(request.path_params["tid"])
        if not any(t["id"] == tid for t in data.threads):
            forged = hostile.FORGED + hostile.LONG if data.twist == "forged" else ""
            raise Reject(404, "not_found_error", f"Session thread '{tid}' was not found.{forged}")
        return tid

    def live_of(self, data: SessionData) -> Live:
        return self.live.setdefault(str(data.obj["id"]), Live())

    def routes(self) -> list[Route]:
        return [
            Route("/sessions", self.list_sessions),
            Route("/sessions/{sid}", self.get_session),
            Route("/sessions/{sid}/threads", self.list_threads),
            Route("/sessions/{sid}/threads/{tid}", self.get_thread),
            Route("/sessions/{sid}/events", self.session_events, methods=["GET", "POST"]),
            Route("/sessions/{sid}/events/stream", self.session_stream),
            Route("/sessions/{sid}/threads/{tid}/events", self.thread_events),
            Route("/sessions/{sid}/threads/{tid}/stream", self.thread_stream),
        ]

    async def list_sessions(self, request: Request) -> Response:
        items = sorted((s.obj for s in self.sessions.values()), key=lambda o: str(o["created_at"]))
        return list_reply(request, _mode(request), items, "desc")

    async def get_session(self, request: Request) -> Response:
        return reply(request, self.session(request).obj)

    async def list_threads(self, request: Request) -> Response:
        return list_reply(request, _mode(request), self.session(request).threads, "asc")

    async def get_thread(self, request: Request) -> Response:
        data = self.session(request)
        tid = self.thread(request, data)
        return reply(request, next(t for t in data.threads if t["id"] == tid))

    async def session_events(self, request: Request) -> Response:
        data = self.session(request)
        if request.method == "POST":
            return await self.send(request, data)
        return self.events(request, data, None)

    async def thread_events(self, request: Request) -> Response:
        data = self.session(request)
        return self.events(request, data, self.thread(request, data))

    async def session_stream(self, request: Request) -> Response:
        return self.stream(request, self.session(request), None)

    async def thread_stream(self, request: Request) -> Response:
        data = self.session(request)
        return self.stream(request, data, self.thread(request, data))

    def events(self, request: Request, data: SessionData, thread: str | None) -> Response:
        if "text/event-stream" in request.headers.get("accept", ""):
            return self.stream(request, data, thread)
        if data.twist and (twisted := hostile.events(request, data)) is not None:
            return twisted
        p = paging(request, _mode(request), "asc")
        log, view, keep = data.log, data.log.view(thread), _type_filter(request)

        def locate(eid: str) -> tuple[int, int]:
            pos = log.position(eid)
            if pos is None:
                raise Reject(
                    400, "invalid_request_error", f"Event '{eid}' does not belong to session '{data.obj['id']}'."
                )
            return view.left(pos), view.right(pos)

        picked, more = select(
            len(view),
            locate,
            order=p.order,
            after=p.after,
            before=p.before,
            limit=p.limit,
            keep=lambda i: keep(log[view[i]]),
        )
        events = [log[view[i]].event for i in picked]
        drift = self.ctx.faults.take("qoder", route_key(request.scope), ("drift",))
        if drift is not None:
            events = [_drifted(e) for e in events]
        with_next = _mode(request) == "managed" and not data.cn_style and drift is None
        return reply(request, page_body(events, more, p, with_next))

    def stream(self, request: Request, data: SessionData, thread: str | None) -> Response:
        if data.twist and (twisted := hostile.stream(request, data)) is not None:
            return twisted
        live = self.live_of(data)
        last = request.headers.get("last-event-id") or request.query_params.get("after_id") or None
        known = (
            last is None
            or data.log.position(last) is not None
            or (live.pending is not None and live.pending.id == last)
        )
        if not known:
            raise Reject(
                400, "invalid_request_error", f"Last-Event-ID '{last}' is not an event of session '{data.obj['id']}'."
            )
        wanted = frozenset(request.query_params.getlist("event_deltas[]")) & DELTA_TYPES or DELTA_TYPES
        heartbeat = float(self.ctx.options.get("qoder.heartbeat_s", 15.0))
        frames = sse_frames(data, live, thread, last, wanted, heartbeat)
        headers = {"cache-control": "no-cache", "x-request-id": request_id(request)}
        return StreamingResponse(frames, media_type="text/event-stream", headers=headers)

    async def send(self, request: Request, data: SessionData) -> Response:
        live = self.live_of(data)
        key = request.headers.get("idempotency-key")
        if key and key in live.sent:
            return reply(request, live.sent[key])
        text = _user_text(await request.body())
        if live.busy:
            raise Reject(409, "conflict_error", BUSY)
        runner = TurnRunner(data, live, self.ctx.options)
        record = runner.record("user.message", content=[{"type": "text", "text": text}])
        data.log.append(record)
        live.busy = True
        live.notify()
        result = {"data": [record.event]}
        if key:
            live.sent[key] = result
        return AfterReply(reply(request, result), partial(runner.run, text))


def _user_text(body: bytes) -> str:
    try:
        payload = json.loads(body)
    except ValueError as e:
        raise Reject(400, "invalid_request_error", "The request body must be JSON.") from e
    events = payload.get("events") if isinstance(payload, dict) else None
    if (
        not isinstance(events, list)
        or len(events) != 1
        or not isinstance(events[0], dict)
        or events[0].get("type") != "user.message"
    ):
        raise Reject(400, "invalid_request_error", "events must hold exactly one user.message event (sandbox limit).")
    content = events[0].get("content")
    if isinstance(content, str) and content.strip():
        return content
    if isinstance(content, list):
        text = "".join(b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text")
        if text.strip():
            return text
    raise Reject(400, "invalid_request_error", "user.message content must be a non-empty string or text blocks.")


def _bearer_ok(scope: Scope, ctx: SandboxContext) -> bool:
    headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), ctx.creds.qoder_pat.encode())


def _authenticated(app: ASGIApp, ctx: SandboxContext) -> ASGIApp:
    async def checked(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not _bearer_ok(scope, ctx):
            rid = request_id(Request(scope))
            await JSONResponse(envelope("authentication_error", BAD_TOKEN, rid), 401, headers={"x-request-id": rid})(
                scope, receive, send
            )
            return
        await app(scope, receive, send)

    return checked


async def _rejected(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Reject)
    rid = request_id(request)
    return JSONResponse(envelope(exc.kind, exc.message, rid), exc.status, headers={"x-request-id": rid, **exc.headers})


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
    rid = request_id(request)
    return JSONResponse(
        envelope(kind, f"No route {request.method} {request.url.path}.", rid),
        exc.status_code,
        headers={"x-request-id": rid},
    )


def error_reply(ctx: SandboxContext) -> Callable[[Fault], tuple[int, dict[str, str], bytes]]:
    def build_reply(fault: Fault) -> tuple[int, dict[str, str], bytes]:
        if fault.kind == "throttle":
            status, kind, msg = 429, "rate_limit_error", "Rate limit exceeded. Please retry later."
            headers = {"retry-after": f"{fault.retry_after:g}"}
        elif fault.kind == "error_200":  # the envelope inside a success status, as a misbehaving proxy answers
            status, kind, msg, headers = 200, "invalid_request_error", "The request could not be processed.", {}
        elif ctx.options.get("qoder.server_error_status") == 529:
            status, kind, msg, headers = 529, "overloaded_error", "The service is overloaded. Please retry later.", {}
        else:
            status, kind, msg, headers = 500, "api_error", "An internal error occurred.", {}
        body: dict[str, Any] = envelope(kind, msg, "req_sandbox_fault")
        return (
            status,
            {"content-type": "application/json", "x-request-id": "req_sandbox_fault", **headers},
            json.dumps(body).encode(),
        )

    return build_reply


def build(ctx: SandboxContext, family: str) -> ASGIApp:
    cloud = QoderCloud(ctx)
    routes = [Mount("/api/v1/cloud", routes=cloud.routes()), Mount("/api/v1/forward", routes=cloud.routes())]
    app = Starlette(routes=routes, exception_handlers={Reject: _rejected, HTTPException: _http_error})
    return with_faults(_authenticated(app, ctx), ctx, family, error_reply(ctx))
