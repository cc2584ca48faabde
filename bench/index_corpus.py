"""The synthetic corpus of the index benchmark: threads shaped like the vendors' transcripts (English and Chinese
turns, Zipf-distributed words, a topic now and then, tool calls with arguments and results, a few failures of
several kinds) and the query mix timed against it."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from agent_threads.transcript import EventPart, Message, ToolCallPart

PROVIDERS = ["qoder", "cms", "dms", "rdsai", "dataagent"]
COMMON = (
    "the a to of and in is for on with that this it as be are was from by at or not we can will have has table "
    "query instance index data report user orders rows check run time last week month error result disk cpu memory "
    "latency region service request response plan step agent tool read write update create delete server database"
).split()
HANZI = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多"
    "定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由"
    "其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意"
    "建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统"
    "接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器"
    "压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声"
    "报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿"
    "须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候"
)
TABLES = ["orders", "customers", "refunds", "inventory_daily", "legacy_users", "shipments", "sales.t1", "ops.t9"]
TOOLS = [
    "ExecuteSQL", "DescribeDBInstancePerformance", "QuerySlowLog", "WebFetch", "WebSearch", "Bash", "Read", "Edit",
    "GetMetricData", "DescribeDBInstances", "ListTables", "DescribeTable", "RunNotebook", "CreateChart", "SendEmail",
    "GetAlert", "DescribeBackupPolicy", "ModifyParameter", "Grep", "spawn_agent",
]  # fmt: skip
TOPICS = [
    "the replication lag is growing on the read replica",
    "a full table scan on orders filtered by created_at",
    "the connection pool is exhausted during the nightly batch",
    "disk usage is above 90% on the data volume",
    "请帮我评估一下数据库磁盘扩容方案",
    "实例的磁盘使用率已经超过告警线",
    "建议在业务低峰期扩容到 500GB",
    "慢查询主要集中在订单表",
    "上个月各仓库的库存周转率",
    "本周退款率比上周下降",
]
"""Phrases that occur in a few messages each (about 0.3-0.6% of them), as a topic does in real transcripts."""
ERRORS = [
    ("SQL_EXECUTION_FAILED", "Table '{table}' doesn't exist"),
    ("ToolTimeout", "{tool} timed out after {n}s"),
    ("QueryTimeout", "the query ran longer than {n}s and was cancelled"),
    ("InvalidInstanceId", "实例 rm-{id} 不存在"),
    ("Throttling.User", "Request was denied due to user flow control."),
    ("HTTP_403", "HTTP 403 Forbidden: the page requires a login."),
]
QUERIES: dict[str, dict[str, Any]] = {
    "phrase": {"query": '"replication lag is growing"'},
    "cjk_substring": {"query": "磁盘扩容"},
    "cjk_2_chars": {"query": "扩容"},
    "tool_name": {"query": "DescribeDBInstancePerformance"},
    "error_code": {"query": "SQL_EXECUTION_FAILED", "errors_only": True},
    "common_word": {"query": "table"},
    "no_match": {"query": "kubernetes operator"},
}
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


class Writer:
    """Random text shaped like agent transcripts: Zipf-distributed words, a topic now and then."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        syllables = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"]
        made = {"".join(self.rng.choice(syllables) for _ in range(self.rng.randint(1, 3))) for _ in range(3000)}
        self.words = COMMON + sorted(made)
        self.hanzi = [HANZI[i : i + n] for i in range(0, len(HANZI) - 3, 2) for n in (2, 3)]
        self.weights = [1 / (rank + 1) for rank in range(len(self.words))]
        self.zh_weights = [1 / (rank + 1) ** 0.7 for rank in range(len(self.hanzi))]

    def sentence(self) -> str:
        if self.rng.random() < 0.35:
            parts = self.rng.choices(self.hanzi, self.zh_weights, k=self.rng.randint(4, 14))
            text = "".join(parts) + "。"
        else:
            text = " ".join(self.rng.choices(self.words, self.weights, k=self.rng.randint(6, 20))).capitalize() + "."
        if self.rng.random() < 0.01:
            text += " " + self.rng.choice(TOPICS) + "."
        return text

    def text(self, low: int, high: int) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(low, high)))

    def fill(self, template: str) -> str:
        rng = self.rng
        return template.format(table=rng.choice(TABLES), tool=rng.choice(TOOLS), id=f"{rng.getrandbits(40):x}",
                               n=rng.randint(1, 999))  # fmt: skip

    def message(self, i: int, when: datetime) -> Message:
        role = "user" if i % 2 == 0 else "assistant"
        text = self.text(1, 2) if role == "user" else self.text(2, 8)
        parts = self.tool_call() if role == "assistant" and self.rng.random() < 0.4 else []
        return Message(id=f"m{i}", role=role, text=text, time=when + timedelta(seconds=30 * i), parts=parts)

    def tool_call(self) -> list[Any]:
        rng, table = self.rng, self.rng.choice(TABLES)
        args = {"sql": f"SELECT region, count(*) FROM {table} GROUP BY region", "limit": rng.randint(10, 500)}
        if rng.random() < 0.04:
            code, template = rng.choice(ERRORS)
            message = self.fill(template)
            error = EventPart(name="tool", code=code, message=message, is_error=True)
            return [ToolCallPart(name=rng.choice(TOOLS), arguments=args, status="failed", result=message), error]
        rows = [{"region": self.rng.choice(HANZI) * 2, "n": rng.randint(1, 10**6)} for _ in range(rng.randint(1, 8))]
        return [
            ToolCallPart(
                name=rng.choice(TOOLS),
                arguments=args,
                status="done",
                result=json.dumps({"rows": rows}, ensure_ascii=False),
            )
        ]


def corpus(threads: int, per_thread: int) -> Iterator[tuple[str, str, list[Message]]]:
    writer = Writer(7)
    for t in range(threads):
        provider = PROVIDERS[t % len(PROVIDERS)]
        start = T0 + timedelta(hours=t)
        yield f"{provider}:bench/{t}", provider, [writer.message(i, start) for i in range(per_thread)]
