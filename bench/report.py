"""What a benchmark run measured and how it is written down: the run's ``Report``, its headline figures against
their targets, ``bench/results.md`` and the README's figures table."""

from __future__ import annotations

import datetime
import math
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

import coldstart
import compact
import paging
import stream
from common import ROOT
from tables import corpus_rows, num, other_rows, paging_rows, row

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
            "paging_vs_floor": " · ".join(f"{p.vendor} {num(p.vs_floor, 2)}" for p in paging),
            "paging_vs_official_sdk": " · ".join(f"{p.vendor} {num(p.vs_sdk, 2)}" for p in paging if p.sdk),
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


# ---- output -------------------------------------------------------------------------------------------

NOTES = {
    "compact_ratio": "the line format's own markup (`#seq` 9.8 %, role labels 6.9 % of the tokens) is what is left",
    "compact_ratio_small": "",
    "calls_per_thread": "",
    "paging_vs_floor": "CPU-bound: ~118 µs of server CPU per message, index write-through ~43 of it",
    "paging_vs_official_sdk": "STAROps only: the tea SDK builds plain classes, the server ~118 µs per message",
    "stream_path_p50_ms": "",
    "stream_staleness_p99_ms": "",
    "progress_bytes_ratio": "",
    "coldstart_vs_floor": "",
    "rss_mb_100k_messages": "",
}
"""Why a figure misses its target, in one line (the profiles are in bench/README.md)."""


def _met(name: str, value: float | None) -> str:
    if value is None:
        return "not measured"
    return "met" if value <= TARGETS[name] else "MISSED"


def _figure_rows(report: Report) -> list[str]:
    rows = [row("figure", "value", "target", "", "worst of"), row("---", "---", "---", "---", "---")]
    details = report.details()
    for name, value in report.figures().items():
        digits = 2 if name.endswith(("_ms", "_mb_100k_messages")) else 3
        met = _met(name, value)
        rows.append(row(f"`{name}`", num(value, digits), f"≤ {TARGETS[name]:g}", met, details.get(name, "")))
    return rows


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


_PAGING = (
    "Best of {repeats} interleaved run(s). Tool: the server as a child on stdio, a raw JSON-RPC client following "
    "`next_cursor` (`limit={limit}`, `budget_tokens={budget}`). Floor: bare httpx fetching the same vendor pages, "
    "cursor found by byte search, no parsing. SDK: the official SDK paging the same thread with its largest page "
    f"size. The headline figures are the worst of {', '.join(HEADLINE_PAGING)}."
)


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
        "JSON). `text only` leaves `structuredContent` out; `samples only` leaves the generated thread out; "
        f"`≤ {compact.SMALL} messages` pools the threads that short (how many). `calls / fewest`: tool calls "
        "against the fewest the limit and budget allow.",
        "",
        *corpus_rows(report.corpora),
        "",
        "## Paging",
        "",
        _PAGING.format(repeats=report.mode.repeats, limit=paging.LIMIT, budget=paging.BUDGET),
        "",
        *paging_rows(report.paging),
        "",
        "## RSS, cold start, streaming",
        "",
        *other_rows(report.rss, report.cold, report.stream),
    ]
    return "\n".join(lines + _failures(report)) + "\n"


def _failures(report: Report) -> list[str]:
    """What could not be measured, and the facts the model did not receive."""
    lines: list[str] = []
    if report.errors:
        lines += ["", "## Not measured", "", *[f"- {name}: {why}" for name, why in report.errors.items()]]
    missing = [(c.vendor, f) for c in report.corpora for f in c.missing]
    if missing:
        facts = [f"- {v}: {f.kind} {f.options[0][:80]!r}" for v, f in missing[:50]]
        lines += ["", "## Missing facts (benchmark FAILED)", "", *facts]
    return lines


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
