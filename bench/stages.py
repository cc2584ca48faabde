"""Where a page's CPU goes: ``uv run python bench/stages.py [--vendor cms] [--rounds 3] [--rate 1000]``.

The sandbox child serves the vendor's 10,000-message thread; the server runs as a host runs it (a child on
stdio). After an untimed warm-up call, py-spy attaches to the server (``py-spy`` on PATH, else ``uvx py-spy``)
and samples it while a client reads the whole thread ``--rounds`` times, following ``next_cursor`` as the
paging benchmark does. The server's CPU time over those reads (``/proc``) divided by the transcript messages
read is its cost per message; each sampled stack is put in one stage, and a stage's share of the samples is its
share of that cost. Prints the table in µs per message and ms per 100 messages.

Stages, by the frames of a stack (the first rule that matches):

- **vendor HTTP**: under a provider's read, in httpx / httpcore / h11 / the signers / ``http.py``;
- **JSON → wire models**: under a provider's read, in a JSON or pydantic parse (``model_validate_json``,
  ``validate_json``, ``json.loads``, …) or in a vendor wire module;
- **wire → messages**: the rest of a provider's read (mapping, chunk merging, tool pairing, times);
- **shaping and rendering**: ``render.py``, ``redact.py``, ``pages._fit``;
- **page, result, MCP, stdio**: the rest of ``pages.py`` / ``tools.py``, the MCP SDK, the stdio streams;
- **index write-through**: anything in the thread index, or in the write-through's own code, recording the
  pages read (checked first);
- **event loop, other**: anything else (asyncio's own work, the collector, the read-ahead's bookkeeping).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

import paging
from common import sandbox_process, server_command, server_process
from vendors import VENDORS

STAGES = (
    "vendor HTTP",
    "JSON → wire models",
    "wire → messages",
    "shaping and rendering",
    "page, result, MCP, stdio",
    "index write-through",
    "event loop, other",
)
_FRAME = re.compile(r"^(?P<fn>.*?) \((?P<path>[^()]*?)(?::\d+)?\)$")
_HTTP = re.compile(r"(^|/)(httpx|httpcore|h11|ssl|socket|h2)[/.]|agent_threads/(auth/|http\.py)")
_PARSE_FN = frozenset(
    {"model_validate_json", "model_validate", "validate_json", "validate_python", "loads", "decode", "raw_decode"}
)
_INDEX = re.compile(r"agent_threads/index/")
_WIRE = re.compile(r"agent_threads/providers/.*(wire|_wire)\.py|agent_threads/sse\.py")
_SHAPE = re.compile(r"agent_threads/(render|redact|shaping)[./]")
_PAGE = re.compile(r"agent_threads/(pages|tools|app|cursors|readahead)[./]|(^|/)(mcp|pydantic)/|anyio/_core/_fileio")
_IDLE = (".select", ".wait", "Queue.get", ".sleep", ".acquire", "WorkerThread.run")
"""Leaf functions of a thread that waits (a worker thread's leaf is its blocking call: the stdin read): py-spy
may sample these as busy; they cost no CPU."""


def frames(stack: str) -> list[tuple[str, str]]:
    """(function, path) of each frame of a collapsed stack, outermost first."""
    out: list[tuple[str, str]] = []
    for frame in stack.split(";"):
        match = _FRAME.match(frame.strip())
        out.append((match.group("fn"), match.group("path")) if match else (frame.strip(), ""))
    return out


def stage(stack: list[tuple[str, str]]) -> str:
    """The stage a sampled stack belongs to (see the module's docstring)."""
    paths = [path for _, path in stack]
    if any(_INDEX.search(p) for p in paths) or (stack and "writethrough" in stack[-1][1]):
        return STAGES[5]
    read = next((i for i, p in enumerate(paths) if "agent_threads/providers/" in p), None)
    if read is not None:
        below = stack[read:]
        if any(_HTTP.search(p) for _, p in below):
            return STAGES[0]
        if any(fn.rsplit(".", 1)[-1] in _PARSE_FN or _WIRE.search(p) for fn, p in below):
            return STAGES[1]
        return STAGES[2]
    if any(_SHAPE.search(p) or fn in ("_fit", "_squeeze") for fn, p in stack):
        return STAGES[3]
    if any(_PAGE.search(p) for p in paths):
        return STAGES[4]
    return STAGES[6]


def busy(raw: str) -> list[tuple[list[tuple[str, str]], int]]:
    """The stacks of a py-spy ``--format raw`` file (``stack count`` lines) and their samples, waits left out."""
    out: list[tuple[list[tuple[str, str]], int]] = []
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            found = frames(stack)
            if not found[-1][0].endswith(_IDLE):
                out.append((found, int(count)))
    return out


def classify(raw: str) -> Counter[str]:
    """Samples per stage."""
    counts: Counter[str] = Counter()
    for found, count in busy(raw):
        counts[stage(found)] += count
    return counts


def hot(raw: str, depth: int = 2) -> dict[str, Counter[str]]:
    """Per stage, samples by the innermost ``depth`` frames: where inside a stage the time goes."""
    out: dict[str, Counter[str]] = {name: Counter() for name in STAGES}
    for found, count in busy(raw):
        where = " > ".join(f"{fn} ({path.rsplit('/', 1)[-1]})" for fn, path in found[-depth:])
        out[stage(found)][where] += count
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def py_spy() -> list[str]:
    found = shutil.which("py-spy")
    if found:
        return [found]
    if shutil.which("uvx"):
        return ["uvx", "py-spy"]
    raise RuntimeError("py-spy is needed: `uvx py-spy` or `pip install py-spy`")


async def profile(vendor_name: str, rounds: int, rate: int) -> tuple[str, float, int, int]:
    """(py-spy's raw stacks, server CPU seconds, messages read, tool calls) over ``rounds`` whole reads."""
    vendor = VENDORS[vendor_name]
    async with sandbox_process({vendor.big_option: 10_000}, [vendor.family]) as sandbox:
        async with server_process(sandbox.env, server_command([vendor.family])) as client:
            await paging.tool_read(client, sandbox, vendor, count=False)  # warm-up: first-call costs, untimed
            pid = client.proc.pid
            with tempfile.NamedTemporaryFile(suffix=".txt") as out:
                spy = subprocess.Popen(
                    [*py_spy(), "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw"]
                    + ["--output", out.name],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
                try:
                    time.sleep(1.0)  # py-spy attaches
                    before, messages, calls = cpu_seconds(pid), 0, 0
                    for _ in range(rounds):
                        read = await paging.tool_read(client, sandbox, vendor, count=False)
                        messages, calls = messages + read.messages, calls + read.calls
                    cpu = cpu_seconds(pid) - before
                finally:
                    spy.send_signal(signal.SIGINT)
                    _, err = spy.communicate(timeout=60)
                raw = Path(out.name).read_text()
            if not raw.strip():
                raise RuntimeError(f"py-spy recorded nothing: {err.decode(errors='replace')[-500:]}")
    return raw, cpu, messages, calls


def table(counts: Counter[str], cpu: float, messages: int) -> list[str]:
    total = sum(counts.values())
    rows = ["| stage | share | µs per message | ms per 100 messages |", "| --- | --- | --- | --- |"]
    for name in STAGES:
        share = counts[name] / total if total else 0.0
        us = share * cpu / messages * 1e6
        rows.append(f"| {name} | {share:.0%} | {us:.1f} | {us / 10:.2f} |")
    rows.append(f"| **all** | 100% | {cpu / messages * 1e6:.1f} | {cpu / messages * 1e5:.2f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--vendor", default="cms", choices=sorted(VENDORS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=int, default=500, help="samples a second")
    parser.add_argument("--hot", type=int, default=0, help="also the N hottest places of each stage")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    raw, cpu, messages, calls = anyio.run(profile, args.vendor, args.rounds, args.rate)
    counts = classify(raw)
    print(f"{args.vendor}: {args.rounds} reads, {calls} calls, {messages:,} messages, server CPU {cpu:.2f} s, ", end="")
    print(f"{sum(counts.values())} samples")
    print("\n".join(table(counts, cpu, messages)))
    total = sum(counts.values())
    for name, places in hot(raw).items() if args.hot else ():
        print(f"\n{name}:")
        for where, n in places.most_common(args.hot):
            print(f"  {n / total:6.1%}  {where}")


if __name__ == "__main__":
    main()
