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
from common import ROOT, percentile
from vendors import VENDORS

TARGETS = {
    "compact_ratio": 0.20,
    "paging_vs_floor": 1.25,
    "paging_vs_official_sdk": 0.8,
    "coldstart_vs_floor": 1.10,
    "stream_delta_p50_ms": 5.0,
    "rss_mb_100k_messages": 200.0,
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
    stream_paced: bool = True
    """Also time one turn paced slower than the progress throttle (~6 s: full mode only)."""
    """Vendors whose official SDK is timed (qca needs ~20 s for the 10,000-event thread: full mode only)."""


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
        return {
            "compact_ratio": self.compact_ratio(),
            "paging_vs_floor": _worst([p.vs_floor for p in self.paging if p.vendor in HEADLINE_PAGING]),
            "paging_vs_official_sdk": _worst([p.vs_sdk for p in self.paging if p.vendor in HEADLINE_PAGING and p.sdk]),
            "coldstart_vs_floor": self.cold.ratio if self.cold else None,
            "stream_delta_p50_ms": self.stream.p(50, per_delta=True)
            if self.stream and self.stream.per_delta_ms
            else None,
            "rss_mb_100k_messages": self.rss.peak_mb if self.rss else None,
        }

    def compact_ratio(self) -> float | None:
        measured = [c.total() for c in self.corpora if not c.error]
        raw = sum(s.raw_tokens for s in measured)
        return sum(s.model_tokens for s in measured) / raw if raw else None

    def missing_facts(self) -> int:
        return sum(len(c.missing) for c in self.corpora)


def _worst(values: list[float]) -> float | None:
    finite = [v for v in values if not math.isnan(v)]
    return max(finite) if finite else None


NOTES = {
    "compact_ratio": "what is left is the transcript text itself (structuredContent is page metadata, <1 %); "
    "RDS AI and DataAgent run highest: their rows carry long tool arguments and reasoning",
    "paging_vs_floor": "the server is CPU-bound at ~9-11 ms per 100-message page (vendor HTTP ~2.5, JSON parse "
    "~1.5, mapping to messages ~3.5, shaping and rendering ~3, MCP framing ~1) against a floor of ~4.5 ms a "
    "page (sandbox + bare httpx); no single cost is large enough to close a 2x gap",
    "paging_vs_official_sdk": "STAROps: the same per-page CPU, against an SDK that parses 100-turn pages into "
    "plain tea models (25 requests; the tool's 100-message pages need 100); qca is 5x slower than the tool",
    "coldstart_vs_floor": "importing `agent_threads` and registering its tools (~75 ms) on top of the floor's "
    "~1 s; the quick run's 3 rounds are noisy, the full run's 15 are the figure to trust",
    "stream_delta_p50_ms": "coalescing to at most 4 notifications a second holds a delta "
    "inside a 0.25 s window until the window ends; deltas paced slower than that reach the client in ~3 ms",
    "rss_mb_100k_messages": "",
}


def _f(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _met(name: str, value: float | None) -> str:
    if value is None:
        return "not measured"
    return "met" if value <= TARGETS[name] else "MISSED"


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _figure_rows(report: Report) -> list[str]:
    rows = [_row("figure", "value", "target", ""), _row("---", "---", "---", "---")]
    for name, value in report.figures().items():
        digits = 2 if name.endswith(("_ms", "_mb_100k_messages")) else 3
        rows.append(_row(f"`{name}`", _f(value, digits), f"≤ {TARGETS[name]:g}", _met(name, value)))
    return rows


def _corpus_rows(report: Report) -> list[str]:
    head = ("vendor", "threads", "messages", "pages", "model tokens (text + structured)", "raw vendor tokens", "ratio")
    rows = [_row(*head, "text only", "samples only", "facts", "missing"), _row(*["---"] * 11)]
    for c in report.corpora:
        if c.error:
            rows.append(_row(c.vendor, *["–"] * 9, f"not measured: {c.error}"))
            continue
        t, s = c.total(), c.total(samples_only=True)
        tokens = f"{t.model_tokens} ({t.text_tokens} + {t.structured_tokens})"
        ratios = (_f(t.ratio()), _f(t.ratio(t.text_tokens)), _f(s.ratio()))
        rows.append(
            _row(c.vendor, t.threads, t.messages, t.pages, tokens, t.raw_tokens, *ratios, c.facts, len(c.missing))
        )
    return rows


def _paging_rows(report: Report) -> list[str]:
    head = ("vendor", "thread", "tool s", "floor s", "SDK s", "vs floor", "vs SDK", "tool calls")
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
        rows.append(_row(p.vendor, thread, *times, p.tool[0].calls, requests, f"{p.tool[0].messages:,}", same))
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
    if report.stream:
        s = report.stream
        rows.append(
            _row(
                f"stream, per delta (sandbox writes it → first progress showing it), {len(s.per_delta_ms)} "
                f"of {s.deltas} deltas",
                f"p50 {_f(s.p(50, per_delta=True), 1)} ms · p99 {_f(s.p(99, per_delta=True), 1)} ms",
            )
        )
        if s.paced_ms:
            rows.append(
                _row(
                    f"stream, per delta on a turn paced at {stream.PACED_STEP_S:g} s (slower than the throttle's "
                    f"window: none held back), {len(s.paced_ms)} deltas",
                    f"p50 {_f(percentile(s.paced_ms, 50), 2)} ms · p99 {_f(percentile(s.paced_ms, 99), 2)} ms",
                )
            )
        rows.append(
            _row(
                f"stream, pipeline (progress received − its frame written), {len(s.pipeline_ms)} notifications",
                f"p50 {_f(s.p(50), 2)} ms · p99 {_f(s.p(99), 2)} ms",
            )
        )
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
    return lines + [f"- `{name}`: {NOTES[name]}." for name in missed]


def markdown(report: Report) -> str:
    lines = [*_heading(report), *_figure_rows(report), *_notes(report), *_corpus_section(report)]
    lines += [*_paging_section(report), "", "## RSS, cold start, streaming", "", *_other_rows(report)]
    if report.errors:
        lines += ["", "## Not measured", "", *[f"- {name}: {why}" for name, why in report.errors.items()]]
    missing = [(c.vendor, f) for c in report.corpora for f in c.missing]
    if missing:
        facts = [f"- {v}: {f.kind} {f.options[0][:80]!r}" for v, f in missing[:50]]
        lines += ["", "## Missing facts (benchmark FAILED)", "", *facts]
    return "\n".join(lines) + "\n"


def _heading(report: Report) -> list[str]:
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = f"uv run python bench/run.py{' --quick' if report.mode.name == 'quick' else ''}"
    return [
        "# Benchmark results",
        "",
        f"Generated by `{command}` on {when}, {report.mode.name} mode, {report.seconds:.0f} s "
        f"({', '.join(f'{name} {seconds:.0f} s' for name, seconds in report.phases.items())}).",
        f"Machine: {_machine()}. Shared and noisy: compare the ratios (measured side by side in the same run), "
        "not the seconds.",
        "",
        "## Headline figures",
        "",
    ]


def _corpus_section(report: Report) -> list[str]:
    return [
        "",
        "## compact_ratio per vendor",
        "",
        "cl100k tokens of everything `get_thread_messages` returned over whole threads (text content + compact "
        "JSON of `structuredContent`, every page) ÷ tokens of the distinct raw vendor replies behind them (compact "
        "JSON). `text only` leaves `structuredContent` out; `samples only` leaves the generated thread out.",
        "",
        *_corpus_rows(report),
    ]


def _paging_section(report: Report) -> list[str]:
    return [
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
    ]


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
