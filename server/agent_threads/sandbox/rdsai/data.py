"""The RDS AI sandbox's conversations: Dify-style rows (``Query`` + ``Answer`` + ``Events``), oldest first.

Row events carry lowercase ``event``/``answer`` next to PascalCase tool fields, as GetMessages returns them.
Sample data: a Chinese disk-usage conversation (the docs' example), an English slow-query one with tool calls,
a rejected approval, feedback and a failed generation; short fillers; and, with
``ctx.options["rdsai.big_conversation_rows"]``, one very long conversation.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

T0 = int(datetime(2026, 5, 18, 3, 40, tzinfo=timezone.utc).timestamp())
_NS = uuid.UUID("7b0c3a52-1d3e-4a6f-9c1b-5e2f8d4a6b10")
Row = dict[str, Any]


def stable_id(*parts: object) -> str:
    return str(uuid.uuid5(_NS, "/".join(str(p) for p in parts)))


def thought(text: str) -> dict[str, Any]:
    return {"event": "agent_thought", "answer": text}


def tool(
    name: str, args: dict[str, Any], call: str, approval: str = "auto_approved", description: str = ""
) -> dict[str, Any]:
    event = {
        "event": "tool_call",
        "answer": "",
        "ToolName": name,
        "ToolArguments": args,
        "CallId": call,
        "ApprovalStatus": approval,
        "RoundId": "1",
    }
    return event | ({"Description": description} if description else {})


def result(call: str, value: Any) -> dict[str, Any]:
    return {
        "event": "tool_result",
        "answer": json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value,
        "CallId": call,
    }


@dataclass
class Conversation:
    id: str
    name: str
    introduction: str
    created: int
    rows: list[Row] = field(default_factory=list[Row])
    running: bool = False

    def add(self, query: str, answer: str, at: int, events: list[dict[str, Any]], **extra: Any) -> Row:
        row_id = stable_id(self.id, len(self.rows))
        ids = {"MessageId": row_id, "ConversationId": self.id}
        row: Row = {
            "Id": row_id,
            "ConversationId": self.id,
            "Query": query,
            "Answer": answer,
            "CreatedAt": str(at),
            "Feedback": None,
            "RetrieverResources": [],
            "GenerationStatus": "succeeded",
            "GenerationStartedAt": str(at),
            "GenerationFinishedAt": str(at + 4 + len(events)),
            "MessageFiles": [],
            "StreamKey": f"stream:{row_id[:8]}",
            "LastSentEntryId": f"{at * 1000}-0",
            "Events": [e | ids if "ToolName" in e else e for e in events] + [{"event": "message", "answer": answer}],
        } | extra
        self.rows.append(row)
        return row

    def summary(self) -> dict[str, Any]:
        updated = int(self.rows[-1]["CreatedAt"]) if self.rows else self.created
        return {
            "Id": self.id,
            "Name": self.name,
            "Introduction": self.introduction,
            "CreatedAt": str(self.created),
            "UpdatedAt": str(updated),
            "IsRunning": self.running,
            "Status": "running" if self.running else "idle",
        }


def _disk_cn() -> Conversation:
    c = Conversation(stable_id("disk"), "实例磁盘使用率", "rm-bp14as9914vd3 的磁盘与扩容建议", T0)
    perf = {"DBInstanceId": "rm-bp14as9914vd3", "Key": "MySQL_DetailedSpaceUsage"}
    c.add(
        "实例rm-bp14as9914vd3 磁盘使用率,是否需要扩容",
        "您询问的实例rm-bp14as9914vd3 "
        "磁盘使用率为23%,暂时不需要进行磁盘扩容。如果您需要进一步查看某个实例的详细配置、性能监控或进行其他操作,请告诉我具体需求!",
        T0 + 4,
        [
            thought("需要先查询该实例的磁盘空间使用情况。"),
            tool("DescribeDBInstancePerformance", perf, "call_disk_01", description="查询实例空间使用"),
            result("call_disk_01", {"DiskUsage": "23%", "DiskTotalGB": 100, "DataGB": 19.6, "LogGB": 3.4}),
        ],
        Feedback="like",
    )
    c.add(
        "过去7天的增长趋势呢?",
        "过去 7 天磁盘使用量从 21.2 GB 增长到 23.0 GB,日均增长约 0.26 GB。按此速度,约 290 天后达到 80% 告警线。",
        T0 + 120,
        [
            tool(
                "DescribeDBInstancePerformance",
                perf | {"StartTime": "2026-05-11T00:00Z", "EndTime": "2026-05-18T00:00Z"},
                "call_disk_02",
            ),
            result("call_disk_02", {"Points": 7, "FromGB": 21.2, "ToGB": 23.0}),
        ],
    )
    return c


def _slow_en() -> Conversation:
    base = T0 + 3600
    c = Conversation(stable_id("slow"), "Slow queries on orders-db", "rm-uf6wjk5 got slow this morning", base)
    answer = (
        "CPU has been at 92% since 08:10. The top slow query is a full table scan on orders filtered by created_at "
        "(1.8 s average, 4,210 runs). An index on orders(created_at) should fix it."
    )
    question = "Why is my MySQL instance rm-uf6wjk5 slow since this morning?"
    c.add(question, answer, base + 5, _slow_diagnosis(), Feedback="like")
    answer = (
        "I prepared the statement, but the ExecuteSQL call was rejected in approval. Run it yourself in a quiet "
        "hour: CREATE INDEX idx_orders_created_at ON orders (created_at);"
    )
    c.add("Create the missing index for me.", answer, base + 300, [_rejected_index()], Feedback="dislike")
    c.add(
        "And check the replication lag.",
        "Checking the read-only replica",
        base + 600,
        _replication_timeout(),
        GenerationStatus="failed",
        GenerationFinishedAt=str(base + 640),
    )
    return c


def _slow_diagnosis() -> list[dict[str, Any]]:
    slow_log = {"DBInstanceId": "rm-uf6wjk5", "StartTime": "2026-05-18T00:00Z", "PageSize": 30}
    top = {"Top": "SELECT * FROM orders WHERE created_at > ?", "AvgSeconds": 1.8, "Count": 4210}
    cpu = {"DBInstanceId": "rm-uf6wjk5", "Key": "MySQL_MemCpuUsage"}
    return [
        thought("Check CPU first, then the slow log."),
        tool("DescribeDBInstancePerformance", cpu, "call_slow_01"),
        result("call_slow_01", {"CpuUsage": "92%", "Since": "08:10"}),
        tool("DescribeSlowLogRecords", slow_log, "call_slow_02"),
        result("call_slow_02", top),
    ]


def _rejected_index() -> dict[str, Any]:
    args = {"DBInstanceId": "rm-uf6wjk5", "SQL": "CREATE INDEX idx_orders_created_at ON orders (created_at)"}
    return tool("ExecuteSQL", args, "call_slow_03", approval="rejected", description="DDL on a production table")


def _replication_timeout() -> list[dict[str, Any]]:
    message = "DescribeDBInstanceReplication timed out after 30s"
    return [
        tool("DescribeDBInstanceReplication", {"DBInstanceId": "rm-uf6wjk5"}, "call_slow_04"),
        {"event": "error", "answer": "", "code": "ToolTimeout", "message": message},
    ]


def _short(index: int, name: str, query: str, answer: str) -> Conversation:
    at = T0 - 86400 * index
    c = Conversation(stable_id("short", index), name, "", at)
    c.add(query, answer, at + 3, [])
    return c


def big_conversation(rows: int) -> Conversation:
    c = Conversation(stable_id("big"), f"Big conversation ({rows} rows)", "generated", T0 - 40 * 86400)
    for n in range(rows):
        call = f"call_big_{n}"
        c.add(
            f"Check #{n + 1}: is instance rm-big{n % 9} healthy?",
            f"Check #{n + 1}: rm-big{n % 9} is healthy; CPU {20 + n % 50}%, IOPS {n % 7}k.",
            c.created + 60 * n,
            [
                tool("DescribeDBInstanceAttribute", {"DBInstanceId": f"rm-big{n % 9}"}, call),
                result(call, {"Status": "Running"}),
            ],
        )
    return c


def sample_conversations(options: dict[str, Any]) -> dict[str, Conversation]:
    found = [
        _disk_cn(),
        _slow_en(),
        _short(
            1,
            "Backup policy",
            "How long are my backups kept?",
            "Backups of rm-bp14as9914vd3 are kept 7 days; log backups 7 days too.",
        ),
        _short(
            2,
            "参数建议",
            "innodb_buffer_pool_size 应该设多大?",
            "对 16 GB 内存的实例,建议设置为约 11 GB(内存的 70% 左右)。",
        ),
        _short(
            3,
            "Engine version",
            "Which MySQL version is rm-uf6wjk5 on?",
            "rm-uf6wjk5 runs MySQL 8.0.36 (minor version 20240630).",
        ),
    ]
    if options.get("rdsai.big_conversation_rows"):
        found.append(big_conversation(int(options["rdsai.big_conversation_rows"])))
    return {c.id: c for c in found}
