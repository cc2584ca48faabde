"""The CMS (``2024-03-30``) / STAROps (``2026-04-28``) digital-employee API of the sandbox cloud.

ROA routes with real ACS3 verification, ``nextToken`` pagination, ``POST /chat`` as SSE (``create`` streams a
generated reply chunk by chunk and stores it; ``reconnect`` replays the latest turn from its start), error
bodies, RAM denials (``ctx.options["cms.deny_actions"]``) and a generated big thread
(``ctx.options["cms.big_thread_messages"]``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from ..alibaba.app import RoaHandler, roa_app
from ..alibaba.wire import ApiError, error_payload, request_id
from ..core import ASGIApp, SandboxContext
from . import data
from .build import big_thread, drifted_turn
from .stream import Turns, chat_events, reply_turn, stored_events

VERSIONS = {"cms": "2024-03-30", "starops": "2026-04-28"}
Json = dict[str, Any]


def encode_token(offset: int) -> str:
    return base64.b64encode(f"offset:{offset:08d}>".encode()).decode()


def decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.b64decode(token, validate=True).decode()
        return int(text.removeprefix("offset:").rstrip(">"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as e:
        raise ApiError(400, "InvalidParameter", f"The specified nextToken {token!r} is invalid.", camel=True) from e


def max_results(request: Request, default: int, limit: int) -> int:
    raw = request.query_params.get("maxResults")
    try:
        value = int(raw) if raw is not None else default
    except ValueError as e:
        raise ApiError(400, "InvalidParameter", f"maxResults must be an integer, got {raw!r}.", camel=True) from e
    if not 1 <= value <= limit:
        raise ApiError(400, "InvalidParameter", f"maxResults must be between 1 and {limit}.", camel=True)
    return value


def page(items: list[Json] | Turns, offset: int, size: int) -> tuple[list[Json], str | None]:
    chunk = [items[i] for i in range(offset, min(offset + size, len(items)))]
    return chunk, encode_token(offset + size) if offset + size < len(items) else None


class Store:
    """One sandbox's employees and threads (turns in GetThreadData form, and the SSE events of each turn)."""

    def __init__(self, ctx: SandboxContext, family: str) -> None:
        self.employees = data.employees()
        if family == "starops":
            for emp in self.employees:
                emp.update({"channel": "console", "status": 0, "attributes": {}})
        self.threads: dict[str, list[Json]] = {}
        self.turns: dict[tuple[str, str], Turns] = {}
        for name, items in data.threads().items():
            for meta, turns in items:
                self.threads.setdefault(name, []).append(meta)
                self.turns[(name, meta["threadId"])] = Turns(turns)
        big = int(ctx.options.get("cms.big_thread_messages", 0))
        if big > 0:
            meta = big_thread()
            self.threads["sre-copilot"].append(meta)
            self.turns[("sre-copilot", meta["threadId"])] = Turns([], generated=big)

    def employee(self, name: str) -> Json:
        found = next((e for e in self.employees if e["name"] == name), None)
        if found is None:
            raise ApiError(
                404, "DigitalEmployee.NotFound", f"The digital employee {name!r} does not exist.", camel=True
            )
        return found

    def thread(self, name: str, thread_id: str) -> tuple[Json, Turns]:
        self.employee(name)
        meta = next((t for t in self.threads.get(name, []) if t["threadId"] == thread_id), None)
        if meta is None:
            raise ApiError(404, "Thread.NotFound", f"The thread {thread_id!r} of {name!r} does not exist.", camel=True)
        return meta, self.turns[(name, thread_id)]


def _thread_filter(request: Request) -> Callable[[Json], bool]:
    raw = request.query_params.get("filter")
    try:
        rules = json.loads(raw) if raw else []
    except json.JSONDecodeError as e:
        raise ApiError(400, "InvalidParameter", "filter must be a JSON array of {key, value}.", camel=True) from e
    status = request.query_params.get("status")
    wanted = {r.get("key"): str(r.get("value", "")) for r in rules if isinstance(r, dict)}

    def keep(t: Json) -> bool:
        variables = t.get("variables") or {}
        return (
            (not status or t["status"] == status)
            and wanted.get("title", "") in t["title"]
            and all(variables.get(k) == v for k, v in wanted.items() if k in ("workspace", "project"))
        )

    return keep


def _paged(key: str, items: list[Json], size: int, token: str | None, **extra: Any) -> Json:
    return {key: items, "maxResults": size, **extra} | ({"nextToken": token} if token else {})


class Api:
    """The product's operations over one store; each takes the request and the decoded path parameters."""

    def __init__(self, ctx: SandboxContext, family: str, store: Store) -> None:
        self.ctx, self.family, self.store = ctx, family, store

    def routes(self) -> list[tuple[str, str, RoaHandler]]:
        handlers: list[tuple[str, str, RoaHandler]] = [
            ("GET", "/digital-employee", self.list_employees),
            ("GET", "/digital-employee/{name}", self.get_employee),
            ("GET", "/digitalEmployee/{name}/threads", self.list_threads),
            ("GET", "/digitalEmployee/{name}/thread/{threadId}", self.get_thread),
            ("GET", "/digitalEmployee/{name}/thread/{threadId}/data", self.get_thread_data),
            ("POST", "/chat", self.chat),
        ]
        return [(method, path, _ram(self.ctx, self.family, handler)) for method, path, handler in handlers]

    async def list_employees(self, request: Request, _: dict[str, str]) -> Json:
        size = max_results(request, 20, 100)
        items, token = page(self.store.employees, decode_token(request.query_params.get("nextToken")), size)
        return _paged("digitalEmployees", items, size, token, total=len(self.store.employees))

    async def get_employee(self, request: Request, p: dict[str, str]) -> Json:
        return {**self.store.employee(p["name"]), "regionId": "cn-hangzhou"}

    async def list_threads(self, request: Request, p: dict[str, str]) -> Json:
        self.store.employee(p["name"])
        size = max_results(request, 20, 200)
        keep = _thread_filter(request)
        found = [t for t in self.store.threads.get(p["name"], []) if keep(t)]
        items, token = page(found, decode_token(request.query_params.get("nextToken")), size)
        return _paged("threads", items, size, token, total=len(found))

    async def get_thread(self, request: Request, p: dict[str, str]) -> Json:
        return dict(self.store.thread(p["name"], p["threadId"])[0])

    async def get_thread_data(self, request: Request, p: dict[str, str]) -> Json:
        meta, turns = self.store.thread(p["name"], p["threadId"])
        size = max_results(request, 20, 100)
        items, token = page(turns, decode_token(request.query_params.get("nextToken")), size)
        if self.ctx.faults.take(self.family, f"GET {request.url.path} GetThreadData", ("drift",)):
            items = [*items, drifted_turn()]
        return _paged("data", items, size, token, threadId=meta["threadId"], digitalEmployeeName=p["name"])

    async def chat(self, request: Request, _: dict[str, str]) -> Response:
        return await _chat(self.ctx, self.store, await _json(request))


def _ram(ctx: SandboxContext, family: str, handler: RoaHandler) -> RoaHandler:
    """RAM: actions listed in ``ctx.options["cms.deny_actions"]`` are denied as the vendor denies them."""

    async def guarded(request: Request, params: dict[str, str]) -> Json | Response:
        action = request.headers.get("x-acs-action", "")
        if action in ctx.options.get("cms.deny_actions", ()):
            body = error_payload("Forbidden.RAM", "User not authorized to operate on the specified resource.")
            body["AccessDeniedDetail"] = {
                "AuthAction": f"{family}:{action}",
                "NoPermissionType": "ImplicitDeny",
                "AuthPrincipalType": "SubUser",
                "PolicyType": "AccountLevelIdentityBasedPolicy",
            }
            return JSONResponse(body, status_code=403)
        return await handler(request, params)

    return guarded


async def _json(request: Request) -> Json:
    try:
        body = json.loads(await request.body() or b"{}")
    except json.JSONDecodeError as e:
        raise ApiError(400, "InvalidParameter", "The request body is not valid JSON.", camel=True) from e
    if not isinstance(body, dict):
        raise ApiError(400, "InvalidParameter", "The request body must be a JSON object.", camel=True)
    return body


async def _chat(ctx: SandboxContext, store: Store, body: Json) -> Response:
    action = body.get("action") or "create"
    if action not in ("create", "reconnect", "stop"):
        raise ApiError(
            400, "InvalidParameter", f"action must be create, reconnect or stop, got {action!r}.", camel=True
        )
    name, thread_id = body.get("digitalEmployeeName"), body.get("threadId")
    if not name or not thread_id:
        raise ApiError(400, "MissingParameter", "digitalEmployeeName and threadId are required.", camel=True)
    meta, turns = store.thread(str(name), str(thread_id))
    if action == "stop":
        return JSONResponse({"requestId": request_id(), "success": True})
    if action == "create":
        if not body.get("messages"):
            raise ApiError(400, "MissingParameter", "messages is required when action is create.", camel=True)
        events = reply_turn(turns, body.get("messages") or [])
        meta["status"] = "idle"
    else:
        events = stored_events(turns)
    return StreamingResponse(_sse(ctx, events), media_type="text/event-stream")


async def _sse(ctx: SandboxContext, events: list[Json]) -> AsyncIterator[bytes]:
    delay = float(ctx.options.get("cms.chat_event_delay", 0))
    for i, event in enumerate(events):
        if delay:
            await anyio.sleep(delay)
        yield chat_events(i, event)


def build(ctx: SandboxContext, family: str) -> ASGIApp:
    return roa_app(ctx, family, VERSIONS[family], Api(ctx, family, Store(ctx, family)).routes())
