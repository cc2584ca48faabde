"""Sample digital employees and threads for the CMS / STAROps sandbox, in the vendor's wire form.

English and Chinese, ids holding ``/``, spaces and non-ASCII, chunked contents, tool calls and their results, a
sub-agent, reasoning, artifacts and a failed task.
"""

from __future__ import annotations

from .build import Json, chunks, finished, msg, thread_obj, tool, turn


def _root_cause_turn() -> Json:
    call, agent = "3b5287b7176360", "019bc1cb-b001"
    messages = [
        msg(0, "user", 0, call, contents=chunks("Why did checkout latency spike at 08:00 UTC?")),
        *_intent(call),
        msg(3, "assistant", 2.4, call, agents=[_analyser(agent)]),
        _analysis(agent),
        _root_cause_answer(call),
        finished(6, 14.6, call, 14600),
    ]
    return turn("3b5287b717636040171772050d0095", messages)


def _intent(call: str) -> list[Json]:
    """The intent recognition tool: its call and its result."""
    args = {"confidence": "high", "intent": "analyser", "is_new_turn": True, "language": "en"}
    args["title"] = "Root Cause of Alert"
    started = tool("IntentRecognition", "019bc1cb-adad", "start", ident="IntentRecognition", arguments=args)
    result = "intent=analyser (confidence high)"
    done = tool("IntentRecognition", "019bc1cb-adad", "success", ident="IntentRecognition", result=result)
    return [msg(1, "assistant", 1.2, call, tools=[started]), msg(2, "tool", 1.9, call, tools=[done])]


def _analyser(agent: str) -> Json:
    inputs = chunks("Analyze this trace: ", "TraceID=7f3a9c2e")
    return {"callId": agent, "id": "analyser", "name": "analyser", "status": "start", "inputs": inputs}


def _analysis(agent: str) -> Json:
    """The sub-agent's own message: what it found, with the trace query it ran."""
    found = chunks(
        "The slowest span is ", "`payment-db.query` (2.8 s of 3.1 s); ", "it waits on a row lock held by a batch job."
    )
    result = "42 spans; slowest payment-db.query 2843 ms"
    query = tool("QueryTrace", "019bc1cb-b003", "success", arguments={"traceId": "7f3a9c2e"}, result=result)
    return msg(4, "assistant", 9.8, "019bc1cb-b002", agent, contents=found, tools=[query])


def _root_cause_answer(call: str) -> Json:
    sql = "SELECT id, status FROM orders WHERE updated_at >= '2026-01-18 08:00' FOR UPDATE SKIP LOCKED;"
    artifact = {
        "artifactId": "019bc1cb-9600-703a",
        "name": "sql output",
        "description": "sql generation task result",
        "extensions": ["sql_generation_tool", "sql_diagnosis"],
        "metadata": {"model": "qwen3-coder-plus"},
        "parts": [{"kind": "text", "text": sql}],
    }
    contents = [
        *chunks("The lock wait lines up with the 08:00 settlement batch.", kind="reasoning"),
        *chunks(
            "Root cause: the nightly settlement batch locks `orders` rows from 08:00 to 08:04, ",
            "so checkout's payment query waits up to 2.8 s.",
            "\nFix: run the batch at 03:00, or commit it in smaller transactions.",
        ),
    ]
    return msg(5, "assistant", 14.1, call, contents=contents, artifacts=[artifact])


def _ticket_turn() -> Json:
    call = "5c11aa0e2b7734"
    return turn(
        "5c11aa0e2b77340171772051e0102",
        [
            msg(7, "user", 300, call, contents=chunks("Please open a ticket for the DBA team.")),
            msg(
                8,
                "assistant",
                301.5,
                call,
                tools=[tool("CreateTicket", "t-ticket-1", "start", arguments={"team": "dba", "severity": "P2"})],
            ),
            msg(
                9,
                "tool",
                303.0,
                call,
                tools=[tool("CreateTicket", "t-ticket-1", "success", result={"ticket": "OPS-1234"})],
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
    return turn(
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
                    tool("QuerySlowLog", "t-slow-1", "start", arguments={"instanceId": "rm-bp1xyz", "window": "1h"})
                ],
            ),
            msg(
                2,
                "tool",
                3602.7,
                call,
                tools=[tool("QuerySlowLog", "t-slow-1", "failed", error="InvalidInstanceId: 实例 rm-bp1xyz 不存在")],
            ),
            finished(3, 3903.0, call, 300000, failure, detail="context of model exceed"),
        ],
    )


def _simple_turn(trace: str, at: float, question: str, answer: list[str], artifact: Json | None = None) -> Json:
    call = trace[:14]
    return turn(
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
    return {"sre-copilot": _sre_threads(), "运维 助手": _ops_threads(), "report-bot": _report_threads()}


def _sre_threads() -> list[tuple[Json, list[Json]]]:
    created, updated = "2026-01-18T02:23:05+00:00", "2026-01-18T02:28:10+00:00"
    latency = thread_obj(
        "sre-copilot", "thread_id01", "Root cause of checkout latency alert", "idle", created, updated, "checkout"
    )
    created, updated = "2026-01-17T22:00:00+00:00", "2026-01-17T22:00:03+00:00"
    disk = thread_obj(
        "sre-copilot", "incident/2026-01 #7", "Disk usage alert on node a/b", "idle", created, updated, "infra"
    )
    answer = ["Yes: /data is at 93% ", "(465 GB of 500 GB); ", "the largest directory is /data/logs."]
    disk_turn = _simple_turn(
        "91aa02c3d4e5f60171772000a0001", -15785, "Is disk usage on node a/b still above 90%?", answer
    )
    return [(latency, [_root_cause_turn(), _ticket_turn()]), (disk, [disk_turn])]


def _ops_threads() -> list[tuple[Json, list[Json]]]:
    created, updated = "2026-01-18T03:23:05+08:00", "2026-01-18T11:28:08+08:00"
    slow = thread_obj("运维 助手", "会话/001", "RDS 慢查询诊断", "failed", created, updated, "数据库")
    return [(slow, [_slow_query_turn()])]


def _report_threads() -> list[tuple[Json, list[Json]]]:
    text = "# SLO week 3\n- checkout availability 99.97% (target 99.9%)\n- p99 latency 420 ms"
    report = {
        "artifactId": "art-weekly-slo",
        "name": "weekly-slo.md",
        "description": "weekly SLO report",
        "parts": [{"kind": "text", "text": text}],
    }
    created, updated = "2026-01-16T09:59:00+00:00", "2026-01-16T10:00:00+00:00"
    weekly = thread_obj("report-bot", "weekly-2026-03", "Weekly SLO report", "idle", created, updated, "slo")
    answer = ["Done: availability ", "99.97% against a 99.9% target; ", "see the attached report."]
    report_turn = _simple_turn(
        "a0b1c2d3e4f5a60171772000b0002", -180000, "Write this week's SLO report.", answer, report
    )
    return [(weekly, [report_turn])]
