"""The service as the command runs it: SIGTERM drains calls in flight then exits 0, the drain is bounded,
and an unusable address is a one-line error with exit code 2."""

from __future__ import annotations

import signal
import socket
import sys
from pathlib import Path

import anyio
import pytest

from agent_threads.sandbox import Sandbox

from .conftest import TOKEN, clean_env, mcp_client, server_process

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is a POSIX signal")


async def _a_qoder_thread(url: str) -> str:
    async with mcp_client(url, token=None) as client:
        sessions = (await client.call_tool("list_threads", {"provider": "qoder"})).structured_content["threads"]
        return sessions[0]["ref"]


async def _call_in_flight(url: str, ref: str, results: list[object]) -> None:
    try:
        async with mcp_client(url, token=None) as client:
            await client.list_tools()  # the client checks results against the tools' schemas: fetch them first
            results.append(await client.call_tool("get_thread_messages", {"thread": ref, "limit": 3}))
    except Exception as e:  # the bounded-drain test expects the call to be cut
        results.append(e)


async def _wait_until_fired(sandbox: Sandbox) -> None:
    with anyio.fail_after(30):
        while not sandbox.ctx.faults.fired:
            await anyio.sleep(0.02)


async def test_sigterm_lets_the_call_in_flight_finish_then_exits_0(sandbox: Sandbox, tmp_path: Path) -> None:
    results: list[object] = []
    async with server_process(env=clean_env(tmp_path, **sandbox.env())) as server:
        ref = await _a_qoder_thread(server.url)
        sandbox.ctx.faults.add("qoder", "slow", route="events", delay=1.5)
        async with anyio.create_task_group() as tg:
            tg.start_soon(_call_in_flight, server.url, ref, results)
            await _wait_until_fired(sandbox)  # the server is now waiting on the slow vendor
            server.process.send_signal(signal.SIGTERM)
        code = await server.exit_code(timeout=30)
    assert code == 0, server.stderr
    result = results[0]
    assert not getattr(result, "is_error", True), result
    assert "draining" in server.stderr and "Traceback" not in server.stderr
    assert "rpc=tools/call tool=get_thread_messages status=200" in server.stderr


async def test_the_drain_gives_up_after_its_timeout_and_still_exits_0(sandbox: Sandbox, tmp_path: Path) -> None:
    results: list[object] = []
    codes: list[int] = []
    env = clean_env(tmp_path, AGENT_THREADS_HTTP_DRAIN_TIMEOUT="1", **sandbox.env())
    async with server_process(env=env) as server:
        ref = await _a_qoder_thread(server.url)
        sandbox.ctx.faults.add("qoder", "slow", route="events", delay=8)
        async with anyio.create_task_group() as tg:
            tg.start_soon(_call_in_flight, server.url, ref, results)
            await _wait_until_fired(sandbox)
            server.process.send_signal(signal.SIGTERM)
            codes.append(await server.exit_code(timeout=6))  # the slow vendor would take 8 s
    assert codes == [0], server.stderr
    assert isinstance(results[0], Exception) or getattr(results[0], "is_error", False)


async def test_a_port_in_use_is_a_one_line_error_with_exit_code_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "agent_threads", "--sandbox", "--transport", "http", "--port", str(port)]
        with anyio.fail_after(60):
            done = await anyio.run_process(command, check=False, env=clean_env(tmp_path))
    err = done.stderr.decode()
    assert done.returncode == 2
    assert err == f"agent-threads-mcp: Port {port} is already in use on 127.0.0.1. Pick another --port.\n"


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
async def test_a_public_address_without_a_token_refuses_to_start_with_exit_code_2(tmp_path: Path, host: str) -> None:
    command = [sys.executable, "-m", "agent_threads", "--transport", "http", "--host", host]
    with anyio.fail_after(60):
        done = await anyio.run_process(command, check=False, env=clean_env(tmp_path))
    err = done.stderr.decode()
    assert done.returncode == 2 and err.count("\n") == 1
    assert err.startswith(f"agent-threads-mcp: Refusing to serve HTTP on {host} without authentication.")


async def test_the_announced_address_says_a_token_is_required(tmp_path: Path) -> None:
    env = clean_env(tmp_path, AGENT_THREADS_HTTP_TOKEN=TOKEN)
    async with server_process("--sandbox", env=env) as server:
        async with mcp_client(server.url) as client:
            result = await client.call_tool("list_providers", {})
        server.process.send_signal(signal.SIGTERM)
        assert await server.exit_code() == 0
    assert not result.is_error
    assert "(bearer token required, pid " in server.stderr and TOKEN not in server.stderr
