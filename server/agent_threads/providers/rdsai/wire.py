"""RDS AI assistant (``2025-05-07``) JSON as lenient models: conversations, GetMessages rows and the events of rows
and of the ChatMessages stream. Keys come in both casings (``event``/``Event``, ``ToolName``/``tool_name``), so
every event field accepts both."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel, to_pascal


def _any_case(name: str, *more: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(name, to_pascal(name), to_camel(name), *more))


class _Pascal(BaseModel):
    model_config = ConfigDict(extra="allow", alias_generator=to_pascal, populate_by_name=True)


class Conversation(_Pascal):
    id: str
    name: str | None = None
    introduction: str | None = None
    created_at: str | int | None = None
    updated_at: str | int | None = None
    is_running: bool | str | None = None
    status: str | None = None


class Conversations(_Pascal):
    data: list[Conversation] = []
    has_more: bool | str | None = None
    limit: int | str | None = None


class RdsEvent(BaseModel):
    """One event, in a GetMessages row's ``Events`` or on the ChatMessages stream."""

    model_config = ConfigDict(extra="allow")
    event: str | None = _any_case("event")
    answer: str | None = _any_case("answer")
    tool_name: str | None = _any_case("tool_name", "tool")
    tool_arguments: Any = _any_case("tool_arguments", "tool_input")
    call_id: str | None = _any_case("call_id")
    description: str | None = _any_case("description")
    approval_status: str | None = _any_case("approval_status")
    round_id: str | None = _any_case("round_id")
    message_id: str | None = _any_case("message_id")
    conversation_id: str | None = _any_case("conversation_id")
    task_id: str | None = _any_case("task_id")
    created_at: str | int | None = _any_case("created_at")
    thought: str | None = _any_case("thought")
    observation: str | None = _any_case("observation")
    status: int | str | None = _any_case("status")
    code: str | None = _any_case("code")
    message: str | None = _any_case("message")


class Row(_Pascal):
    id: str
    conversation_id: str | None = None
    query: str | None = None
    answer: str | None = None
    created_at: str | int | None = None
    feedback: Any = None
    retriever_resources: list[Any] | None = None
    generation_status: str | None = None
    generation_started_at: str | int | None = None
    generation_finished_at: str | int | None = None
    message_files: list[dict[str, Any]] | None = None
    events: list[RdsEvent] = []
    stream_key: str | None = None
    last_sent_entry_id: str | None = None


class Messages(_Pascal):
    data: list[Row] = []
    has_more: bool | str | None = None
    limit: int | str | None = None
