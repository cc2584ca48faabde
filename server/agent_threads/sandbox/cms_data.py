"""Sample digital employees and threads for the CMS / STAROps sandbox, in the vendor's wire form (alibaba.md §4).

English and Chinese, ids holding ``/``, spaces and non-ASCII, chunked contents, tool calls and their results, a
sub-agent, reasoning, artifacts and a failed task. ``big_turn(i)`` generates the turns of a very large thread.
"""

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


def _turn(trace: str, messages: list[Json]) -> Json:
    return {"traceId": trace, "requestId": f"8FDE2569-626B-5176-9844-{trace[-12:].upper():0>12}", "messages": messages}


def _root_cause_turn() -> Json:
    call, agent = "3b5287b7176360", "019bc1cb-b001"
    intent_args = {
        "confidence": "high",
        "intent": "analyser",
        "is_new_turn": True,
        "language": "en",
        "title": "Root Cause of Alert",
    }
    sql = "SELECT id, status FROM orders WHERE updated_at >= '2026-01-18 08:00' FOR UPDATE SKIP LOCKED;"
    return _turn(
        "3b5287b717636040171772050d0095",
        [
            msg(0, "user", 0, call, contents=chunks("Why did checkout latency spike at 08:00 UTC?")),
            msg(
                1,
                "assistant",
                1.2,
                call,
                tools=[
                    {
                        "id": "IntentRecognition",
                        "name": "IntentRecognition",
                        "toolCallId": "019bc1cb-adad",
                        "status": "start",
                        "arguments": intent_args,
                    }
                ],
            ),
            msg(
                2,
                "tool",
                1.9,
                call,
                tools=[
                    {
                        "id": "IntentRecognition",
                        "name": "IntentRecognition",
                        "toolCallId": "019bc1cb-adad",
                        "status": "success",
                        "result": "intent=analyser (confidence high)",
                    }
                ],
            ),
            msg(
                3,
                "assistant",
                2.4,
                call,
                agents=[
                    {
                        "callId": agent,
                        "id": "analyser",
                        "name": "analyser",
                        "status": "start",
                        "inputs": chunks("Analyze this trace: ", "TraceID=7f3a9c2e"),
                    }
                ],
            ),
            msg(
                4,
                "assistant",
                9.8,
                "019bc1cb-b002",
                agent,
                contents=chunks(
                    "The slowest span is ",
                    "`payment-db.query` (2.8 s of 3.1 s); ",
                    "it waits on a row lock held by a batch job.",
                ),
                tools=[
                    {
                        "name": "QueryTrace",
                        "toolCallId": "019bc1cb-b003",
                        "status": "success",
                        "arguments": {"traceId": "7f3a9c2e"},
                        "result": "42 spans; slowest payment-db.query 2843 ms",
                    }
                ],
            ),
            msg(
                5,
                "assistant",
                14.1,
                call,
                contents=[
                    *chunks("The lock wait lines up with the 08:00 settlement batch.", kind="reasoning"),
                    *chunks(
                        "Root cause: the nightly settlement batch locks `orders` rows from 08:00 to 08:04, ",
                        "so checkout's payment query waits up to 2.8 s.",
                        "\nFix: run the batch at 03:00, or commit it in smaller transactions.",
                    ),
                ],
                artifacts=[
                    {
                        "artifactId": "019bc1cb-9600-703a",
                        "name": "sql output",
                        "description": "sql generation task result",
                        "extensions": ["sql_generation_tool", "sql_diagnosis"],
                        "metadata": {"model": "qwen3-coder-plus"},
                        "parts": [{"kind": "text", "text": sql}],
                    }
                ],
            ),
            finished(6, 14.6, call, 14600),
        ],
    )


def _ticket_turn() -> Json:
    call = "5c11aa0e2b7734"
    return _turn(
        "5c11aa0e2b77340171772051e0102",
        [
            msg(7, "user", 300, call, contents=chunks("Please open a ticket for the DBA team.")),
            msg(
                8,
                "assistant",
                301.5,
                call,
                tools=[
                    {
                        "name": "CreateTicket",
                        "toolCallId": "t-ticket-1",
                        "status": "start",
                        "arguments": {"team": "dba", "severity": "P2"},
                    }
                ],
            ),
            msg(
                9,
                "tool",
                303.0,
                call,
                tools=[
                    {
                        "name": "CreateTicket",
                        "toolCallId": "t-ticket-1",
                        "status": "success",
                        "result": {"ticket": "OPS-1234"},
                    }
                ],
            ),
            msg(
                10,
                "assistant",
                304.2,
                call,
                contents=chunks("Opened OPS-1234 for the DBA team ", "with the trace and the SQL above."),
            ),
            finished(11, 304.9, call, 4900),
        ],
    )


def _slow_query_turn() -> Json:
    call = "7d02be55c1a9f3"
    failure = {"code": "TASK_FAILED", "message": "Invalid task parameter", "suggestion": "请确认实例 ID 和地域"}
    return _turn(
        "7d02be55c1a9f30171772052a0007",
        [
            msg(0, "user", 3600, call, contents=chunks("帮我检查一下 RDS 实例 rm-bp1xyz 最近一小时的慢查询。")),
            msg(
                1,
                "assistant",
                3601.1,
                call,
                contents=chunks("好的，我先拉取慢查询日志，", "然后按耗时排序。"),
                tools=[
                    {
                        "name": "QuerySlowLog",
                        "toolCallId": "t-slow-1",
                        "status": "start",
                        "arguments": {"instanceId": "rm-bp1xyz", "window": "1h"},
                    }
                ],
            ),
            msg(
                2,
                "tool",
                3602.7,
                call,
                tools=[
                    {
                        "name": "QuerySlowLog",
                        "toolCallId": "t-slow-1",
                        "status": "failed",
                        "error": "InvalidInstanceId: 实例 rm-bp1xyz 不存在",
                    }
                ],
            ),
            finished(3, 3903.0, call, 300000, failure, detail="context of model exceed"),
        ],
    )


def _simple_turn(trace: str, at: float, question: str, answer: list[str], artifact: Json | None = None) -> Json:
    call = trace[:14]
    return _turn(
        trace,
        [
            msg(0, "user", at, call, contents=chunks(question)),
            msg(1, "assistant", at + 2, call, contents=chunks(*answer), artifacts=[artifact] if artifact else None),
            finished(2, at + 2.5, call, 2500),
        ],
    )


def _employee(name: str, display: str, description: str, created: str, updated: str) -> Json:
    return {
        "name": name,
        "displayName": display,
        "description": description,
        "employeeType": "custom",
        "defaultRule": "",
        "roleArn": "acs:ram::1234567890:role/aliyunstaropsdigitalemployeerole",
        "resourceGroupId": "rg-sandbox",
        "createTime": created,
        "updateTime": updated,
        "tags": [{"key": "env", "value": "sandbox"}],
        "knowledges": {"bailian": [], "sop": []},
    }


def _thread(name: str, thread_id: str, title: str, status: str, created: str, updated: str, project: str) -> Json:
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


def employees() -> list[Json]:
    return [
        _employee(
            "sre-copilot",
            "SRE Copilot",
            "Investigates alerts, traces and slow queries.",
            "2025-11-04T08:08:57Z",
            "2026-01-18T02:28:10Z",
        ),
        _employee(
            "运维 助手", "运维小助手", "负责数据库巡检和故障诊断。", "2025-12-01T01:00:00Z", "2026-01-18T03:28:08Z"
        ),
        _employee(
            "report-bot",
            "Weekly Report Bot",
            "Writes the weekly SLO report.",
            "2025-10-20T09:30:00Z",
            "2026-01-16T10:00:00Z",
        ),
    ]


def threads() -> dict[str, list[tuple[Json, list[Json]]]]:
    """Threads by employee name: (thread metadata, turns), newest first."""
    report = {
        "artifactId": "art-weekly-slo",
        "name": "weekly-slo.md",
        "description": "weekly SLO report",
        "parts": [
            {
                "kind": "text",
                "text": "# SLO week 3\n- checkout availability 99.97% (target 99.9%)\n- p99 latency 420 ms",
            }
        ],
    }
    return {
        "sre-copilot": [
            (
                _thread(
                    "sre-copilot",
                    "thread_id01",
                    "Root cause of checkout latency alert",
                    "idle",
                    "2026-01-18T02:23:05+00:00",
                    "2026-01-18T02:28:10+00:00",
                    "checkout",
                ),
                [_root_cause_turn(), _ticket_turn()],
            ),
            (
                _thread(
                    "sre-copilot",
                    "incident/2026-01 #7",
                    "Disk usage alert on node a/b",
                    "idle",
                    "2026-01-17T22:00:00+00:00",
                    "2026-01-17T22:00:03+00:00",
                    "infra",
                ),
                [
                    _simple_turn(
                        "91aa02c3d4e5f60171772000a0001",
                        -15785,
                        "Is disk usage on node a/b still above 90%?",
                        ["Yes: /data is at 93% ", "(465 GB of 500 GB); ", "the largest directory is /data/logs."],
                    )
                ],
            ),
        ],
        "运维 助手": [
            (
                _thread(
                    "运维 助手",
                    "会话/001",
                    "RDS 慢查询诊断",
                    "failed",
                    "2026-01-18T03:23:05+08:00",
                    "2026-01-18T11:28:08+08:00",
                    "数据库",
                ),
                [_slow_query_turn()],
            ),
        ],
        "report-bot": [
            (
                _thread(
                    "report-bot",
                    "weekly-2026-03",
                    "Weekly SLO report",
                    "idle",
                    "2026-01-16T09:59:00+00:00",
                    "2026-01-16T10:00:00+00:00",
                    "slo",
                ),
                [
                    _simple_turn(
                        "a0b1c2d3e4f5a60171772000b0002",
                        -180000,
                        "Write this week's SLO report.",
                        ["Done: availability ", "99.97% against a 99.9% target; ", "see the attached report."],
                        report,
                    )
                ],
            ),
        ],
    }


def big_thread() -> Json:
    return _thread(
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
            tools=[
                {
                    "name": "ShardStatus",
                    "toolCallId": f"t{index}",
                    "status": "start",
                    "arguments": {"shard": index % 16},
                }
            ],
        ),
        msg(
            seq + 2,
            "tool",
            at + 2,
            call,
            tools=[
                {
                    "name": "ShardStatus",
                    "toolCallId": f"t{index}",
                    "status": "success",
                    "result": f"shard {index % 16}: ok, lag {index % 7} s",
                }
            ],
        ),
        msg(
            seq + 3,
            "assistant",
            at + 3,
            call,
            contents=chunks(f"Shard {index % 16} is healthy; ", f"replication lag is {index % 7} s."),
        ),
    ]
    return _turn(f"{index:030x}", items[: max(0, min(4, messages - seq))])


def drifted_turn() -> Json:
    """A turn in a newer shape: unknown top-level fields, a content type and an event type the mapping has never seen."""
    call = "d71f7ed0000001"
    plan = {
        "steps": [{"title": "collect metrics", "status": "done"}, {"title": "compare baselines", "status": "running"}]
    }
    turn = _turn(
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
    return turn | {"schemaVersion": "v0.2.0"}
