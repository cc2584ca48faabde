"""DMS Data Agent (``2025-04-14``) JSON as lenient models: sessions and their history (PascalCase) and the
``GetChatContent`` stream events (snake_case)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_pascal


class _Pascal(BaseModel):
    model_config = ConfigDict(extra="allow", alias_generator=to_pascal, populate_by_name=True)


class SessionConfig(_Pascal):
    mode: str | None = None
    language: str | None = None
    custom_agent_id: str | None = None


class Session(_Pascal):
    session_id: str
    agent_id: str | None = None
    agent_status: str | None = None
    session_status: str | None = None
    title: str | None = None
    file: str | None = None
    user_id: str | None = None
    create_time: int | str | None = None
    saved: bool | None = None
    session_config: SessionConfig | None = None


class SessionList(_Pascal):
    data: list[Session] = []
    page_number: int | None = None
    page_size: int | None = None
    total: int | None = None
    total_pages: int | None = None


class HistoryMessage(_Pascal):
    id: str | None = None
    content: str | None = None
    send_time: int | str | None = None
    status: str | None = None


class Artifact(_Pascal):
    id: str | None = None
    name: str | None = None
    type: str | None = None
    status: str | None = None
    description: str | None = None
    receive_time: int | str | None = None
    start_time: int | str | None = None
    finish_time: int | str | None = None


class SessionDetail(Session):
    messages: list[HistoryMessage] = []
    artifacts: list[Artifact] = []
    favorite_in_workspace: bool | str | None = None


class Described(_Pascal):
    data: SessionDetail | None = None


class Sent(_Pascal):
    data: dict[str, Any] | None = None


class ChatEvent(BaseModel):
    """One ``data:`` payload of GetChatContent."""

    model_config = ConfigDict(extra="allow")
    content: str | None = ""
    event_type: str = ""
    content_type: str | None = None
    checkpoint: int | None = None
    level: int | None = None
    category: str | None = None
    timestamp: str | int | float | None = None
