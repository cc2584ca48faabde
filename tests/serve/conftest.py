"""The HTTP service in this process on a loopback port, and the same as a subprocess, for the serve tests."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from anyio.abc import Process
from anyio.streams.text import TextReceiveStream
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.mcpserver import MCPServer

from agent_threads.app import build_server
from agent_threads.config import Settings
from agent_threads.readiness import Readiness
from agent_threads.sandbox import Sandbox
from agent_threads.serve import Service, ServiceOptions, bound

from ..conftest import register_secret, sandbox_settings

TOKEN = register_secret("planted-http-token-0123456789abcdef")
MCP_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
TOOLS_LIST = b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}'


@asynccontextmanager
async def serving(
    server: MCPServer[Any], readiness: Readiness, options: ServiceOptions | None = None
) -> AsyncIterator[tuple[Service, str]]:
    """The service on a free loopback port; yields it and its base URL, drains it afterwards."""
    options = options or ServiceOptions(port=0)
    service = Service(server, options, readiness)
    stopped = anyio.Event()

    async def run(sock: socket.socket) -> None:
        await service.run(sock, signals=False)
        stopped.set()

    with bound(options) as sock:
        async with anyio.create_task_group() as tg:
            tg.start_soon(run, sock)
            with anyio.fail_after(30):
                await service.started.wait()
            try:
                yield service, f"http://127.0.0.1:{sock.getsockname()[1]}"
            finally:
                service.stop()
                with anyio.fail_after(30, shield=True):  # drained even when the test failed
                    await stopped.wait()


@asynccontextmanager
async def sandbox_service(
    sandbox: Sandbox, options: ServiceOptions | None = None, settings: Settings | None = None
) -> AsyncIterator[tuple[Service, str]]:
    """The service around a server built for the sandbox's providers (or ``settings``)."""
    readiness = Readiness()
    settings = replace(settings or sandbox_settings(sandbox), sealed_cursors=True)
    async with serving(build_server(settings, readiness=readiness), readiness, options) as running:
        yield running


@asynccontextmanager
async def mcp_client(base: str, token: str | None = TOKEN) -> AsyncIterator[Client]:
    """A real MCP client over streamable HTTP, sending the bearer token when given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=60)) as http:
        async with Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client:
            yield client


class ServerProcess:
    """``python -m agent_threads …`` with stderr collected as it comes (the access log must never fill the pipe)."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.stderr = ""
        self.url = ""

    async def collect(self) -> None:
        assert self.process.stderr is not None
        async for chunk in TextReceiveStream(self.process.stderr):
            self.stderr += chunk

    async def wait_for(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        with anyio.fail_after(timeout):
            while (found := re.search(pattern, self.stderr)) is None:
                if self.process.returncode is not None:
                    pytest.fail(f"the server exited ({self.process.returncode}):\n{self.stderr[-3000:]}")
                await anyio.sleep(0.02)
        return found

    async def exit_code(self, timeout: float = 60) -> int:
        with anyio.fail_after(timeout):
            return await self.process.wait()


@asynccontextmanager
async def server_process(
    *args: str, env: dict[str, str], launcher: tuple[str, ...] = (sys.executable, "-m", "agent_threads")
) -> AsyncIterator[ServerProcess]:
    """The HTTP service as a subprocess on a port of its choosing; yields once it announced its URL."""
    command = [*launcher, "--transport", "http", "--port", "0", *args]
    process = await anyio.open_process(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=env)
    running = ServerProcess(process)
    async with process, anyio.create_task_group() as tg:
        tg.start_soon(running.collect)
        try:
            found = await running.wait_for(r"serving MCP at (http://\S+)/mcp")
            running.url = found.group(1)
            yield running
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment with no credential of the machine's: only PATH, a fresh HOME and ``extra``."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "AGENT_THREADS_CONFIG": os.devnull}
    return base | {"AGENT_THREADS_STATE_DIR": str(tmp_path / "state")} | extra
