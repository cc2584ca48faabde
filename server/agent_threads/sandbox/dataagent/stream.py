"""The sandbox's ``ChatAI`` reply: an event stream that fills a new record as it goes.

Tencent does not document the payload (``data`` is opaque JSON; tencent-qoder.md §1.4). The sandbox sends
data-only frames ``{"Type": ..., ...}``: ``record`` (ids and question), ``think`` and ``text`` deltas,
``task`` (the whole plan so far), ``progress`` (a type clients do not know), ``summary``, ``error``,
``finish``, then ``[DONE]``. A question that mentions "timeout" ends in an ``error`` frame.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

from .data import Record, Session, step, task

ANSWER = ("I looked at the last 30 days of orders. ", "Average order value is 182.40, ", "up 3% from the month before.")
THINK = ("The user asks about order value. ", "Plan: filter the last 30 days, then average the totals.")


def new_record(question: str) -> Record:
    return Record(str(uuid.uuid4()), question, created=datetime.now(timezone.utc).replace(microsecond=0))


def _frame(payload: dict[str, Any] | str) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {data}\n\n".encode()


def _plan(done: bool) -> list[dict[str, Any]]:
    status = "success" if done else "running"
    steps = [step(1, "Understand the question", "success"), step(2, "Query the orders table", status, kind="expand")]
    return [task(1, "Average order value, last 30 days", status, steps)]


async def chat_frames(session: Session, record: Record) -> AsyncIterator[bytes]:
    yield b": stream opened\n\n"
    yield _frame(
        {"Type": "record", "RecordId": record.record_id, "SessionId": session.session_id, "Question": record.question}
    )
    for chunk in THINK:
        record.think += chunk
        yield _frame({"Type": "think", "Content": chunk})
    record.tasks = _plan(done=False)
    yield _frame({"Type": "task", "TaskList": record.tasks})
    yield _frame({"Type": "progress", "Content": "scanning table orders (2.1M rows)"})
    if "timeout" in record.question.lower():
        record.error = json.dumps(
            {"Code": "QueryTimeout", "Message": "the query ran longer than 60s and was cancelled"}
        )
        yield _frame({"Type": "error", "ErrorContext": record.error})
    else:
        async for frame in _answer(record):
            yield frame
    yield _frame({"Type": "finish", "RecordId": record.record_id})
    yield _frame("[DONE]")


async def _answer(record: Record) -> AsyncIterator[bytes]:
    record.tasks = _plan(done=True)
    yield _frame({"Type": "task", "TaskList": record.tasks})
    for chunk in ANSWER:
        record.answer += chunk
        yield _frame({"Type": "text", "Content": chunk})
    record.summary = "Average order value rose 3% month over month."
    yield _frame({"Type": "summary", "FinalSummary": json.dumps({"v": record.summary, "cell_id": "cell-1"})})
