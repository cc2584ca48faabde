"""The command every host configuration runs installs what the server needs at run time and nothing more: no
test, vendor-SDK or benchmark package (those are the dev, oracles and bench groups that ``uv run pytest`` uses)."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

from .doc_commands import documented_commands
from .uvtools import copy_tracked, locked_names, normalized, offline_env, uv_or_skip

CHECKOUT = "/path/to/agent-threads-mcp"
LEAN = f"uv run --directory {CHECKOUT} --no-default-groups agent-threads-mcp"


def test_every_host_configuration_in_the_docs_runs_the_lean_command() -> None:
    hosts = [c for c in documented_commands() if CHECKOUT in c.text]
    assert len({c.where.split(":")[0] for c in hosts}) >= 2, hosts  # the README and docs/hosts.md
    assert [c for c in hosts if LEAN not in c.text] == []


def test_the_host_command_installs_only_run_time_packages(tmp_path: Path) -> None:
    clone = copy_tracked(tmp_path / "clone")
    argv = shlex.split(LEAN.replace(CHECKOUT, str(clone))) + ["--version"]
    argv[0] = uv_or_skip()
    done = subprocess.run(argv, cwd=tmp_path, env=offline_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.startswith("agent-threads-mcp "), done.stderr[-3000:]
    listing = [uv_or_skip(), "pip", "list", "--python", str(clone / ".venv"), "--format", "json"]
    packages = json.loads(subprocess.run(listing, env=offline_env(), capture_output=True, check=True).stdout)
    installed = {normalized(p["name"]) for p in packages} - {"agent-threads-mcp"}
    run_time = locked_names("--no-default-groups")
    test_only = set().union(*(locked_names("--only-group", g) for g in ("dev", "oracles", "bench"))) - run_time
    assert {"pytest", "hypothesis", "qca-sdk", "tiktoken"} <= test_only
    assert installed & test_only == set()
    assert installed <= run_time and {"mcp", "httpx", "pydantic"} <= installed
