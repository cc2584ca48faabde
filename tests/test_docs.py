"""Every command the README and ``docs/`` give is run here, in a fresh copy of the repository, or says what it
needs that a test does not have (a real account, Claude Code, the network). No placeholder is left to fill in.

Commands run the way a reader runs them: from the copy's root, ``/path/to/agent-threads-mcp`` standing for the
copy and port 8765 for a free one, ``agent-threads-mcp`` on ``PATH`` as in an activated environment, uv from its
cache, no credentials, ``HOME`` empty (so no real account or profile can be reached). A server command must
answer an MCP client (stdio, or HTTP with ``--transport http``); any other command must exit 0.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from agent_threads.cli.index import COMMANDS as INDEX_COMMANDS

from .doc_commands import DOCS, ROOT, documented_commands
from .node import npx_or_skip, unreachable
from .uvtools import copy_tracked, offline_env, uv_or_skip

CHECKOUT = "/path/to/agent-threads-mcp"
SUITE = "uv run pytest"  # the README's test command: what runs this file
COMMANDS = documented_commands()
# guides whose blocks are one shell session (a variable exported, then used): their own test runs them in order
SESSIONS = {"docs/deploy.md": "test_deploy_doc.py"}
RUNNABLE = sorted(
    {c.text for c in COMMANDS if c.needs is None and c.text != SUITE and c.where.split(":")[0] not in SESSIONS}
)
_CREDENTIALS = re.compile(r"^(QODER_|ALIBABA_CLOUD_|TENCENTCLOUD_|AGENT_THREADS_)")


def test_no_placeholder_is_left_for_the_reader_to_fill_in() -> None:
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        assert not re.findall(r"<(owner|user|org|your[-_ ][a-z]+)>", text, re.IGNORECASE), doc


def test_a_guide_run_as_one_session_has_a_test_of_its_own() -> None:
    here = Path(__file__).parent
    for doc, test in SESSIONS.items():
        assert doc in (c.where.split(":")[0] for c in COMMANDS) and (here / test).is_file()
        assert doc.split("/")[-1] in (here / test).read_text(encoding="utf-8")


def test_a_command_with_an_elided_value_says_what_it_needs() -> None:
    elided = [c for c in COMMANDS if "…" in c.text and c.needs is None]
    assert elided == []


def test_the_readme_gives_the_test_command_and_a_way_to_install_uv_where_pip_is_refused() -> None:
    readme = [c.text for c in COMMANDS if c.where.startswith("README.md")]
    assert SUITE in readme and "pipx install uv" in readme
    assert SUITE in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_tracked(tmp_path_factory.mktemp("clone"))


def _environment(home: Path) -> dict[str, str]:
    kept = {k: v for k, v in offline_env().items() if not _CREDENTIALS.match(k)}
    caches = {"UV_CACHE_DIR": _uv_cache(), "npm_config_cache": os.path.expanduser("~/.npm")}
    programs = [str(Path(sys.executable).parent), str(Path(uv_or_skip()).parent)]  # not a shim that reads HOME
    path = os.pathsep.join([*programs, kept.get("PATH", "")])
    return kept | caches | {"HOME": str(home), "PATH": path, "npm_config_update_notifier": "false"}


def _uv_cache() -> str:
    return subprocess.run([uv_or_skip(), "cache", "dir"], capture_output=True, text=True, check=True).stdout.strip()


def _argv(text: str, clone: Path, port: int) -> tuple[dict[str, str], list[str]]:
    """Leading ``NAME=value`` words as environment, the rest as argv, placeholders filled in."""
    words = shlex.split(text.replace(CHECKOUT, str(clone)).replace("${__dirname}", str(clone)))
    words = [w.replace("8765", str(port)) for w in words]
    env = {}
    while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    return env, words


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_args(argv: list[str]) -> list[str] | None:
    """The arguments of the server when the command starts a long-running server; None for any other command."""
    if argv[0] == "npx" or "agent-threads-mcp" not in argv:
        return None
    args = argv[argv.index("agent-threads-mcp") + 1 :]
    finite = {"demo", "export", *INDEX_COMMANDS, "--version", "--help"}
    return None if finite & set(args) else args


@pytest.mark.parametrize("text", RUNNABLE, ids=[t if len(t) <= 100 else t[:97] + "..." for t in RUNNABLE])
async def test_the_documented_command_works(text: str, clone: Path, tmp_path: Path) -> None:
    port = _free_port()
    extra, argv = _argv(text, clone, port)
    env = _environment(tmp_path) | extra
    server = _server_args(argv)
    with anyio.fail_after(300):
        if server is None:
            await _completes(text, argv, env, clone)
        elif "http" in server and "--transport" in server:
            async with _http_server(argv, env, clone, port) as url, Client(url) as client:
                await _answers(client, server)
        else:
            params = StdioServerParameters(command=argv[0], args=argv[1:], env=env, cwd=str(clone))
            async with Client(params) as client:
                await _answers(client, server)


async def _completes(text: str, argv: list[str], env: dict[str, str], cwd: Path) -> None:
    shell = {"|", "&&", ";"} & set(argv)
    if argv[0] == "npx":
        npx_or_skip()  # Node.js 20 or later, as tests/node.py asks for
    command: str | list[str] = text if shell else argv
    done = await anyio.run_process(command, cwd=cwd, env=env, check=False)
    out, err = done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")
    if done.returncode != 0 and argv[0] == "npx" and unreachable(err):
        pytest.skip(f"{argv[2]} is not in the npx cache and the npm registry is unreachable")
    assert done.returncode == 0, f"{text!r} exited {done.returncode}:\n{err[-3000:]}\n{out[-1500:]}"
    if "--cli" in argv:  # the Inspector prints the JSON-RPC result
        assert not json.loads(out).get("isError"), out[:2000]


async def _answers(client: Client, server_args: list[str]) -> None:
    """The server lists its tools and providers; a sandboxed one also lists a provider's threads."""
    assert (await client.list_tools()).tools
    providers = await client.call_tool("list_providers", {})
    assert not providers.is_error, providers.content
    if "--sandbox" in server_args:
        first = providers.structured_content["providers"][0]["id"]
        listing = await client.call_tool("list_threads", {"provider": first})
        assert not listing.is_error and listing.structured_content["threads"]


@asynccontextmanager
async def _http_server(argv: list[str], env: dict[str, str], cwd: Path, port: int) -> AsyncIterator[str]:
    process = await anyio.open_process(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with anyio.fail_after(60):
            while True:
                assert process.returncode is None, f"{shlex.join(argv)} exited {process.returncode}"
                try:
                    await (await anyio.connect_tcp("127.0.0.1", port)).aclose()
                    break
                except OSError:
                    await anyio.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        await process.wait()
