"""The tools' arguments: types with their bounds and the descriptions the model reads in ``tools/list``."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from ..render import Detail
from ..transcript import Role

PartKind = Literal[
    "text", "tool_call", "tool_call_response", "reasoning", "sub_agent", "artifact", "plan", "event", "data"
]

ProviderId = Annotated[str, Field(description="Provider id from list_providers, e.g. 'qoder' or 'cms'.", max_length=64)]
ThreadArg = Annotated[
    str, Field(description="Thread ref from list_threads, e.g. 'qoder:sess_1/sthr_2'.", min_length=3, max_length=1024)
]
CursorArg = Annotated[
    str | None, Field(description="next_cursor from the previous call, passed back untouched.", max_length=4096)
]
ParentArg = Annotated[
    str | None,
    Field(description="A container ref to list inside (e.g. 'qoder:sess_1' lists its threads).", max_length=1024),
]
ListLimit = Annotated[int, Field(ge=1, le=100, description="Entries per page.")]
PageLimit = Annotated[int, Field(ge=1, le=100, description="Vendor messages fetched per page.")]
RolesArg = Annotated[list[Role] | None, Field(description="Only these roles.", max_length=6)]
KindsArg = Annotated[
    list[PartKind] | None,
    Field(
        description="Only messages carrying one of these part kinds (e.g. ['event'] to find failures).", max_length=9
    ),
]


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


UtcTime = Annotated[datetime, AfterValidator(_as_utc)]
"""The type of every datetime argument: ISO-8601 (a date alone is its midnight) or epoch seconds, in UTC; a time
without an offset is taken as UTC, so it compares with the transcript's times instead of failing."""
SinceArg = Annotated[
    UtcTime | None, Field(description="Only messages at or after this ISO-8601 time (UTC unless it has an offset).")
]
DetailArg = Annotated[
    Detail, Field(description="brief: short previews; compact (default); full: whole values and vendor extras.")
]
BudgetArg = Annotated[int, Field(ge=500, le=20000, description="Upper bound on the size of this result.")]
FormatArg = Annotated[
    Literal["text", "json"],
    Field(description="text: a compact transcript (default); json: the messages as structuredContent, for programs."),
]
MessageArg = Annotated[
    str | None, Field(description="Text to send first; omit to just follow the live reply.", max_length=100_000)
]
ReadOnlyMessageArg = Annotated[
    str | None, Field(description="Not available: this server is read-only.", max_length=100_000)
]
CheckpointArg = Annotated[str | None, Field(description="checkpoint from a previous stream_chat.", max_length=4096)]
TimeoutArg = Annotated[float, Field(ge=1, le=900, description="Stop following after this many seconds.")]
