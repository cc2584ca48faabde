"""A small corpus every backend gets the same: English and Chinese, tool calls, failures of several kinds."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from agent_threads.index import ThreadIndex
from agent_threads.index.records import Progress, ThreadWrite
from agent_threads.transcript import EventPart, Message, ToolCallPart

from .conftest import SECRET

T0 = datetime(2026, 2, 1, 8, 0, tzinfo=timezone.utc)
CREDENTIAL_LIKE = "AccessKeySecret=Zx9Qw8Er7Ty6Ui5Op4"


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def user(text: str, minute: int) -> Message:
    return Message(role="user", text=text, time=at(minute))


def answer(text: str, minute: int, *parts: ToolCallPart | EventPart) -> Message:
    return Message(role="assistant", text=text, time=at(minute), parts=list(parts))


def sql_failed(table: str, minute: int) -> Message:
    error = EventPart(name="sql", code="SQL_EXECUTION_FAILED", message=f"Table '{table}' doesn't exist", is_error=True)
    return answer("", minute, error)


THREADS: dict[str, tuple[str, str, list[Message]]] = {
    "qoder:s1/t1": (
        "Disk expansion plan",
        "idle",
        [
            user("请帮我评估一下数据库磁盘扩容方案，下周要上线。", 0),
            answer(
                "建议先扩容到 500GB，再观察一周。",
                1,
                ToolCallPart(name="ExecuteSQL", arguments={"sql": "SELECT size FROM disks"}, result="420GB"),
            ),
            user(f"Use my key {SECRET} and {CREDENTIAL_LIKE} if needed.", 2),
            answer("I will not need credentials; the expansion is planned.", 3),
        ],
    ),
    "dms:s2": (
        "Orders per signup year",
        "failed",
        [
            user("Join orders with legacy_users and count orders per signup year.", 10),
            sql_failed("sales.t1", 11),
            answer("I could not finish: the table sales.t1 no longer exists.", 12),
        ],
    ),
    "dms:s3": (
        "Refunds by region",
        "failed",
        [user("What does SQL_EXECUTION_FAILED mean for refunds?", 20), sql_failed("ops.t9", 21)],
    ),
    "rdsai:c4": (
        "Replication",
        "idle",
        [
            user("Why is the replication lag growing on rm-uf6wjk5?", 30),
            answer(
                "The replication lag is growing because the replica applies one large transaction.",
                31,
                EventPart(
                    name="reply", code="ToolTimeout", message="DescribeReplication timed out after 30s", is_error=True
                ),
            ),
            answer("Checking again: the replication lag is back to 0 s.", 32),
        ],
    ),
    "cms:bot/t5": (
        "Weekly report",
        "idle",
        [user("Write the weekly report on the orders table.", 40), answer("Done: «orders» grew 4% this week.", 41)],
    ),
    "dms:s6": ("Stalled", "failed", [user("Count the rows of shard 7.", 50), answer("Counting…", 51)]),
}


async def seed(index: ThreadIndex) -> None:
    for ref, (title, status, messages) in THREADS.items():
        write = ThreadWrite(
            ref=ref,
            provider=ref.split(":")[0],
            title=title,
            status=status,
            updated=messages[-1].time,
            messages=index.records(messages, 0),
            progress=Progress(resume=None, complete=True, listed="seeded"),
        )
        await index.write(write)
