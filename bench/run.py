"""Run the benchmarks: ``uv run python bench/run.py [--quick] [--json] [--write]``.

Prints a readable table and last one JSON line with the headline figures. With ``--write`` it also writes
``bench/results.md`` and the figures table of the README (between its ``bench:begin``/``bench:end`` markers);
without it, no tracked file changes. Exits 1 when a fact of the reference corpus is missing from what the model
received (or a figure could not be measured at all); a missed target is reported, not fatal.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import math
import os
import platform
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
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
    ROOT,
    RpcClient,
    SandboxProc,
    first_line,
    percentile,
    sandbox_process,
    server_command,
    server_process,
)
from vendors import VENDORS, Vendor

TARGETS = {
    "compact_ratio": 0.17,
    "compact_ratio_small": 0.22,
    "calls_per_thread": 1.1,
    "paging_vs_floor": 1.6,
    "paging_vs_official_sdk": 1.0,
    "stream_path_p50_ms": 5.0,
    "stream_staleness_p99_ms": 150.0,
    "progress_bytes_ratio": 8.0,
    "coldstart_vs_floor": 1.10,
    "rss_mb_100k_messages": 120.0,
}
T = TypeVar("T")


@dataclass(frozen=True)
class Mode:
    name: str
    corpus_units: dict[str, int]
    paging_units: dict[str, int]
    repeats: int
    rss_units: int
    coldstart_rounds: int
    stream_turns: int
    sdks: tuple[str, ...] = ("qoder", "cms")
    """Vendors whose official SDK is timed."""


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
HEADLINE_PAGING = ("qoder", "cms")
"""The vendors of the headline paging figures (those with an official SDK to compare with); the others are
shown in the table."""


@dataclass
class Report:
    mode: Mode
    corpora: list[compact.Corpus] = field(default_factory=list[compact.Corpus])
    paging: list[paging.Paging] = field(default_factory=list[paging.Paging])
    rss: paging.Rss | None = None
    cold: coldstart.ColdStart | None = None
    stream: stream.Stream | None = None
    errors: dict[str, str] = field(default_factory=dict[str, str])
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict[str, float])

    def figures(self) -> dict[str, float | None]:
        s = self.stream if self.stream and not self.stream.error else None
        return {
            "compact_ratio": self.pooled(),
            "compact_ratio_small": self.pooled(at_most=compact.SMALL),
            "calls_per_thread": self.calls_per_thread(),
            "paging_vs_floor": _worst([p.vs_floor for p in self.headline_paging()]),
            "paging_vs_official_sdk": _worst([p.vs_sdk for p in self.headline_paging() if p.sdk]),
            "stream_path_p50_ms": s.path(50) if s and s.path_ms else None,
            "stream_staleness_p99_ms": s.staleness(99) if s and s.staleness_ms else None,
            "progress_bytes_ratio": s.progress_ratio if s and s.answer_bytes else None,
            "coldstart_vs_floor": self.cold.ratio if self.cold else None,
            "rss_mb_100k_messages": self.rss.peak_mb if self.rss else None,
        }

    def details(self) -> dict[str, str]:
        """What a headline figure is the worst of, where it is one."""
        paging = self.headline_paging()
        return {
            "paging_vs_floor": " · ".join(f"{p.vendor} {_f(p.vs_floor, 2)}" for p in paging),
            "paging_vs_official_sdk": " · ".join(f"{p.vendor} {_f(p.vs_sdk, 2)}" for p in paging if p.sdk),
        }

    def headline_paging(self) -> list[paging.Paging]:
        return [p for p in self.paging if p.vendor in HEADLINE_PAGING]

    def totals(self, at_most: int | None = None) -> list[compact.Stats]:
        return [c.total(at_most=at_most) for c in self.corpora if not c.error]

    def pooled(self, at_most: int | None = None) -> float | None:
        measured = self.totals(at_most)
        raw = sum(s.raw_tokens for s in measured)
        return sum(s.model_tokens for s in measured) / raw if raw else None

    def calls_per_thread(self) -> float | None:
        """Tool calls ÷ the fewest possible, over every thread read to its end: the corpus and the paging threads.
        A thread read in fewer calls than its fewest (pages over ``limit``) counts as read in its fewest, so one
        vendor's oversized pages cannot hide another's extra calls."""
        threads = [(s.pages, s.fewest) for c in self.corpora if not c.error for s in c.threads.values()]
        threads += [(p.tool[0].calls, p.tool[0].fewest) for p in self.paging if p.tool]
        fewest = sum(f for _, f in threads)
        return sum(max(calls, f) for calls, f in threads) / fewest if fewest else None

    def missing_facts(self) -> int:
        return sum(len(c.missing) for c in self.corpora)


def _worst(values: list[float]) -> float | None:
    finite = [v for v in values if not math.isnan(v)]
    return max(finite) if finite else None


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


# ---- output -------------------------------------------------------------------------------------------

NOTES = {
    "compact_ratio": "",
    "compact_ratio_small": "",
    "calls_per_thread": "",
    "paging_vs_floor": "",
    "paging_vs_official_sdk": "",
    "stream_path_p50_ms": "",
    "stream_staleness_p99_ms": "",
    "progress_bytes_ratio": "",
    "coldstart_vs_floor": "",
    "rss_mb_100k_messages": "",
}
"""Why a figure misses its target, in one line (the profiles are in bench/README.md)."""


def _f(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _met(name: str, value: float | None) -> str:
    if value is None:
        return "not measured"
    return "met" if value <= TARGETS[name] else "MISSED"


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _figure_rows(report: Report) -> list[str]:
    rows = [_row("figure", "value", "target", "", "worst of"), _row("---", "---", "---", "---", "---")]
    details = report.details()
    for name, value in report.figures().items():
        digits = 2 if name.endswith(("_ms", "_mb_100k_messages")) else 3
        met = _met(name, value)
        rows.append(_row(f"`{name}`", _f(value, digits), f"≤ {TARGETS[name]:g}", met, details.get(name, "")))
    return rows


def _corpus_rows(report: Report) -> list[str]:
    head = ("vendor", "threads", "messages", "calls / fewest", "model tokens (text + structured)", "raw vendor tokens")
    rows = [
        _row(*head, "ratio", "text only", "samples only", f"≤ {compact.SMALL} messages", "facts", "missing"),
        _row(*["---"] * 12),
    ]
    for c in report.corpora:
        if c.error:
            rows.append(_row(c.vendor, *["–"] * 10, f"not measured: {c.error}"))
            continue
        t, s, small = c.total(), c.total(samples_only=True), c.total(at_most=compact.SMALL)
        tokens = f"{t.model_tokens} ({t.text_tokens} + {t.structured_tokens})"
        ratios = (_f(t.ratio()), _f(t.ratio(t.text_tokens)), _f(s.ratio()), f"{_f(small.ratio())} ({small.threads})")
        calls = f"{t.pages} / {t.fewest}"
        rows.append(
            _row(c.vendor, t.threads, t.messages, calls, tokens, t.raw_tokens, *ratios, c.facts, len(c.missing))
        )
    return rows


def _paging_rows(report: Report) -> list[str]:
    head = ("vendor", "thread", "tool s", "floor s", "SDK s", "vs floor", "vs SDK", "tool calls / fewest")
    rows = [
        _row(*head, "vendor requests (tool / floor / SDK)", "messages read", "SDK on the tool's pages"),
        _row(*["---"] * 11),
    ]
    best = paging.Paging.best
    for p in report.paging:
        requests = " / ".join(str(r[0].requests) if r else "–" for r in (p.tool, p.floor, p.sdk))
        same = "–"
        if p.sdk_same:
            ratio = _f(best(p.tool) / best(p.sdk_same), 2)
            same = f"{_f(best(p.sdk_same), 2)} s, {p.sdk_same[0].requests} requests: tool {ratio}×"
        sdk = (_f(best(p.sdk), 2), _f(p.vs_sdk, 2)) if p.sdk else ("–", "–")
        thread = f"{p.units:,} {VENDORS[p.vendor].unit}"
        times = (_f(best(p.tool), 2), _f(best(p.floor), 2), sdk[0], _f(p.vs_floor, 2), sdk[1])
        calls = f"{p.tool[0].calls} / {p.tool[0].fewest}"
        rows.append(_row(p.vendor, thread, *times, calls, requests, f"{p.tool[0].messages:,}", same))
    return rows


def _other_rows(report: Report) -> list[str]:
    rows = [_row("measurement", "result"), _row("---", "---")]
    if report.rss:
        r = report.rss
        read = f"{r.read.calls} calls, {r.read.messages:,} messages, {r.read.seconds:.1f} s"
        rows.append(
            _row(
                f"server RSS, {r.units:,}-event Qoder thread read end to end",
                f"peak {r.peak_mb:.1f} MiB (after start-up {r.idle_mb:.1f} MiB; {read})",
            )
        )
    if report.cold:
        c = report.cold
        what = f"cold start to `tools/list`, {len(c.ours)} rounds (`{c.command}`, {c.tools} tools, all vendors set)"
        wall = f"median {c.wall_ms():.0f} ms vs floor {c.wall_ms(ours=False):.0f} ms"
        rows.append(_row(what, f"{wall}; CPU {c.cpu_ms():.0f} ms vs {c.cpu_ms(ours=False):.0f} ms"))
    if report.stream and not report.stream.error:
        rows.extend(_stream_rows(report.stream))
    return rows


def _stream_rows(s: stream.Stream) -> list[str]:
    def ms(values: list[float]) -> str:
        return f"p50 {_f(percentile(values, 50), 1)} ms · p99 {_f(percentile(values, 99), 1)} ms"

    step, quiet = f"{stream.STEP_S * 1000:g} ms", f"{stream.QUIET_S:g} s"
    answer = f"{stream.ANSWER_CHARS:,}-character answer in {stream.DELTA_CHARS}-character deltas every {step}"
    return [
        _row(
            f"stream staleness: each delta every {step} (sandbox writes it → first progress showing it), "
            f"{len(s.staleness_ms)} of {s.deltas} deltas",
            ms(s.staleness_ms),
        ),
        _row(
            f"stream path: each delta after {quiet} without a frame → its progress, {len(s.path_ms)} of "
            f"{s.quiet_deltas} deltas",
            ms(s.path_ms),
        ),
        _row(
            f"progress bytes: a {answer}",
            f"{s.progress_notes} notifications, {s.progress_bytes:,} bytes for {s.answer_bytes:,} bytes of answer: "
            f"{_f(s.progress_ratio, 2)}×",
        ),
    ]


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        lines = cpuinfo.read_text().splitlines()
        cpu = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), cpu)
    system = f"{platform.system()} {platform.release()}"
    return f"{cpu}, {os.cpu_count()} CPUs, {system}, Python {platform.python_version()}"


def _notes(report: Report) -> list[str]:
    missed = [name for name, value in report.figures().items() if value is not None and value > TARGETS[name]]
    if not missed:
        return []
    lines = [
        "",
        "## Targets missed",
        "",
        "Cause in one line; the profiles and the proposed fixes are in [README.md](README.md#why-targets-are-missed).",
        "",
    ]
    return lines + [f"- `{name}`: {NOTES[name] or 'see the README'}." for name in missed]


def markdown(report: Report) -> str:
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = f"uv run python bench/run.py{' --quick' if report.mode.name == 'quick' else ''}"
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `{command}` on {when}, {report.mode.name} mode, {report.seconds:.0f} s "
        f"({', '.join(f'{name} {seconds:.0f} s' for name, seconds in report.phases.items())}).",
        f"Machine: {_machine()}. Shared and noisy: compare the ratios (measured side by side in the same run), "
        "not the seconds.",
        "",
        "## Headline figures",
        "",
        *_figure_rows(report),
        *_notes(report),
        "",
        "## compact_ratio per vendor",
        "",
        "cl100k tokens of everything `get_thread_messages` returned over whole threads (text content + compact "
        "JSON of `structuredContent`, every page) ÷ tokens of the distinct raw vendor replies behind them (compact "
        "JSON). `text only` leaves `structuredContent` out; `samples only` leaves the generated thread out.",
        "",
        *_corpus_rows(report),
        "",
        "## Paging",
        "",
        f"Best of {report.mode.repeats} interleaved run(s). Tool: the server as a child on stdio, a raw JSON-RPC "
        f"client following `next_cursor` (`limit={paging.LIMIT}`, `budget_tokens={paging.BUDGET}`). Floor: bare "
        "httpx fetching the same vendor pages, cursor found by byte search, no parsing. SDK: the official SDK "
        "paging the same thread with its largest page size. The headline figures are the worst of "
        f"{', '.join(HEADLINE_PAGING)}.",
        "",
        *_paging_rows(report),
        "",
        "## RSS, cold start, streaming",
        "",
        *_other_rows(report),
    ]
    if report.errors:
        lines += ["", "## Not measured", "", *[f"- {name}: {why}" for name, why in report.errors.items()]]
    missing = [(c.vendor, f) for c in report.corpora for f in c.missing]
    if missing:
        facts = [f"- {v}: {f.kind} {f.options[0][:80]!r}" for v, f in missing[:50]]
        lines += ["", "## Missing facts (benchmark FAILED)", "", *facts]
    return "\n".join(lines) + "\n"


def update_readme(report: Report) -> bool:
    """Refresh the figures table between the README's bench markers; False when the markers are absent."""
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    if begin not in text or end not in text:
        return False
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    table = "\n".join(_figure_rows(report))
    when = datetime.date.today().isoformat()
    where = "details, machine and per-vendor figures in [bench/results.md](bench/results.md)"
    body = f"\n{table}\n\n{report.mode.name.capitalize()} run of {when}; {where}.\n"
    readme.write_text(head + begin + body + end + tail, encoding="utf-8")
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the smaller run (~45 s on 2 idle cores)")
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
        (BENCH / "results.md").write_text(text, encoding="utf-8")
        update_readme(report)
    figures = {k: (round(v, 4) if v is not None else None) for k, v in report.figures().items()}
    print(json.dumps(figures))
    if report.missing_facts() or any(v is None for v in figures.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
