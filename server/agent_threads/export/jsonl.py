"""``--format jsonl``: one normalized message per line, each carrying its thread's ref."""

from __future__ import annotations

from typing import TextIO

from ..transcript import Message
from ..wire import compact_json
from .base import iso_z


class JsonlWriter:
    def __init__(self, out: TextIO, ref: str) -> None:
        self.out, self.ref = out, ref

    def start(self, title: str | None, status: str | None) -> None:
        return None

    def message(self, m: Message) -> None:
        row = {"thread": self.ref, **m.model_dump(mode="json", exclude_none=True)}
        if m.time is not None:
            row["time"] = iso_z(m.time)
        self.out.write(compact_json(row) + "\n")

    def end(self, count: int) -> None:
        return None
