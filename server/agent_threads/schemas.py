"""Lean output schemas published in ``tools/list``.

Every host puts the tool list into the model's context on every conversation, so the published schemas say
what programs need (fields and part kinds) without spelling out each part model; the structured content
itself is the full normalized page.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from .transcript import PART_KINDS


class MessageView(BaseModel):
    seq: int
    id: str | None = None
    time: str | None = Field(default=None, description="UTC ISO-8601")
    role: str
    author: str | None = None
    text: str = ""
    parts: list[dict[str, Any]] = Field(
        default=[], description=f"Typed parts; 'kind' is one of: {', '.join(PART_KINDS[1:])}."
    )
    vendor: dict[str, Any] | None = None


class TurnView(BaseModel):
    thread: str
    messages: list[MessageView]
    ended: bool
    stop_reason: str | None = None
    checkpoint: str | None = None


class ThreadEntryView(BaseModel):
    ref: str
    title: str | None = None
    status: str | None = None
    kind: str | None = None
    created: str | None = None
    updated: str | None = None
    children: bool | None = None


class ThreadListView(BaseModel):
    provider: str
    parent: str | None = None
    threads: list[ThreadEntryView]
    next_cursor: str | None = None
    note: str | None = None


class HitsView(BaseModel):
    ref: str
    seqs: list[int] = Field(description="#seq of each hit shown: get_thread_messages(thread=ref, from_seq=seq).")


class SearchView(BaseModel):
    """The refs and seqs of the hits shown (the text has the snippets), how many threads match, the next page."""

    total: int
    threads: list[HitsView]
    next_cursor: str | None = None


class ExampleView(BaseModel):
    ref: str
    seq: int


class GroupView(BaseModel):
    signature: str
    count: int
    threads: int
    examples: list[ExampleView]


class FailuresView(BaseModel):
    """The groups shown (the text adds times, the latest message and what was answered), and the next page."""

    total: int
    groups: list[GroupView]
    next_cursor: str | None = None
