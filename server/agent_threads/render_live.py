"""The text of a followed turn (``render.py``'s part for it): the result of ``stream_chat`` and its progress."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from .redact import mask_secrets
from .render import Renderer, untrusted
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


def progress_text(transcript: Transcript, secrets: Sequence[str] = (), held: Mapping[str, int] | None = None) -> str:
    """A progress notification's message: the latest message's text so far (its last 2,000 characters, this
    server's own credentials masked), with what a bounded follow did not keep (``held``, by id) counted."""
    last = transcript.messages[-1] if transcript.messages else None
    if last is None:
        return ""
    text = last.text or next((getattr(p, "text", "") for p in reversed(last.parts) if getattr(p, "text", "")), "")
    more = (held or {}).get(str(last.id), 0)
    return f"{last.role}: {untrusted(mask_secrets(text, secrets)[-2000:])}" + (f"…(+{more} chars)" if more else "")
