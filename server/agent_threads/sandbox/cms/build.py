"""Building blocks of the CMS / STAROps sandbox's data, in the vendor's wire form: timestamps, chunked contents,
messages, tool entries, turns and thread metadata; the generated very large thread (``bigturn(i)``) and a turn in
a drifted, newer shape."""

from __future__ import annotations

from typing import Any

NS = 1_000_000_000
BASE = 1768702985  # 2026-01-18T02:23:05Z
Json = dict[str, Any]


def ts(offset_s: float) -> str:
    """A nanosecond timestamp string, as GetThreadData sends it."""
    return str(int((BASE + offset_s) * NS))


def chunks(*values: str, kind: str = "text") -> list[Json]:
    last = len(values) - 1
    return [{"append": i > 0, "lastChunk": i == last, "type": kind, "value": v} for i, v in enumerate(values)]


def msg(seq: int, role: str, at: float, call: str, parent: str | None = None, **fields: Any) -> Json:
    base: Json = {
        "version": "v0.1.0",
        "parentCallId": parent or call,
        "callId": call,
        "role": role,
        "seq": seq,
        "timestamp": ts(at),
    }
    base.update({k: v for k, v in fields.items() if v is not None})
    for key in ("contents", "tools", "agents", "events", "artifacts"):
        base.setdefault(key, [])
    return base


def finished(
    seq: int, at: float, call: str, duration_ms: int, error: Json | None = None, detail: str | None = None
) -> Json:
    payload: Json = {"success": error is None, "statistics": {"duration": duration_ms}}
    if error:
        payload["error"] = error
    return msg(
        seq,
        "assistant",
        at,
        call,
        type="task_finished",
        detail=detail,
        events=[{"type": "task_finished", "payload": payload}],
    )


def tool(name: str, call_id: str, status: str, *, ident: str | None = None, **fields: Any) -> Json:
    """A tool entry of a message, in the key order the API sends."""
    return {**({"id": ident} if ident else {}), "name": name, "toolCallId": call_id, "status": status, **fields}


def turn(trace: str, messages: list[Json]) -> Json:
    return {"traceId": trace, "requestId": f"8FDE2569-626B-5176-9844-{trace[-12:].upper():0>12}", "messages": messages}


def thread_obj(name: str, thread_id: str, title: str, status: str, created: str, updated: str, project: str) -> Json:
    return {
        "threadId": thread_id,
        "title": title,
        "status": status,
        "digitalEmployeeName": name,
        "version": 1,
        "createTime": created,
        "updateTime": updated,
        "attributes": {"source": "console"},
        "variables": {"workspace": "sandbox-workspace", "project": project},
    }


def big_thread() -> Json:
    return thread_obj(
        "sre-copilot",
        "big-thread",
        "Load test conversation (generated)",
        "idle",
        "2026-01-01T00:00:00+00:00",
        "2026-01-18T00:00:00+00:00",
        "load",
    )


def big_turn(index: int, messages: int) -> Json:
    """Turn ``index`` of the generated thread: user, tool call, tool result, answer (cut so ``messages`` total)."""
    call, at, seq = f"big{index:010d}", index * 60.0, index * 4
    items = [
        msg(seq, "user", at, call, contents=chunks(f"Question {index}: how is shard {index % 16} doing?")),
        msg(
            seq + 1,
            "assistant",
            at + 1,
            call,
            tools=[tool("ShardStatus", f"t{index}", "start", arguments={"shard": index % 16})],
        ),
        msg(
            seq + 2,
            "tool",
            at + 2,
            call,
            tools=[tool("ShardStatus", f"t{index}", "success", result=f"shard {index % 16}: ok, lag {index % 7} s")],
        ),
        msg(
            seq + 3,
            "assistant",
            at + 3,
            call,
            contents=chunks(f"Shard {index % 16} is healthy; ", f"replication lag is {index % 7} s."),
        ),
    ]
    return turn(f"{index:030x}", items[: max(0, min(4, messages - seq))])


def drifted_turn() -> Json:
    """A turn in a newer shape: unknown top-level fields, a content type and an event type the mapping has never
    seen."""
    call = "d71f7ed0000001"
    plan = {
        "steps": [{"title": "collect metrics", "status": "done"}, {"title": "compare baselines", "status": "running"}]
    }
    drifted = turn(
        "d71f7ed00000010171772099f0001",
        [
            msg(
                900,
                "assistant",
                7200,
                call,
                type="plan_updated",
                contents=[
                    {"append": False, "lastChunk": True, "type": "chart", "value": {"kind": "line", "series": 3}}
                ],
                events=[{"type": "plan_updated", "payload": {"plan": plan}}],
                sentiment="neutral",
            ),
        ],
    )
    return drifted | {"schemaVersion": "v0.2.0"}
