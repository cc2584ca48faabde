"""The cold-start floor: a bare MCPServer with three trivial tools, importing httpx, on stdio."""

from __future__ import annotations

import httpx
from mcp.server.mcpserver import MCPServer

server = MCPServer("floor")


@server.tool()
def echo(text: str) -> str:
    """Return the text."""
    return text


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def client_version() -> str:
    """The httpx version."""
    return httpx.__version__


if __name__ == "__main__":
    server.run()
