"""The built wheel, installed in a clean virtual environment with only its run-time dependencies, runs
``--version``, ``demo`` and the stdio server, sandbox included (nothing it needs lives outside the wheel)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

from agent_threads import __version__
from agent_threads.app import build_server
from agent_threads.config import Settings
from agent_threads.demo import OPENING

from .uvtools import ROOT, offline_env, uv_or_skip


def _run(*command: str | Path, cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, env=offline_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed:\n{done.stderr[-3000:]}"
    return done.stdout


def _installed(tmp_path: Path) -> tuple[Path, Path]:
    """Build the wheel, install it with the locked run-time dependencies into a fresh venv; (wheel, bin dir)."""
    uv = uv_or_skip()
    _run(uv, "build", "--wheel", "--out-dir", tmp_path / "dist", str(ROOT), cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("agent_threads_mcp-*.whl")
    requirements = tmp_path / "requirements.txt"
    _run(uv, "export", "--frozen", "--no-default-groups", "--no-emit-project", "-o", requirements, cwd=ROOT)
    _run(uv, "venv", "--python", sys.executable, tmp_path / "venv", cwd=tmp_path)
    python = tmp_path / "venv" / "bin" / "python"
    _run(uv, "pip", "install", "--python", python, "-r", requirements, wheel, cwd=tmp_path)
    return wheel, python.parent


async def test_the_wheel_in_a_clean_venv_runs_version_demo_and_the_stdio_server(tmp_path: Path) -> None:
    wheel, bin_dir = _installed(tmp_path)
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    assert f"agent_threads_mcp-{__version__}.dist-info/licenses/LICENSE" in names
    assert {"agent_threads/sandbox/core.py", "agent_threads/sandbox/qoder/data.py"} <= names
    command = bin_dir / "agent-threads-mcp"
    assert _run(command, "--version", cwd=tmp_path) == f"agent-threads-mcp {__version__}\n"
    assert _run(command, "demo", cwd=tmp_path).startswith(OPENING + "\n")
    params = StdioServerParameters(command=str(command), args=["--sandbox"], env=offline_env(), cwd=str(tmp_path))
    with anyio.fail_after(120):
        async with Client(params) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            listing = await client.call_tool("list_threads", {"provider": "dms"})
    async with Client(build_server(Settings())) as client:
        assert tools == {t.name for t in (await client.list_tools()).tools}
    assert not listing.is_error and listing.structured_content["threads"]
