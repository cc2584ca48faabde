"""Sample DataAgent sessions for the sandbox: English and Chinese, thinking, task plans with a failed step,
final summaries, an error, both feedback encodings, a Context carrying a ``key=`` URL, and a running session.

Records are kept in one neutral form and rendered per action: ``GetSessionDetails`` returns the full
``Record`` (Feedback 0 none / 1 like / 2 dislike, ISO times), ``QueryUserSessionDetail`` the smaller
``RecordList`` item (Feedback 1 positive / 0 negative, ``YYYY-MM-DD HH:MM:SS`` times).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

Feedback = Literal["up", "down"] | None

INSTANCE = "dataagent-sbx0demo"
INSTANCE_CN = "dataagent-sbx1zhcn"
SESSION_SALES = "5f0c1e2a-8d3b-4c7e-9a61-2b7d4e9f0a11"
SESSION_CN = "b8a1c3d2-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
SESSION_RUNNING = "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f"
SESSION_BIG = "0b16b16b-0000-4000-8000-000000000000"
DATA_SOURCE_KEY = "sbxDataSourceKey7731"
CONTEXT = json.dumps(
    {
        "KnowledgeBases": [
            {
                "KnowledgeBaseId": "klbase-sbx01",
                "FileIds": [],
                "Databases": [
                    {
                        "MCP": {
                            "Instance": "mcp-sbx72s",
                            "Type": "TCHouseD",
                            "Url": f"http://10.0.0.90:31234/sse?key={DATA_SOURCE_KEY}",
                            "DataEngineName": "官方数据源",
                            "Password": "sbx-db-password-42",
                            "DataSourceId": "datasource_tchoused_example",
                        }
                    }
                ],
            }
        ],
        "Version": "2.0.1",
    },
    ensure_ascii=False,
)
_T0 = datetime(2025, 11, 14, 2, 45, 43, tzinfo=timezone.utc)


@dataclass
class Record:
    record_id: str
    question: str
    answer: str = ""
    think: str = ""
    tasks: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    summary: str = ""
    error: str = ""
    feedback: Feedback = None
    context: str = "{}"
    created: datetime = _T0
    model: str = "deepseek-v3"

    def details(self, session: str) -> dict[str, Any]:
        return {
            "Context": self.context,
            "Question": self.question,
            "Answer": self.answer,
            "Think": self.think,
            "TaskList": self.tasks,
            "FinalSummary": json.dumps({"v": self.summary, "cell_id": "cell-7" if self.summary else ""}),
            "CreateTime": self.created.isoformat(timespec="microseconds"),
            "UpdateTime": (self.created + timedelta(seconds=9)).isoformat(timespec="microseconds"),
            "RecordId": self.record_id,
            "Feedback": {None: 0, "up": 1, "down": 2}[self.feedback],
            "SessionId": session,
            "DbInfo": "",
            "ErrorContext": self.error,
            "TaskListStr": "",
            "KnowledgeBaseIds": ["klbase-sbx01"],
        }

    def query_item(self, session: str) -> dict[str, Any]:
        item: dict[str, Any] = {
            "Context": self.context,
            "RecordId": self.record_id,
            "TraceId": f"trace-{self.record_id[:8]}",
            "SessionId": session,
            "Question": self.question,
            "Answer": self.answer,
            "ErrorContext": self.error,
            "CreateTime": self.created.strftime("%Y-%m-%d %H:%M:%S"),
            "UpdateTime": (self.created + timedelta(seconds=9)).strftime("%Y-%m-%d %H:%M:%S"),
            "Model": self.model,
        }
        if self.feedback is not None:
            item["Feedback"] = {"up": 1, "down": 0}[self.feedback]
        return item


@dataclass
class Session:
    instance: str
    session_id: str
    records: list[Record] = field(default_factory=list[Record])
    running: str | None = None
    """RecordId of the reply being generated, if any."""
    polls_left: int | None = None
    """Reads until the running reply completes (None: it never does on its own)."""

    def run_record(self) -> str:
        if self.running is None:
            return ""
        run = {"SessionId": self.session_id, "Context": CONTEXT, "OldRecordId": "", "RecordId": self.running}
        return json.dumps(run, ensure_ascii=False)


def step(sid: int, name: str, status: str, summary: str = "", kind: str = "text") -> dict[str, Any]:
    expand = {"Title": name, "Status": status, "CellIds": [f"cell-{sid}"]} if kind == "expand" else None
    return {"Id": sid, "Name": name, "Status": status, "Type": kind, "Summary": summary, "Expand": expand, "Desc": ""}


def task(tid: int, name: str, status: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Id": tid, "Name": name, "Status": status, "StepInfoList": steps}


SALES_TASKS = [
    task(
        1,
        "Rank Q3 2025 products by revenue",
        "success",
        [
            step(1, "Understand the question", "success", "Revenue = sum(price * quantity), Q3 = Jul-Sep 2025."),
            step(2, "Query the orders table", "failed", "SQL error: column orders.revenue does not exist", "expand"),
            step(3, "Retry with price * quantity", "success", "5 rows returned in 1.2s", "expand"),
            step(4, "Summarize the ranking", "success"),
        ],
    )
]
CN_TASKS = [
    task(
        1,
        "统计上月各地区订单量",
        "success",
        [step(1, "理解问题", "success", "上月 = 2025年10月"), step(2, "查询订单表", "success", "返回 4 行", "expand")],
    )
]


def _sales() -> Session:
    records = [
        Record(
            "63eb66d2-a80a-4d57-9a80-68befed2f388",
            "who are you",
            "Hello! I'm your data analysis assistant, here to help with your data questions.",
            think="Detected small talk based on your input.",
            context=CONTEXT,
        ),
        Record(
            "5b13dd3b-96cf-4d4d-a6f0-13555a1f9fb8",
            "Which 5 products had the highest revenue in Q3 2025?",
            "| product | revenue |\n|---|---|\n| Widget Pro | 1,204,331 |\n| Gadget Max | 987,120 |\n"
            "| Sensor Kit | 640,902 |\n| Cable Pack | 512,448 |\n| Dock Mini | 498,005 |",
            think="Revenue is not a column; compute it from price and quantity, filter Q3, group by product.",
            tasks=SALES_TASKS,
            summary="Widget Pro led Q3 2025 with 1.2M revenue; the top 5 made 3.8M together.",
            feedback="up",
            context=CONTEXT,
            created=_T0 + timedelta(minutes=1),
        ),
        Record(
            "9c2f7a10-1d3e-4b5a-8f6e-7a8b9c0d1e2f",
            "Break that down by region and month",
            error=json.dumps({"Code": "QueryTimeout", "Message": "the query ran longer than 60s and was cancelled"}),
            think="Needs a join of orders and regions; the orders table is large.",
            feedback="down",
            context=CONTEXT,
            created=_T0 + timedelta(minutes=3),
        ),
    ]
    return Session(INSTANCE, SESSION_SALES, records)


def _chinese() -> Session:
    records = [
        Record(
            "d41d8cd9-8f00-4b20-9e98-0998ecf8427e",
            "上个月各地区的订单量是多少?",
            "上个月(2025年10月)各地区订单量:\n华东 12,403;华南 9,876;华北 8,120;西部 3,455。",
            think="用户想按地区统计上月订单量,需要按 region 分组计数。",
            tasks=CN_TASKS,
            summary="华东地区订单量最高。",
            feedback="down",
            model="hunyuan-turbos",
            created=_T0 + timedelta(days=1),
        ),
    ]
    return Session(INSTANCE_CN, SESSION_CN, records)


def _running() -> Session:
    done = Record(
        "e5f6a7b8-1111-4c2d-9e3f-4a5b6c7d8e9f",
        "How many active customers do we have?",
        "There are 48,210 active customers (ordered in the last 90 days).",
        created=_T0 + timedelta(days=2),
    )
    live = Record(
        "f6a7b8c9-2222-4d3e-8f4a-5b6c7d8e9f0a",
        "Forecast next month's revenue",
        "Scanning 24 months of orders…",
        think="Fit a seasonal model on monthly revenue.",
        created=_T0 + timedelta(days=2, minutes=5),
    )
    return Session(INSTANCE, SESSION_RUNNING, [done, live], running=live.record_id)


def finished_forecast(record: Record) -> None:
    """What the running sample's reply looks like once it completes."""
    record.answer = "Forecast for next month: 1.31M revenue (80% interval 1.18M-1.44M)."
    record.summary = "Revenue is expected to grow 4% month over month."


def big_session(count: int) -> Session:
    base = _T0 + timedelta(days=10)
    records = [
        Record(
            f"big-{i:06d}",
            f"Question {i}: daily orders on day {i}?",
            f"Day {i} had {1000 + i % 97} orders.",
            created=base + timedelta(minutes=i),
        )
        for i in range(count)
    ]
    return Session(INSTANCE, SESSION_BIG, records)


def sample_sessions(big_records: int = 0) -> dict[str, Session]:
    sessions = [_sales(), _chinese(), _running()] + ([big_session(big_records)] if big_records else [])
    return {s.session_id: s for s in sessions}


SAMPLE_REFS = tuple(f"dataagent:{s.instance}/{s.session_id}" for s in sample_sessions().values())
