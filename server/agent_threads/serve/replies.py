"""Refusals on /mcp as JSON-RPC errors, so an MCP client shows the reason rather than a bare status."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

INVALID_REQUEST = -32600


def refusal(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": INVALID_REQUEST, "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)
