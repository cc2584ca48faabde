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

from .index.conftest import postgres
from .index.pgserver import PgServer
from .serve.conftest import ServerProcess, clean_env
from .uvtools import copy_tracked, offline_env, uv_or_skip

__all__ = ["postgres"]

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

CREATE = [
    """psql -h 127.0.0.1 -p 5432 -U postgres -c "CREATE DATABASE agent_threads ENCODING 'UTF8' """
    """LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0\"""",
]
SETUP = [
    "uv sync --no-default-groups --extra postgres",
    "source .venv/bin/activate",
    "export AGENT_THREADS_INDEX_URL=postgresql://postgres@127.0.0.1:5432/agent_threads",
    "agent-threads-mcp index migrate",
    "agent-threads-mcp index stats",
]
REPLICAS = [
    "agent-threads-mcp --transport http --host 0.0.0.0 --port 8765",
    "agent-threads-mcp --transport http --host 0.0.0.0 --port 8766",
]
FILL = [
    "curl -fsS http://127.0.0.1:8765/readyz",
    "curl -fsS http://127.0.0.1:8766/readyz",
    "agent-threads-mcp sync",
    "agent-threads-mcp index stats",
]

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
    assert [_commands(block) for block in _blocks("bash")] == [
        START,
        [HEALTH, READY, TOOLS],
        CREATE,
        SETUP,
        REPLICAS,
        FILL,
    ]
    assert len(_blocks("python")) == 1


async def _shell(command: str, cwd: Path, env: dict[str, str], timeout: float = 60) -> str:
    with anyio.fail_after(timeout):
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


def _session(*blocks: list[str]) -> list[str]:
    """What a shell session keeps from earlier blocks: their exports and the activated environment."""
    return [line for block in blocks for line in block if line.startswith(("export ", "source "))]


def _ported(line: str, ports: dict[str, int]) -> str:
    for documented, real in ports.items():
        line = line.replace(documented, str(real))
    return line


async def test_the_guides_postgres_commands_install_migrate_serve_two_replicas_and_fill_the_index(
    sandbox: Sandbox, postgres: PgServer, tmp_path: Path
) -> None:
    clone = copy_tracked(tmp_path / "clone")
    ports = {"5432": postgres.port, "8765": _free_port(), "8766": _free_port()}
    suite = str(Path(sys.executable).parent)  # agent-threads-mcp must come from the environment the guide makes
    path = [str(Path(uv_or_skip()).parent), *(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != suite)]
    env = clean_env(tmp_path, **sandbox.env()) | offline_env() | {"PATH": os.pathsep.join(path)}
    env = {k: v for k, v in env.items() if k != "VIRTUAL_ENV"} | {
        "UV_PYTHON": getattr(sys, "_base_executable", sys.executable)
    }

    async def run(lines: list[str], timeout: float = 60) -> str:
        return await _shell("\n".join(_ported(line, ports) for line in lines), clone, env, timeout)

    await run(START[:3])
    await run(CREATE)
    said = {"setup": await run(_session(START) + SETUP, timeout=300)}
    codes: list[int] = []
    async with anyio.create_task_group() as tg:
        servers = []
        for line in REPLICAS:
            script = "\n".join(_ported(x, ports) for x in [*_session(START, SETUP), line])
            process = await anyio.open_process(
                ["bash", "-e", "-c", script], cwd=clone, env=env, stdout=subprocess.DEVNULL
            )
            servers.append(ServerProcess(process))
            tg.start_soon(servers[-1].collect)
        pids = [int((await server.wait_for(ANNOUNCED)).group(1)) for server in servers]
        for name, line in zip(("ready a", "ready b", "sync", "stats"), FILL):
            said[name] = await run([*_session(START, SETUP), line], timeout=120)
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
        codes += [await server.exit_code() for server in servers]
    assert "schema version" in said["setup"] and "backend: postgres" in said["setup"] and "threads: 0" in said["setup"]
    assert json.loads(said["ready a"]) == json.loads(said["ready b"]) == {"status": "ready"}
    assert "dms: " in said["sync"] and re.search(r"^threads: [1-9]\d*$", said["stats"], re.M), said
    assert "password" not in said["stats"] and codes == [0, 0]
