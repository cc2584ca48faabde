"""docs/deploy.md, run as written: its commands start the service, check it and call it, and SIGTERM stops it
with exit code 0. The guide's commands must be exactly the ones this module runs."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from agent_threads.sandbox import Sandbox

from .serve.conftest import ServerProcess, clean_env

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "deploy.md"
START = [
    "python3 -c 'import secrets; print(secrets.token_hex(32))' > http-token",
    "python3 -c 'import secrets; print(secrets.token_hex(32))' > cursor-key",
    "chmod 600 http-token cursor-key",
    'export AGENT_THREADS_HTTP_TOKEN_FILE=http-token AGENT_THREADS_CURSOR_KEY="$(cat cursor-key)"',
    "export AGENT_THREADS_ALLOWED_HOSTS=threads.example.internal,127.0.0.1",
    "agent-threads-mcp --transport http --host 0.0.0.0 --port 8765",
]
HEALTH, READY, TOOLS = (
    "curl -fsS http://127.0.0.1:8765/healthz",
    "curl -fsS http://127.0.0.1:8765/readyz",
    """curl -fsS http://127.0.0.1:8765/mcp -H "Authorization: Bearer $(cat http-token)" """
    """-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' """
    """-d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'""",
)

ANNOUNCED = r"serving MCP at http://0\.0\.0\.0:\d+/mcp \(bearer token required, pid (\d+)\)"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", GUIDE.read_text(encoding="utf-8"), flags=re.M | re.S)


def _commands(block: str) -> list[str]:
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_guide_shows_exactly_the_commands_this_module_runs() -> None:
    assert [_commands(block) for block in _blocks("bash")] == [START, [HEALTH, READY, TOOLS]]
    assert len(_blocks("python")) == 1


async def _shell(command: str, cwd: Path, env: dict[str, str]) -> str:
    with anyio.fail_after(60):
        done = await anyio.run_process(["bash", "-c", command], cwd=cwd, env=env, check=False)
    assert done.returncode == 0, f"{command}\n{done.stderr.decode()}"
    return done.stdout.decode()


@pytest.mark.skipif(shutil.which("curl") is None and not os.environ.get("CI"), reason="curl is not installed")
async def test_the_guides_commands_start_check_call_and_drain_the_service(sandbox: Sandbox, tmp_path: Path) -> None:
    port = str(_free_port())
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"  # agent-threads-mcp, python3
    env = clean_env(tmp_path, **sandbox.env()) | {"PATH": path}
    script = "\n".join(START).replace("8765", port)
    process = await anyio.open_process(["bash", "-e", "-c", script], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL)
    server = ServerProcess(process)
    said: dict[str, str] = {}
    async with process, anyio.create_task_group() as tg:
        tg.start_soon(server.collect)
        pid = int((await server.wait_for(ANNOUNCED)).group(1))
        for name, command in {"health": HEALTH, "ready": READY, "tools": TOOLS}.items():
            said[name] = await _shell(command.replace("8765", port), tmp_path, env)
        snippet = _blocks("python")[0].replace("8765", port)
        with anyio.fail_after(60):
            said["python"] = (
                await anyio.run_process([sys.executable, "-c", snippet], cwd=tmp_path, env=env)
            ).stdout.decode()
        os.kill(pid, signal.SIGTERM)
        said["exit code"] = str(await server.exit_code())
    assert json.loads(said["health"]) == {"status": "ok"} and json.loads(said["ready"]) == {"status": "ready"}
    assert said["tools"].startswith("event: message") and '"name":"get_thread_messages"' in said["tools"]
    assert "qoder" in said["python"]
    assert said["exit code"] == "0" and "draining" in server.stderr
    assert (tmp_path / "http-token").read_text().strip() not in server.stderr
