"""The service's ASGI app: health probes, the guard, bounded event streams and the access log around the
MCP SDK's streamable HTTP app."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import DEFAULT_MAX_REQUEST_BODY_SIZE, TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ..readiness import Readiness
from . import health, replies
from .access import Access, read_body, replay
from .guard import Guard
from .options import ServiceOptions
from .streams import StreamLimiter

MCP_PATH = "/mcp"
LISTEN = "subscriptions/listen"


class ServiceApp:
    def __init__(self, server: MCPServer[Any], options: ServiceOptions, readiness: Readiness) -> None:
        # Host/Origin are checked here, for every address; the SDK's own check would only repeat it.
        off = TransportSecuritySettings(enable_dns_rebinding_protection=False)
        self.mcp: ASGIApp = server.streamable_http_app(
            streamable_http_path=MCP_PATH, stateless_http=True, transport_security=off, host=options.host
        )
        self.guard = Guard(options)
        self.readiness = readiness
        self.streams = StreamLimiter(options.max_streams, options.idle_stream_timeout)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # the lifespan: the SDK's app starts and stops the MCP server
            await self.mcp(scope, receive, send)
            return
        access = Access.of(scope)
        try:
            await self._route(scope, receive, access.watch(send), access)
        finally:
            access.write()

    async def _route(self, scope: Scope, receive: Receive, send: Send, access: Access) -> None:
        path, method = scope["path"], scope["method"]
        if path in health.PATHS:
            await (await health.answer(path, method, self.readiness))(scope, receive, send)
            return
        refusal = self.guard.refusal(Headers(scope=scope))
        if refusal is not None or path != MCP_PATH:
            await (refusal or JSONResponse({"error": "not found"}, status_code=404))(scope, receive, send)
            return
        if method == "POST":
            body = await read_body(receive, DEFAULT_MAX_REQUEST_BODY_SIZE)
            if body is None:
                await replies.refusal(413, "Request body too large.")(scope, receive, send)
                return
            access.note_body(body)
            receive = replay(body, receive)
        if method == "GET" or access.rpc == LISTEN:
            access.outcome = await self.streams.serve(self.mcp, scope, receive, send)
        else:
            await self.mcp(scope, receive, send)
