"""Running ``uv`` from tests: the binary that runs the suite, offline, outside the suite's own environment.

The README's test command is ``uv run pytest``, which puts the path of its ``uv`` in ``$UV`` and fills uv's
cache with every locked package; so tests can build and install with ``UV_OFFLINE=1``, from that cache alone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def uv_or_skip() -> str:
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed; the README's test command is `uv run pytest`")
    return uv


def offline_env(**extra: str) -> dict[str, str]:
    """This environment without the suite's virtual environment, uv working from its cache only."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")}
    return env | {"UV_OFFLINE": "1"} | extra


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_names(*args: str) -> set[str]:
    """Package names ``uv export --frozen <args>`` lists from uv.lock (the project itself left out)."""
    command = [uv_or_skip(), "export", "--frozen", "--no-hashes", "--no-emit-project", "--no-header", *args]
    out = subprocess.run(command, cwd=ROOT, env=offline_env(), capture_output=True, text=True, check=True).stdout
    lines = (line.strip() for line in out.splitlines())
    return {normalized(re.split(r"[=<>;\s]", line, maxsplit=1)[0]) for line in lines if line and line[0].isalnum()}


def copy_tracked(target: Path) -> Path:
    """The files git tracks in this repository, copied into ``target``: what a fresh clone holds."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        if (ROOT / name).is_file():  # a file deleted in the working tree but not yet in the index
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target
