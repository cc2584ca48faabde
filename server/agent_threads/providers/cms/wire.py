"""CMS / STAROps wire models (alibaba.md §4): private pydantic models that keep unknown fields."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class WireModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Chunk(WireModel):
    append: bool | None = None
    last_chunk: bool | None = Field(default=None, alias="lastChunk")
    type: str | None = None
    value: Any = None


class Tool(WireModel):
    id: str | None = None
    name: str | None = None
    tool_call_id: str | None = Field(default=None, alias="toolCallId")
    arguments: Any = None
    status: str | None = None
    result: Any = None
    output: Any = None
    error: Any = None

    def key(self) -> str:
        return self.tool_call_id or self.id or self.name or ""


class Agent(WireModel):
    call_id: str | None = Field(default=None, alias="callId")
    id: str | None = None
    name: str | None = None
    status: str | None = None
    inputs: list[Chunk] = []


class EventError(WireModel):
    code: str | None = None
    message: str | None = None
    suggestion: str | None = None


class EventStatistics(WireModel):
    duration: float | None = None


class EventPayload(WireModel):
    error: EventError | None = None
    statistics: EventStatistics | None = None
    success: bool | None = None


class Event(WireModel):
    type: str | None = None
    payload: EventPayload | None = None


class ArtifactPiece(WireModel):
    kind: str | None = None
    text: str | None = None
    data: Any = None
    file: Any = None


class Artifact(WireModel):
    artifact_id: str | None = Field(default=None, alias="artifactId")
    name: str | None = None
    description: str | None = None
    parts: list[ArtifactPiece] = []


class WireMessage(WireModel):
    version: str | None = None
    parent_call_id: str | None = Field(default=None, alias="parentCallId")
    call_id: str | None = Field(default=None, alias="callId")
    role: str | None = None
    seq: int | None = None
    timestamp: str | int | None = None
    type: str | None = None
    detail: str | None = None
    contents: list[Chunk] = []
    tools: list[Tool] = []
    agents: list[Agent] = []
    events: list[Event] = []
    artifacts: list[Artifact] = []


class DataEntry(WireModel):
    trace_id: str | None = Field(default=None, alias="traceId")
    request_id: str | None = Field(default=None, alias="requestId")
    messages: list[WireMessage] = []


class ThreadData(WireModel):
    next_token: str | None = Field(default=None, alias="nextToken")
    data: list[DataEntry] = []


class ChatEvent(DataEntry):
    """One CreateChat SSE event: a request/trace id and the messages (or chunks of them) it carries."""


class Employee(WireModel):
    name: str
    display_name: str | None = Field(default=None, alias="displayName")
    description: str | None = None
    employee_type: str | None = Field(default=None, alias="employeeType")
    create_time: str | None = Field(default=None, alias="createTime")
    update_time: str | None = Field(default=None, alias="updateTime")
    status: int | str | None = None


class EmployeeList(WireModel):
    next_token: str | None = Field(default=None, alias="nextToken")
    digital_employees: list[Employee] = Field(default=[], alias="digitalEmployees")


class Thread(WireModel):
    thread_id: str = Field(alias="threadId")
    title: str | None = None
    status: str | None = None
    create_time: str | None = Field(default=None, alias="createTime")
    update_time: str | None = Field(default=None, alias="updateTime")
    variables: dict[str, Any] | None = None
    attributes: dict[str, Any] | None = None


class ThreadPage(WireModel):
    next_token: str | None = Field(default=None, alias="nextToken")
    threads: list[Thread] = []
