"""The tables of a benchmark report: the corpus per vendor, paging per vendor, and the other measurements."""

from __future__ import annotations

import math

import coldstart
import compact
import paging
import stream
from common import percentile
from vendors import VENDORS


def num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def corpus_rows(corpora: list[compact.Corpus]) -> list[str]:
    head = ("vendor", "threads", "messages", "calls / fewest", "model tokens (text + structured)", "raw vendor tokens")
    rows = [
        row(*head, "ratio", "text only", "samples only", f"≤ {compact.SMALL} messages", "facts", "missing"),
        row(*["---"] * 12),
    ]
    for c in corpora:
        if c.error:
            rows.append(row(c.vendor, *["–"] * 10, f"not measured: {c.error}"))
            continue
        t, s, small = c.total(), c.total(samples_only=True), c.total(at_most=compact.SMALL)
        tokens = f"{t.model_tokens} ({t.text_tokens} + {t.structured_tokens})"
        ratios = (
            num(t.ratio()),
            num(t.ratio(t.text_tokens)),
            num(s.ratio()),
            f"{num(small.ratio())} ({small.threads})",
        )
        calls = f"{t.pages} / {t.fewest}"
        rows.append(row(c.vendor, t.threads, t.messages, calls, tokens, t.raw_tokens, *ratios, c.facts, len(c.missing)))
    return rows


def paging_rows(pagings: list[paging.Paging]) -> list[str]:
    head = ("vendor", "thread", "tool s", "floor s", "SDK s", "vs floor", "vs SDK", "tool calls / fewest")
    rows = [
        row(*head, "vendor requests (tool / floor / SDK)", "messages read", "SDK on the tool's pages"),
        row(*["---"] * 11),
    ]
    best = paging.Paging.best
    for p in pagings:
        requests = " / ".join(str(r[0].requests) if r else "–" for r in (p.tool, p.floor, p.sdk))
        same = "–"
        if p.sdk_same:
            ratio = num(best(p.tool) / best(p.sdk_same), 2)
            same = f"{num(best(p.sdk_same), 2)} s, {p.sdk_same[0].requests} requests: tool {ratio}×"
        sdk = (num(best(p.sdk), 2), num(p.vs_sdk, 2)) if p.sdk else ("–", "–")
        thread = f"{p.units:,} {VENDORS[p.vendor].unit}"
        times = (num(best(p.tool), 2), num(best(p.floor), 2), sdk[0], num(p.vs_floor, 2), sdk[1])
        calls = f"{p.tool[0].calls} / {p.tool[0].fewest}"
        rows.append(row(p.vendor, thread, *times, calls, requests, f"{p.tool[0].messages:,}", same))
    return rows


def other_rows(rss: paging.Rss | None, cold: coldstart.ColdStart | None, s: stream.Stream | None) -> list[str]:
    rows = [row("measurement", "result"), row("---", "---")]
    if rss:
        r = rss
        read = f"{r.read.calls} calls, {r.read.messages:,} messages, {r.read.seconds:.1f} s"
        rows.append(
            row(
                f"server RSS, {r.units:,}-event Qoder thread read end to end",
                f"peak {r.peak_mb:.1f} MiB (after start-up {r.idle_mb:.1f} MiB; {read})",
            )
        )
    if cold:
        c = cold
        what = f"cold start to `tools/list`, {len(c.ours)} rounds (`{c.command}`, {c.tools} tools, all vendors set)"
        wall = f"median {c.wall_ms():.0f} ms vs floor {c.wall_ms(ours=False):.0f} ms"
        rows.append(row(what, f"{wall}; CPU {c.cpu_ms():.0f} ms vs {c.cpu_ms(ours=False):.0f} ms"))
    if s and not s.error:
        rows.extend(stream_rows(s))
    return rows


def stream_rows(s: stream.Stream) -> list[str]:
    def ms(values: list[float]) -> str:
        return f"p50 {num(percentile(values, 50), 1)} ms · p99 {num(percentile(values, 99), 1)} ms"

    step, quiet = f"{stream.STEP_S * 1000:g} ms", f"{stream.QUIET_S:g} s"
    answer = f"{stream.ANSWER_CHARS:,}-character answer in {stream.DELTA_CHARS}-character deltas every {step}"
    return [
        row(
            f"stream staleness: each delta every {step} (sandbox writes it → first progress showing it), "
            f"{len(s.staleness_ms)} of {s.deltas} deltas",
            ms(s.staleness_ms),
        ),
        row(
            f"stream path: each delta after {quiet} without a frame → its progress, {len(s.path_ms)} of "
            f"{s.quiet_deltas} deltas",
            ms(s.path_ms),
        ),
        row(
            f"progress bytes: a {answer}",
            f"{s.progress_notes} notifications, {s.progress_bytes:,} bytes for {s.answer_bytes:,} bytes of answer: "
            f"{num(s.progress_ratio, 2)}×",
        ),
    ]
