"""The text of a followed turn (``render.py``'s part for it): the result of ``stream_chat`` and its progress."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from .render import Renderer, untrusted
from .shaping import clean
from .transcript import Transcript, TurnResult


def turn_text(
    result: TurnResult, timeout_s: float, *, left_out: int = 0, since: datetime | None = None, full: bool = False
) -> str:
    """A followed turn: its messages, whether it ended, and the checkpoint to continue from. ``left_out``: earlier
    messages of the turn over the budget (``since``: the turn's first time, to read them with); ``full``: it
    stopped at a checkpoint because the turn grew past what one call gathers."""
    renderer = Renderer()
    lines = [f"{untrusted(result.thread)} · live turn · times UTC"]
    if left_out:
        read = f"since='{since.isoformat().replace('+00:00', 'Z')}'" if since else "cursor=None"
        lines.append(
            f"[{left_out} earlier messages of this turn left out at the output budget: "
            f"get_thread_messages(thread='{result.thread}', {read}) reads them]"
        )
    lines.extend(renderer.message(m) for m in result.messages)
    if not result.messages:
        lines.append("(nothing new yet)")
    if any("…(+" in line for line in lines):
        lines.append("[…(+N chars): shortened; get_thread_messages with detail='full' shows it all once stored]")
    ended = f"turn ended{f' ({untrusted(result.stop_reason)})' if result.stop_reason else ''}"
    stopped = (
        "stopped at this call's size bound, not at the turn's end" if full else f"still running after {timeout_s:g}s"
    )
    lines.append(ended if result.ended else f"{stopped}; call stream_chat again with this checkpoint to continue")
    lines.append(f"checkpoint: {result.checkpoint}" if result.checkpoint else "checkpoint: none")
    return "\n".join(lines)


TAIL = 200
"""Characters of the latest text a progress notification carries at most (with the text's length), so a long
answer costs the wire about what it says, not what it says times the number of notifications."""
MARGIN = 2_000
"""How far before the tail the text is cleaned and masked (from a line start), so a secret is masked whole."""


def progress_text(
    transcript: Transcript, secrets: Sequence[str] = (), held: Mapping[str, int] | None = None, *, redact: bool = True
) -> str:
    """A progress notification's message: the newest text of the turn (the last message that has any, so a
    finished thought is not lost behind a tool call), whole when short, else its length and its cleaned, masked
    tail; what a bounded follow did not keep (``held``, by id) counted."""
    for message in reversed(transcript.messages):
        parts = (getattr(p, "text", None) or "" for p in reversed(message.parts))
        text = message.text or next((t for t in parts if t), "")
        if text:
            tail = untrusted(_tail(text, redact, tuple(secrets)))
            more = (held or {}).get(str(message.id), 0)
            extra = f"…(+{more} chars)" if more else ""
            if len(text) <= TAIL:
                return f"{message.role}: {tail}{extra}"
            return f"{message.role} ({len(text) + more} chars): …{tail}{extra}"
    return ""


def _tail(text: str, redact: bool, secrets: tuple[str, ...]) -> str:
    start = max(0, len(text) - TAIL - MARGIN)
    if start:  # from a line start, so a secret's name and value are masked together (else the whole text)
        newline = text.find("\n", start, len(text) - TAIL)
        start = newline + 1 if newline >= 0 else 0
    return clean(text[start:], redact=redact, secrets=secrets)[-TAIL:]
