"""stdio without worker threads.

The MCP SDK's stdio transport reads each line and writes each message through a worker thread (three thread
hand-offs per tool call, a third of the SDK's CPU per call). When stdin and stdout are pipes or sockets, as a
host connects them, asyncio's non-blocking pipes do the same on the event loop. The descriptors are claimed
as the SDK claims them: while serving, fd 0 reads the null device and fd 1 points at stderr, so nothing else
in the process can write into the protocol; both are restored on exit. Anything else (a file, a terminal, a
non-asyncio loop) keeps the SDK's own transport.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import sniffio
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server

LINE_LIMIT = 1 << 26
"""The longest line read (64 MiB): a request is one JSON line."""


class _Lines:
    """Lines of stdin as text, as the SDK's stdio framing reads them."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    def __aiter__(self) -> _Lines:
        return self

    async def __anext__(self) -> str:
        line = await self._reader.readline()
        if not line:
            raise StopAsyncIteration
        return line.decode("utf-8", errors="replace")


class _Out:
    """stdout for the SDK's stdio framing: each message written at once, and drained before the next."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def write(self, text: str) -> None:
        self._writer.write(text.encode("utf-8"))
        await self._writer.drain()

    async def flush(self) -> None:
        return None


def streamable(fd: int) -> bool:
    """Whether ``fd`` is a pipe or a socket (what asyncio can read and write without a thread)."""
    mode = os.fstat(fd).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _claim(fd: int, diversion: int) -> tuple[int, int]:
    """``fd`` pointed at ``diversion``; returns a private duplicate of it to serve on, and one to restore it."""
    private, saved = os.dup(fd), os.dup(fd)
    os.dup2(diversion, fd)
    return private, saved


@asynccontextmanager
async def _streams() -> AsyncIterator[tuple[Any, Any]]:
    loop = asyncio.get_running_loop()
    null = os.open(os.devnull, os.O_RDONLY)
    stdin, saved_in = _claim(0, null)
    stdout, saved_out = _claim(1, 2)
    os.close(null)
    transports: list[asyncio.BaseTransport] = []
    try:
        reader = asyncio.StreamReader(limit=LINE_LIMIT)
        incoming, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(stdin, "rb", 0)
        )
        transports.append(incoming)
        outgoing, protocol = await loop.connect_write_pipe(
            lambda: asyncio.StreamReaderProtocol(asyncio.StreamReader()), os.fdopen(stdout, "wb", 0)
        )
        transports.append(outgoing)
        outgoing = cast(asyncio.WriteTransport, outgoing)
        outgoing.set_write_buffer_limits(high=0)  # each write is drained before the next: nothing waits at exit
        yield _Lines(reader), _Out(asyncio.StreamWriter(outgoing, protocol, None, loop))
    finally:
        for transport in transports:
            transport.close()
        os.dup2(saved_in, 0)
        os.dup2(saved_out, 1)
        os.close(saved_in)
        os.close(saved_out)


async def run(server: MCPServer[Any]) -> None:
    """Serve ``server`` on stdin/stdout: on asyncio pipes where it can, else through the SDK's transport."""
    if sniffio.current_async_library() != "asyncio" or not (streamable(0) and streamable(1)):
        await server.run_stdio_async()
        return
    lowlevel = server._lowlevel_server  # the SDK's run_stdio_async, with streams that need no thread
    async with _streams() as (stdin, stdout), stdio_server(stdin, stdout) as (read, write):
        await lowlevel.run(read, write, lowlevel.create_initialization_options())
