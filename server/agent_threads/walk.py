"""Walking a vendor's pages without trusting them to end or to be unique.

A ``Walk`` rides along one read of a thread, page after page (in a tool's cursor, or through an export), and
stops three things with a clear ``ProtocolError`` or a note instead of looping or forging:

- a page cursor that comes back (P1 → P2 → P1): the fingerprints of the last few cursors catch a short cycle at
  its first repeat, Brent's saved cursor (renewed after 1, 2, 4, 8… steps) a cycle of any length before the walk
  has read about twice the pages it read until the cycle closed;
- pages that are empty yet say more follows: ``MAX_EMPTY`` of them in a row end the walk;
- a message id seen before, on the same page or at the end of the previous one: the first copy is kept (it may
  already have been shown, and an id is a promise the vendor made first) and the later ones are dropped, named in
  the page's note.

Its state is a few short strings and numbers, so it fits in a sealed cursor.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii
from typing import Any

from .errors import ProtocolError
from .transcript import Message

RECENT = 8
"""Page cursors, and message ids of the previous page, remembered by fingerprint."""
MAX_EMPTY = 20
"""Empty pages in a row, each saying more follows, before the walk gives up."""
HINT = "The pages read before this one are complete; export or read again later, and report it if it persists."


def fingerprint(value: Any) -> str:
    """A short stable digest of a JSON-like value (a page cursor, a message id)."""
    if type(value) is str:  # a message id, once a message: its JSON text without json.dumps' set-up (3x faster)
        text = encode_basestring_ascii(value)
    else:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


@dataclass
class Walk:
    recent: list[str] = field(default_factory=list[str])
    """Fingerprints of the last RECENT page cursors moved to."""
    mark: str = ""
    """Brent's saved cursor: a cycle longer than RECENT comes back to it."""
    steps: int = 0
    power: int = 1
    empty: int = 0
    """Empty pages in a row so far."""
    tail: list[str] = field(default_factory=list[str])
    """Fingerprints of the last message ids of the previous page (vendors that repeat a page's last message)."""

    @classmethod
    def load(cls, raw: Sequence[Any] | None) -> Walk:
        if not raw:
            return cls()
        recent, mark, steps, power, empty, tail = raw
        return cls(_split(recent), str(mark), int(steps), int(power), int(empty), _split(tail))

    def dump(self) -> list[Any]:
        return ["".join(self.recent), self.mark, self.steps, self.power, self.empty, "".join(self.tail)]

    def unique(self, messages: list[Message], first: int | None = None) -> tuple[list[Message], list[str]]:
        """The page's messages with each id once (the first copy kept, on this page or the previous one's end) and
        the ids dropped. With ``first`` (the seq before the page), a page that lost some numbers the rest by their
        place on the vendor page, as the index and an export do, so a seq names the same message everywhere."""
        seen = set(self.tail)
        repeats: set[int] = set()
        for place, message in enumerate(messages):
            key = fingerprint(message.id) if message.id else None
            if key is not None and key in seen:
                repeats.add(place)
            elif key is not None:
                seen.add(key)
        if not repeats:
            return messages, []
        kept = [
            m if first is None or m.seq else m.model_copy(update={"seq": first + place + 1})
            for place, m in enumerate(messages)
            if place not in repeats
        ]
        return kept, [str(messages[place].id) for place in sorted(repeats)]

    def step(self, following: Any, ids: Sequence[str | None], *, provider: str) -> None:
        """Record moving from a page whose items have ``ids`` (its messages', its entries' refs) to the page cursor
        ``following``. Raises ProtocolError when that cursor was seen before or too many empty pages came in a
        row."""
        key = fingerprint(following)
        if key in self.recent or key == self.mark:
            raise ProtocolError(
                "the vendor's page cursor went round (a next-page cursor it had already returned came back); "
                "stopped reading instead of looping",
                provider=provider,
                hint=HINT,
            )
        self.empty = self.empty + 1 if not ids else 0
        if self.empty >= MAX_EMPTY:
            raise ProtocolError(
                f"the vendor returned {MAX_EMPTY} empty pages in a row, each saying more follows; stopped reading",
                provider=provider,
                hint=HINT,
            )
        self.recent = [*self.recent[1 - RECENT :], key]
        if ids:
            self.tail = [fingerprint(i) for i in ids[-RECENT:] if i]
        self.steps += 1
        if self.steps == self.power:
            self.mark, self.power, self.steps = key, self.power * 2, 0


def _split(joined: str) -> list[str]:
    return [joined[i : i + 12] for i in range(0, len(joined), 12)]
