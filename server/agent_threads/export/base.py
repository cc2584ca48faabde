"""What every export writer shares: the writer protocol and one way to write times."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Protocol, TextIO

from ..transcript import Message


class Writer(Protocol):
    """Receives a thread as it is read: ``start`` once, ``message`` for each message in order, ``end`` once."""

    def __init__(self, out: TextIO, ref: str) -> None: ...
    def start(self, title: str | None, status: str | None) -> None: ...
    def message(self, m: Message) -> None: ...
    def end(self, count: int) -> None: ...


def iso_z(when: datetime) -> str:
    """The one way exports write a time: ISO 8601 in UTC with ``Z`` (``2026-05-18T03:40:05Z``)."""
    return when.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
