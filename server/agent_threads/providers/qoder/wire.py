"""Qoder's JSON as lenient private models: pages, sessions, threads, events, stream deltas and the error envelope.
Unknown fields are kept (``extra="allow"``); fields whose shape varies between doc versions are typed loosely."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class _Wire(BaseModel):
    model_config = ConfigDict(extra="allow")


W = TypeVar("W", bound=_Wire)


class WirePage(_Wire):
    data: list[dict[str, Any]] = []
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool | None = None
    next_page: str | None = None


class WireSession(_Wire):
    id: str
    title: str | None = None
    status: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class WireThread(_Wire):
    id: str
    name: str | None = None
    agent: dict[str, Any] | None = None
    role: str | None = None
    status: str | None = None
    parent_thread_id: str | None = None
    stop_reason: Any = None
    created_at: str | None = None
    updated_at: str | None = None

    @property
    def label(self) -> str | None:
        return self.name or (self.agent or {}).get("name")


class WireEvent(_Wire):
    """Any event; fields whose shape varies between doc versions are typed loosely and read by helpers."""

    id: str | None = None
    type: str = ""
    processed_at: str | None = None
    created_at: str | None = None
    session_thread_id: str | None = None
    content: Any = None
    thinking: Any = None
    text: Any = None
    name: str | None = None
    tool_name: str | None = None
    input: Any = None
    tool_input: Any = None
    tool_use_id: str | None = None
    mcp_tool_use_id: str | None = None
    custom_tool_use_id: str | None = None
    mcp_server_name: str | None = None
    is_error: bool | None = None
    evaluated_permission: str | None = None
    result: Any = None
    deny_message: str | None = None
    from_session_thread_id: str | None = None
    to_session_thread_id: str | None = None
    from_agent_name: str | None = None
    to_agent_name: str | None = None
    agent_name: str | None = None
    error: Any = None
    code: str | None = None
    stop_reason: Any = None
    model_request_start_id: str | None = None
    model_usage: dict[str, Any] | None = None
    usage: dict[str, Any] | None = None
    total_credits: float | None = None
    model_credits: float | None = None
    sandbox_runtime_credits: float | None = None
    file_id: str | None = None
    original_filename: str | None = None
    size: int | None = None
    content_type: str | None = None
    title: str | None = None
    description: str | None = None
    rubric: Any = None
    outcome_id: str | None = None
    iteration: int | None = None
    explanation: str | None = None

    @property
    def when(self) -> str | None:
        return self.processed_at or self.created_at


class WireEventPage(WirePage):
    """A page of events, each validated straight from the JSON; one in a shape no doc shows stays a plain dict
    (kept as an unknown event), so it cannot fail the page."""

    data: list[Annotated[WireEvent | dict[str, Any], Field(union_mode="left_to_right")]] = []  # type: ignore[assignment]


class WireDelta(_Wire):
    """``event_start`` (``event``: id and type) or ``event_delta`` (``event_id``, ``delta.content``)."""

    type: str
    event: dict[str, Any] | None = None
    event_id: str | None = None
    delta: dict[str, Any] | None = None


class ErrorBody(_Wire):
    type: str | None = None
    message: str | None = None


class ErrorEnvelope(_Wire):
    request_id: str | None = None
    error: ErrorBody | str | None = None
