"""The tools' arguments: types with their bounds and the descriptions the model reads in ``tools/list``."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic.json_schema import SkipJsonSchema

from ..errors import UsageError
from ..render import Detail
from ..times import moment
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
PageLimit = Annotated[
    int, Field(ge=1, le=100, description="Transcript messages per page, at most (the budget may end a page sooner).")
]
RolesArg = Annotated[list[Role] | None, Field(description="Only these roles.", max_length=6)]
KindsArg = Annotated[
    list[PartKind] | None,
    Field(
        description="Only messages carrying one of these part kinds (e.g. ['event'] to find failures).", max_length=9
    ),
]
DetailArg = Annotated[
    Detail,
    Field(
        description="brief: short previews; compact (default); full: whole values (a shortened one ends in "
        "…(+N chars)) and vendor extras."
    ),
]
BudgetArg = Annotated[int, Field(ge=500, le=20000, description="Upper bound on the size of this result.")]
FormatArg = Annotated[
    Literal["text", "json"],
    Field(description="text: a compact transcript (default); json: the messages as structuredContent, for programs."),
]
MessageArg = Annotated[
    str | None, Field(description="Text to send first; omit to just follow the live reply.", max_length=100_000)
]
HiddenMessageArg = SkipJsonSchema[Annotated[str | None, Field(max_length=100_000)]]
"""A read-only server's stream_chat: not in its schema, and refused when sent anyway."""
CheckpointArg = Annotated[str | None, Field(description="checkpoint from a previous stream_chat.", max_length=4096)]
TimeoutArg = Annotated[float, Field(ge=1, le=900, description="Stop following after this many seconds.")]


def _moment(value: Any) -> Any:
    """A string as ``times.moment`` reads it (ISO-8601, or a span back from now such as '7d'); the rest as given."""
    if not isinstance(value, str):
        return value
    try:
        return moment(value)
    except UsageError as e:
        raise ValueError(e.for_model()) from e


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


Moment = Annotated[datetime, BeforeValidator(_moment), AfterValidator(_as_utc)]
"""The type of every time argument: ISO-8601 (a date alone is its midnight; UTC unless it names a zone) or a span
back from now ('30m', '12h', '7d', '2w'), always in UTC, so it compares with the transcript's times."""
SinceArg = Annotated[
    Moment | None,
    Field(description="Only messages at or after this time: ISO-8601 (UTC unless it has an offset), or e.g. '2h'."),
]
FromArg = Annotated[
    Moment | None, Field(description="Only from this time on: ISO-8601, or a span back from now such as '7d'.")
]
UntilArg = Annotated[Moment | None, Field(description="Only before this time: ISO-8601, or a span back such as '1d'.")]
QueryArg = Annotated[
    str | None,
    Field(
        description='Words that must all occur in a message (any language, inside words too; "quoted phrase" is '
        "one term). Optional when a filter is given.",
        max_length=1000,
    ),
]
ProviderFilter = Annotated[str | None, Field(description="Only this provider id.", max_length=64)]
StatusArg = Annotated[
    str | None, Field(description="Only threads with this status, e.g. 'failed', 'running', 'idle'.", max_length=64)
]
ErrorsOnlyArg = Annotated[bool, Field(description="Only messages that carry a failure.")]
HitsLimit = Annotated[int, Field(ge=1, le=50, description="Threads per page.")]
GroupsLimit = Annotated[int, Field(ge=1, le=50, description="Failure groups per page.")]
RefreshArg = Annotated[
    bool, Field(description="First bring the index up to date with the vendors (bounded to about 20 s).")
]
FromSeqArg = Annotated[
    int | None,
    Field(description="Start the page at this message #seq (a search hit or a failure); ignored with cursor."),
]
