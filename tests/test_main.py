"""The command line's edges: --version, one-line errors with exit code 2, and what a person at a terminal
is told."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tty
from pathlib import Path

import anyio
import httpx
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream

from agent_threads import __version__

from .serve.conftest import clean_env, server_process

COMMAND = [sys.executable, "-m", "agent_threads"]
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}


async def _run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    with anyio.fail_after(60):
        return await anyio.run_process([*COMMAND, *args], check=False, env=clean_env(tmp_path, **env))


async def test_version_prints_the_package_version(tmp_path: Path) -> None:
    done = await _run(tmp_path, "--version")
    assert (done.returncode, done.stdout.decode()) == (0, f"agent-threads-mcp {__version__}\n")


@pytest.mark.parametrize(
    ("args", "env", "said"),
    [
        (["--log-level", "LOUD"], {}, "agent-threads-mcp: Unknown log level 'LOUD'."),
        ([], {"AGENT_THREADS_LOG_LEVEL": "chatty"}, "agent-threads-mcp: Unknown log level 'chatty'."),
        (["--providers", "qoder,nope"], {}, "agent-threads-mcp: Unknown provider 'nope'"),
        (["--sandbox", "--providers", "nope"], {}, "agent-threads-mcp: Unknown provider 'nope'"),
        (["--transport", "http", "--host", "0.0.0.0"], {}, "agent-threads-mcp: Refusing to serve HTTP on 0.0.0.0"),
        (["--transport", "http"], {"AGENT_THREADS_HTTP_TOKEN": "short"}, "agent-threads-mcp: The HTTP token"),
        (["--sandbox"], {"AGENT_THREADS_READ_TIMEOUT": "0"}, "agent-threads-mcp: AGENT_THREADS_READ_TIMEOUT must"),
        ([], {"AGENT_THREADS_TOOL_TIMEOUT": "nan"}, "agent-threads-mcp: AGENT_THREADS_TOOL_TIMEOUT must"),
        (["--transport", "http"], {"AGENT_THREADS_CONNECT_TIMEOUT": "-5"}, "agent-threads-mcp: AGENT_THREADS_CONN"),
    ],
)
async def test_a_bad_setting_is_one_line_on_stderr_with_exit_code_2(
    tmp_path: Path, args: list[str], env: dict[str, str], said: str
) -> None:
    done = await _run(tmp_path, *args, **env)
    err = done.stderr.decode()
    assert done.returncode == 2 and done.stdout == b""
    assert err.startswith(said) and err.count("\n") == 1 and "Traceback" not in err


async def test_without_any_credentials_the_stdio_server_points_to_the_sandbox(tmp_path: Path) -> None:
    bare = await _run(tmp_path)  # stdin is empty: the server starts, says so, and ends at end of input
    sandboxed = await _run(tmp_path, "--sandbox")
    assert bare.returncode == 0 and "--sandbox" in bare.stderr.decode()
    assert sandboxed.returncode == 0 and "no vendor credentials" not in sandboxed.stderr.decode()


async def test_without_any_credentials_the_http_service_points_to_the_sandbox_and_is_not_ready(
    tmp_path: Path,
) -> None:
    async with server_process(env=clean_env(tmp_path)) as server, httpx.AsyncClient() as http:
        ready = await http.get(f"{server.url}/readyz")
    assert ready.status_code == 503
    assert "--sandbox" in server.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
async def test_on_a_terminal_the_stdio_server_says_what_it_is_and_still_serves(tmp_path: Path) -> None:
    import pty

    controller, terminal = pty.openpty()
    tty.setraw(terminal)  # no echo, no line editing: the request reaches the server as written
    process = await anyio.open_process([*COMMAND, "--sandbox"], stdin=terminal, env=clean_env(tmp_path))
    os.close(terminal)
    try:
        assert process.stdout is not None and process.stderr is not None
        with anyio.fail_after(60):
            banner = (await BufferedByteReceiveStream(process.stderr).receive_until(b"\n", 4096)).decode()
            os.write(controller, json.dumps(INITIALIZE).encode() + b"\n")
            reply = json.loads(await BufferedByteReceiveStream(process.stdout).receive_until(b"\n", 1 << 20))
    finally:
        process.kill()
        await process.aclose()
        os.close(controller)
    assert banner.startswith(f"agent-threads-mcp {__version__}: an MCP server on stdin/stdout")
    assert "agent-threads-mcp demo" in banner and "--sandbox" in banner
    assert reply["id"] == 1 and reply["result"]["serverInfo"]["name"] == "agent-threads"


@pytest.mark.parametrize("args", [["export", "nope:x"], ["--transport", "http", "--host", "0.0.0.0"]])
async def test_the_collector_switched_off_for_start_up_is_back_on_for_every_other_command(
    tmp_path: Path, args: list[str]
) -> None:
    script = (
        "import gc, sys\nfrom agent_threads.__main__ import main\nassert not gc.isenabled()\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\nprint(gc.isenabled())"
    )
    with anyio.fail_after(60):
        done = await anyio.run_process([sys.executable, "-c", script], check=False, env=clean_env(tmp_path))
    assert done.stdout.decode().strip() == "True", done.stderr.decode()[-500:]


async def test_the_stdio_server_collects_again_once_started() -> None:
    script = "import gc\nfrom agent_threads.__main__ import _tune_gc\n_tune_gc()\n"
    script += "print(gc.isenabled(), gc.get_threshold()[0])"
    with anyio.fail_after(60):
        done = await anyio.run_process([sys.executable, "-c", script], check=False)
    assert done.stdout.decode().split() == ["True", "20000"]
