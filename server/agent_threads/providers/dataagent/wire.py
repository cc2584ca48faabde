"""Tencent DataAgent (``2025-05-13``) JSON as lenient models: records (both read actions' shapes), task plans and
the session replies. Every reply is ``{"Response": {...}}``; the error envelope is in ``errors``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Wire(BaseModel):
    model_config = ConfigDict(extra="allow")


class StepExpand(_Wire):
    Title: str | None = None
    Status: str | None = None
    CellIds: list[str] | None = None


class StepInfo(_Wire):
    Id: int | str | None = None
    Name: str = ""
    Status: str | None = None
    Type: str | None = None
    Summary: str | None = None
    Expand: StepExpand | None = None
    Desc: str | None = None


class Task(_Wire):
    Id: int | str | None = None
    Name: str = ""
    Status: str | None = None
    StepInfoList: list[StepInfo] | None = None


class Record(_Wire):
    """Both shapes: ``Record`` (GetSessionDetails) and the smaller ``RecordList`` item (QueryUserSessionDetail)."""

    RecordId: str = ""
    SessionId: str | None = None
    Question: str | None = None
    Answer: str | None = None
    Think: str | None = None
    TaskList: list[Task] | None = None
    TaskListStr: str | None = None
    FinalSummary: str | None = None
    CreateTime: str | None = None
    UpdateTime: str | None = None
    Feedback: int | None = None
    ErrorContext: str | None = None
    Context: str | None = None
    DbInfo: str | None = None
    KnowledgeBaseIds: list[str] | None = None
    TraceId: str | None = None
    Model: str | None = None


class SessionDetails(_Wire):
    RecordList: list[Record] | None = None
    RecordCount: int | None = None
    RunRecord: str | None = None


class UserSessionDetail(_Wire):
    SessionId: str | None = None
    RecordList: list[Record] | None = None
    TotalCount: int | None = None
    RunRecord: str | None = None


class CreatedSession(_Wire):
    SessionId: str
