"""Run the benchmarks: ``uv run python bench/run.py [--quick] [--json] [--write]``.

Prints a readable table and last one JSON line with the headline figures. With ``--write`` it also writes
``bench/results.md`` and the figures table of the README (between its ``bench:begin``/``bench:end`` markers);
without it, no tracked file changes. Exits 1 when a fact of the reference corpus is missing from what the model
received (or a figure could not be measured at all); a missed target is reported, not fatal.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

import coldstart
import compact
import paging
import stream
from common import (
    BENCH,
    FAILURES,
    RpcClient,
    SandboxProc,
    first_line,
    sandbox_process,
    server_command,
    server_process,
)
from index_report import section_of
from report import Mode, Report, markdown, update_readme
from vendors import VENDORS, Vendor

CORPUS = {"qoder": 200, "cms": 260, "dms": 1000, "rdsai": 100, "dataagent": 100}
"""Size of each vendor's generated thread in the corpus (its own unit), so that each vendor reaches >= 200
transcript messages alongside its hand-written sample threads."""
QUICK = Mode("quick", CORPUS, {"qoder": 10_000, "cms": 10_000}, 1, 100_000, 3, 1)
FULL = Mode(
    "full",
    CORPUS,
    {"qoder": 10_000, "cms": 10_000, "rdsai": 5_000, "dataagent": 5_000, "dms": 10_000},
    3,
    100_000,
    15,
    6,
)
T = TypeVar("T")


async def _guard(report: Report, name: str, seconds: float, run: Callable[[], Awaitable[T]]) -> T | None:
    """One figure's run, bounded in time; a failure is recorded and the run goes on."""
    try:
        with anyio.fail_after(seconds):
            return await run()
    except FAILURES as e:
        report.errors[name] = first_line(e)
        return None


async def run_corpus(report: Report, vendors: list[Vendor]) -> None:
    """In a child process, so that its CPU-bound work does not stall this loop's RSS client meanwhile."""
    spec = {v.name: report.mode.corpus_units[v.name] for v in vendors}
    found = await _guard(report, "corpus", 600, lambda: compact.in_child(spec))
    report.corpora.extend(found or [compact.Corpus(v.name, error=report.errors.get("corpus")) for v in vendors])


async def run_paging(report: Report, vendors: list[Vendor]) -> None:
    """One sandbox child serving every measured vendor's big thread, one server child: each vendor in turn."""
    chosen = [(v, report.mode.paging_units[v.name]) for v in vendors if v.name in report.mode.paging_units]
    options = {v.big_option: units for v, units in chosen}
    families = [v.family for v, _ in chosen]
    same_pages = report.mode.name == "full"

    async def each(sandbox: SandboxProc, client: RpcClient) -> None:
        for v, units in chosen:
            with_sdk = v.name in report.mode.sdks

            async def one(v: Vendor = v, n: int = units, sdk: bool = with_sdk) -> paging.Paging:
                return await paging.measure(
                    client, sandbox, v, n, report.mode.repeats, with_sdk=sdk, same_pages=same_pages
                )

            found = await _guard(report, f"paging {v.name}", 900, one)
            if found:
                report.paging.append(found)

    async def run() -> None:
        async with sandbox_process(options, families) as sandbox:
            async with server_process(sandbox.env, server_command(families)) as client:
                await each(sandbox, client)

    await _guard(report, "paging", 3600, run)


async def run_rss(report: Report) -> None:
    vendor, units = VENDORS["qoder"], report.mode.rss_units

    async def one() -> paging.Rss:
        async with sandbox_process({vendor.big_option: units}, [vendor.family]) as sandbox:
            return await paging.measure_rss(sandbox, vendor, units)

    report.rss = await _guard(report, "rss qoder", 900, one)


async def run_all(mode: Mode) -> Report:
    report = Report(mode)
    start = time.perf_counter()
    vendors = list(VENDORS.values())
    mark = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal mark
        report.phases[name] = time.perf_counter() - mark
        mark = time.perf_counter()

    async with anyio.create_task_group() as tg:  # neither figure is a time: they may share the machine
        tg.start_soon(run_rss, report)
        await run_corpus(report, vendors)
    phase("corpus + RSS")
    await run_paging(report, vendors)
    phase("paging")
    command = server_command(coldstart.FAMILIES)
    report.cold = await _guard(report, "coldstart", 300, lambda: coldstart.measure(mode.coldstart_rounds, command))
    phase("cold start")
    report.stream = await _guard(report, "stream", 300, lambda: stream.measure(mode.stream_turns))
    phase("stream")
    report.seconds = time.perf_counter() - start
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the smaller run (~50 s on 2 idle cores)")
    parser.add_argument(
        "--json", action="store_true", help="print only the final JSON line on stdout (the table goes to stderr)"
    )
    parser.add_argument("--write", action="store_true", help="write bench/results.md and the README's figures table")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the in-process server and sandbox log every request at INFO
    report = anyio.run(run_all, QUICK if args.quick else FULL)
    text = markdown(report)
    print(text, file=sys.stderr if args.json else sys.stdout)
    if args.write:
        results = BENCH / "results.md"
        kept = section_of(results.read_text(encoding="utf-8")) if results.exists() else ""  # bench/index.py's
        results.write_text(text + (f"\n{kept}" if kept else ""), encoding="utf-8")
        update_readme(report)
    figures = {k: (round(v, 4) if v is not None else None) for k, v in report.figures().items()}
    print(json.dumps(figures))
    if report.missing_facts() or any(v is None for v in figures.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
