"""Load on the HTTP service: ``uv run python bench/load.py [--quick] [--seconds S] [--clients N] [--json] [--write]``.

Starts the sandbox cloud (a child process), PostgreSQL on loopback (Debian's ``initdb`` + ``pg_ctl`` in a
temporary directory), fills a fresh database with ``agent-threads-mcp sync``, then two HTTP replicas
(``agent-threads-mcp --transport http``: one index URL, one cursor key, one bearer token) and drives them with
concurrent MCP clients (``load_clients.py``) for the given time. Then the same with a SQLite index behind one
replica. Prints a table on stderr; ``--json`` prints one JSON line on stdout; ``--write`` replaces the
``load`` section of ``bench/results.md``. Every process it starts is stopped by the context manager that
started it, on Ctrl-C or failure too. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import anyio
from anyio.abc import Process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import SandboxProc, clean_env, sandbox_process  # noqa: E402
from load_clients import run_clients, warm_up  # noqa: E402
from load_report import markdown  # noqa: E402
from sections import write_section  # noqa: E402

from tests.index.pgserver import bindir, running_postgres  # noqa: E402

SERVER = [sys.executable, "-m", "agent_threads"]
TOKEN = secrets.token_urlsafe(32)
"""The replicas' bearer token: made for this run, never printed or written."""
CURSOR_KEY = secrets.token_hex(32)


@dataclass(frozen=True)
class Size:
    mode: str
    seconds: float
    clients: int


@dataclass
class Replica:
    base: str
    pid: int
    exit_code: int | None = None


@asynccontextmanager
async def replica(env: dict[str, str]) -> AsyncIterator[Replica]:
    """One HTTP server child on a loopback port of its choosing; stopped with SIGTERM (it drains, then exits 0),
    killed if it has not exited 30 s later. Its stderr (the access log) goes to a temporary file."""
    with tempfile.TemporaryFile() as log:
        command = [*SERVER, "--transport", "http", "--port", "0"]
        process = await anyio.open_process(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, env=clean_env(env)
        )
        running = Replica("", process.pid)
        try:
            running.base = await _announced(process, log)
            yield running
        except BaseException:
            log.seek(0)
            sys.stderr.write(log.read()[-3000:].decode(errors="replace"))
            raise
        finally:
            with anyio.move_on_after(30, shield=True):
                if process.returncode is None:
                    process.terminate()
                running.exit_code = await process.wait()
            if process.returncode is None:
                process.kill()
                with anyio.CancelScope(shield=True):
                    await process.wait()


async def _announced(process: Process, log: IO[bytes]) -> str:
    """The base URL the server says it serves at, once it says so."""
    with anyio.fail_after(60):
        while True:
            log.seek(0)
            found = re.search(rb"serving MCP at (http://\S+)/mcp", log.read())
            if found:
                return found.group(1).decode()
            if process.returncode is not None:
                raise RuntimeError(f"the server exited ({process.returncode}) before serving")
            await anyio.sleep(0.05)


async def command(env: dict[str, str], *args: str) -> str:
    """``agent-threads-mcp ARGS`` run to its end; its stdout."""
    done = await anyio.run_process([*SERVER, *args], env=clean_env(env), check=False)
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines() or [""]
        raise RuntimeError(f"agent-threads-mcp {' '.join(args)} exited {done.returncode}: {said[-1][:300]}")
    return done.stdout.decode()


async def fill(env: dict[str, str]) -> dict[str, Any]:
    """``agent-threads-mcp sync`` into the index, then what ``index stats`` counts in it."""
    started = time.perf_counter()
    await command(env, "sync")
    seconds = time.perf_counter() - started
    stats = dict(re.findall(r"^(threads|messages): (\d+)$", await command(env, "index", "stats"), re.M))
    return {"sync_s": seconds, "threads": int(stats["threads"]), "messages": int(stats["messages"])}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``); NaN once it has exited."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _snapshot(sandbox: SandboxProc, pids: list[int]) -> dict[str, float]:
    """The 1-minute load average, CPU seconds of this process and of the replicas, vendor requests so far."""
    return {"load": os.getloadavg()[0], "client_cpu_s": time.process_time(),
            "replica_cpu_s": sum(cpu_seconds(pid) for pid in pids),
            "vendor_requests": sum((await sandbox.stats()).values())}  # fmt: skip


async def scenario(sandbox: SandboxProc, url: str, replicas: int, size: Size, folder: Path) -> dict[str, Any]:
    """Fill the index at ``url``, start ``replicas`` servers on it, warm them up, then the timed run."""
    shared = sandbox.env | {"AGENT_THREADS_INDEX_URL": url, "AGENT_THREADS_CURSOR_KEY": CURSOR_KEY,
                            "AGENT_THREADS_HTTP_TOKEN": TOKEN, "AGENT_THREADS_CONFIG": os.devnull}  # fmt: skip
    found = await fill(shared | {"AGENT_THREADS_STATE_DIR": str(folder / "sync")})
    async with AsyncExitStack() as stack:
        running = [
            await stack.enter_async_context(replica(shared | {"AGENT_THREADS_STATE_DIR": str(folder / f"r{n}")}))
            for n in range(replicas)
        ]
        bases = [r.base for r in running]
        await warm_up(bases, TOKEN)
        before = await _snapshot(sandbox, [r.pid for r in running])
        found |= await run_clients(bases, TOKEN, size.clients, size.seconds)
        after = await _snapshot(sandbox, [r.pid for r in running])
    found |= {name: after[name] - before[name] for name in before if name != "load"}
    found |= {"replicas": replicas, "load_before": before["load"], "load_after": after["load"]}
    found["exit_codes"] = [r.exit_code for r in running]
    return found


async def figures(size: Size) -> dict[str, Any]:
    """Both scenarios against one sandbox child: two replicas on PostgreSQL, then one on SQLite."""
    programs = bindir()
    if programs is None:
        raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    found: dict[str, Any] = {"size": asdict(size), "cores": os.cpu_count()}
    started = time.perf_counter()
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="agent-threads-load-")))
        server = stack.enter_context(running_postgres(programs))
        async with sandbox_process({}, None) as sandbox:
            found["postgres"] = await scenario(sandbox, server.create_database(), 2, size, folder / "postgres")
            found["sqlite"] = await scenario(sandbox, str(folder / "index.sqlite3"), 1, size, folder / "sqlite")
    found["seconds"] = time.perf_counter() - started
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 s and 20 clients per backend")
    parser.add_argument("--seconds", type=float, help="length of each timed run (default 30)")
    parser.add_argument("--clients", type=int, help="concurrent MCP clients (default 50)")
    parser.add_argument("--json", action="store_true", help="one JSON line on stdout (the table goes to stderr)")
    parser.add_argument("--write", action="store_true", help="replace the load section of bench/results.md")
    args = parser.parse_args()
    mode = "quick" if args.quick else "full"
    size = Size(mode, args.seconds or (10 if args.quick else 30), args.clients or (20 if args.quick else 50))
    found = anyio.run(figures, size)
    text = markdown(found)
    print(text, file=sys.stderr)
    if args.write:
        write_section(ROOT / "bench" / "results.md", "load", text)
    if args.json:
        print(json.dumps(found, ensure_ascii=False))


if __name__ == "__main__":
    main()
