"""Running independent Node.js clients (MCP Inspector, the mcpb CLI) through npx, pinned for Node 20.

A fresh machine has Node but not the packages: ``npx --yes`` fetches them once (the Inspector takes ~30 s
cold, ~1 s cached). Where Node is missing, or the package is neither cached nor reachable, the test skips
and says why.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import anyio
import pytest

INSPECTOR = "@modelcontextprotocol/inspector@0.15.0"
MCPB = "@anthropic-ai/mcpb@2.1.2"
_OFFLINE = re.compile(
    r"ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH|network request .* failed", re.IGNORECASE
)


def unreachable(stderr: str) -> bool:
    """npm failed because the registry could not be reached (not because the command failed)."""
    return _OFFLINE.search(stderr) is not None


def npx_or_skip() -> str:
    """The npx executable on a Node >= 20; skips the test otherwise."""
    npx, node = shutil.which("npx"), shutil.which("node")
    if npx is None or node is None:
        pytest.skip("Node.js/npx is not installed; this test drives an independent Node client")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False, timeout=30).stdout
    if int(version.lstrip("v").split(".")[0] or 0) < 20:
        pytest.skip(f"Node {version.strip()} is too old; {INSPECTOR} needs Node 20")
    return npx


async def run_npx(package: str, args: list[str], *, cwd: Path | None = None, timeout: float = 240) -> str:
    """stdout of ``npx --yes <package> <args>``; fails the test on a non-zero exit, skips when npm is unreachable."""
    npx = npx_or_skip()
    env = {**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false"}
    with anyio.fail_after(timeout):
        done = await anyio.run_process([npx, "--yes", package, *args], cwd=cwd, env=env, check=False)
    out, err = done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")
    if done.returncode != 0 and unreachable(err):
        pytest.skip(f"{package} is not in the npx cache and the npm registry is unreachable")
    assert done.returncode == 0, (
        f"npx {package} {' '.join(args)} failed ({done.returncode}):\n{err[-3000:]}\n{out[-2000:]}"
    )
    return out
