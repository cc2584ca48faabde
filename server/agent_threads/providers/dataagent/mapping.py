"""One DataAgent record -> the user's question and the assistant's turn (reasoning, plan, answer, summary,
error, feedback). ``Context``, ``FinalSummary``, ``RunRecord`` and ``ErrorContext`` are JSON strings: parsed
when they parse, kept as text otherwise, and scrubbed of credentials before they reach ``vendor``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ...redact import MASK, mask
from ...times import utc
from ...transcript import DataPart, EventPart, Message, Part, PlanPart, PlanStep, ReasoningPart
from .wire import Record, Task

# The two read actions encode Feedback differently (tencent-qoder.md §1.3).
FEEDBACK = {
    "GetSessionDetails": {1: "positive", 2: "negative"},
    "QueryUserSessionDetail": {1: "positive", 0: "negative"},
}
_SECRET_NAME = re.compile(r"(?i)(password|passwd|secret|token|credential|access_?key|api_?key|signature|^key$|^pwd$)")
_TASKS = TypeAdapter(list[Task])


def parse_json(text: str | None) -> Any:
    """The JSON value of ``text``, or ``text`` itself when it is not JSON (None when empty)."""
    if not text or not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def scrub(value: Any) -> Any:
    """A copy with credential-named fields and ``key=…``-style values masked."""
    if isinstance(value, dict):
        return {k: MASK if _SECRET_NAME.search(str(k)) and v not in (None, "") else scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return mask(value)
    return value


def running_record(run_record: str | None) -> tuple[bool, str | None]:
    """(is a reply running, its RecordId when known). RunRecord is a JSON object or a bare id."""
    parsed = parse_json(run_record)
    if parsed is None or parsed == {}:
        return False, None
    if isinstance(parsed, dict):
        return True, str(parsed.get("RecordId") or "") or None
    return True, str(parsed)


def tasks_of(record: Record) -> list[Task]:
    if record.TaskList:
        return record.TaskList
    parsed = parse_json(record.TaskListStr)
    if not isinstance(parsed, list):
        return []
    try:
        return _TASKS.validate_python(parsed)
    except ValidationError:
        return []


def plan_part(task: Task) -> PlanPart:
    steps = []
    for step in task.StepInfoList or []:
        name = step.Name or (step.Expand.Title if step.Expand and step.Expand.Title else "") or f"step {step.Id}"
        detail = step.Summary or step.Desc or None
        failed = (step.Status or "").lower() in ("failed", "fail", "error")
        steps.append(
            PlanStep(title=f"{name}: {detail}" if failed and detail else name, status=step.Status, detail=detail)
        )
    title = task.Name or f"task {task.Id}"
    return PlanPart(title=title, status=task.Status, steps=steps)


def summary_part(final_summary: str | None) -> DataPart | None:
    parsed = parse_json(final_summary)
    if isinstance(parsed, dict):
        parsed = parsed.get("v") or None
    return DataPart(category="summary", data=scrub(parsed)) if parsed else None


def error_part(error_context: str | None) -> EventPart | None:
    parsed = parse_json(error_context)
    if not parsed:
        return None
    if isinstance(parsed, dict):
        code = parsed.get("Code") or parsed.get("code")
        text = parsed.get("Message") or parsed.get("message") or json.dumps(scrub(parsed), ensure_ascii=False)
        return EventPart(name="reply", code=str(code) if code else None, message=mask(str(text)), is_error=True)
    return EventPart(name="reply", message=mask(str(parsed)), is_error=True)


def assistant_parts(record: Record, action: str, running: bool) -> list[Part]:
    parts: list[Part] = [ReasoningPart(text=record.Think)] if record.Think else []
    parts.extend(plan_part(t) for t in tasks_of(record))
    extra = [summary_part(record.FinalSummary), error_part(record.ErrorContext)]
    parts.extend(p for p in extra if p is not None)
    feedback = FEEDBACK.get(action, {}).get(record.Feedback) if record.Feedback is not None else None
    if feedback:
        parts.append(EventPart(name="feedback", status=feedback))
    if running:
        parts.append(EventPart(name="reply", status="running"))
    return parts


def _vendor(values: dict[str, Any]) -> dict[str, Any] | None:
    kept = {k: scrub(v) for k, v in values.items() if v not in (None, "", [], {})}
    return kept or None


def record_messages(record: Record, action: str, running: bool = False) -> list[Message]:
    """The user's question and the assistant's turn of one record (either action's shape)."""
    created = utc(record.CreateTime)
    messages = []
    if record.Question:
        vendor = _vendor({"Context": parse_json(record.Context), "RecordId": record.RecordId})
        messages.append(
            Message(id=f"{record.RecordId}:q", time=created, role="user", text=record.Question, vendor=vendor)
        )
    parts = assistant_parts(record, action, running)
    if record.Answer or parts:
        extra = {
            "DbInfo": parse_json(record.DbInfo),
            "KnowledgeBaseIds": record.KnowledgeBaseIds,
            "TraceId": record.TraceId,
        }
        messages.append(
            Message(
                id=f"{record.RecordId}:a",
                time=utc(record.UpdateTime) or created,
                role="assistant",
                author=record.Model or None,
                text=record.Answer or "",
                parts=parts,
                vendor=_vendor({**extra, **(record.model_extra or {})}),
            )
        )
    return messages
