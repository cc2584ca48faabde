"""RPC and ROA dispatch for the Alibaba products of the sandbox: every request signature-checked first, handler
errors answered in the vendor's envelope, faults switchable."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response

from ..core import ASGIApp, Receive, SandboxContext, Scope, Send
from ..faults import with_faults
from .sign import Acs3Verifier
from .wire import ApiError, error_body, error_reply, reply

RpcHandler = Callable[[dict[str, str]], Awaitable["dict[str, Any] | Response"]]
RoaHandler = Callable[[Request, dict[str, str]], Awaitable["dict[str, Any] | Response"]]


def _asgi(handle: Callable[[Request], Awaitable[Response]]) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await handle(request)
        except ApiError as e:
            response = error_body(e.status, e.code, e.message, camel=e.camel)
        await response(scope, receive, send)

    return app


def rpc_app(
    ctx: SandboxContext, family: str, version: str, handlers: dict[str, RpcHandler], paths: tuple[str, ...] = ("/",)
) -> ASGIApp:
    """An RPC product: ``POST /`` (or another of ``paths``), action from ``x-acs-action`` or ``Action``, params in
    the query."""
    verifier = Acs3Verifier(ctx)

    async def handle(request: Request) -> Response:
        denied = await verifier.verify(request, version)
        if denied is not None:
            return denied
        action = request.headers.get("x-acs-action") or request.query_params.get("Action", "")
        handler = handlers.get(action)
        if handler is None or request.url.path not in paths:
            return error_body(
                404, "InvalidApi.NotFound", f"Specified api {action!r} is not found, please check your url and method."
            )
        return reply(await handler(dict(request.query_params)))

    return with_faults(_asgi(handle), ctx, family, error_reply)


def match_path(template: str, raw_path: str) -> dict[str, str] | None:
    """Match a raw (still percent-encoded) path on ``{name}`` segments, so an encoded ``/`` stays inside its segment."""
    want = template.strip("/").split("/")
    got = raw_path.split("?", 1)[0].strip("/").split("/")
    if len(want) != len(got):
        return None
    found: dict[str, str] = {}
    for pattern, segment in zip(want, got):
        if pattern.startswith("{") and pattern.endswith("}"):
            found[pattern[1:-1]] = unquote(segment)
        elif pattern != segment:
            return None
    return found


def roa_app(
    ctx: SandboxContext, family: str, version: str, routes: list[tuple[str, str, RoaHandler]], *, camel: bool = True
) -> ASGIApp:
    """A ROA product: ``(method, path template, handler)`` routes, every request signature-checked first."""
    verifier = Acs3Verifier(ctx)

    async def handle(request: Request) -> Response:
        denied = await verifier.verify(request, version)
        if denied is not None:
            return denied
        raw = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
        for method, template, handler in routes:
            params = match_path(template, raw)
            if params is not None and method == request.method:
                return reply(await handler(request, params), camel=camel)
        return error_body(
            404, "InvalidApi.NotFound", "Specified api is not found, please check your url and method.", camel=camel
        )

    return with_faults(_asgi(handle), ctx, family, error_reply)
