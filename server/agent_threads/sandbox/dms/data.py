"""The DMS Data Agent sandbox's sample sessions: an English analysis with a plan, SQL, a table, a chart and a
report; a Chinese one with reasoning; a task that failed; a few short sessions; and, when
``ctx.options["dms.big_thread_events"]`` is set, one very long session; with ``dms.running_session``, one whose
latest turn is still being written.
"""

from __future__ import annotations

from typing import Any

from .build import T0, DmsSession, Event, big_session, data, deltas, finish, json_data, plan

__all__ = ["running_session", "sample_sessions"]


def _q3_sales() -> DmsSession:
    s = DmsSession("sess_q3_sales_7b1c", "Q3 sales growth by region", T0)
    s.turn("Which region had the highest sales growth in Q3 2025?", T0 + 5, _q3_growth_events())
    s.turn("Turn that into a bar chart and a short report.", T0 + 300, _q3_chart_events())
    summary = "Two pages: growth table, bar chart, three findings."
    s.artifact("Q3 regional growth report", "TextReport", "SUCCESS", summary, T0 + 305)
    return s


def _q3_growth_events() -> list[Event]:
    table = {
        "columns": ["region", "q2_revenue", "q3_revenue", "growth"],
        "rows": [
            ["East China", 1204300, 1398200, "16.1%"],
            ["South China", 998100, 1090400, "9.2%"],
            ["North China", 870500, 861900, "-1.0%"],
        ],
    }
    sql = (
        "SELECT r.name AS region, SUM(o.amount) FILTER (WHERE o.quarter = 'Q3') AS q3_revenue "
        "FROM orders o JOIN regions r ON r.id = o.region_id GROUP BY r.name"
    )
    steps = [("Locate the orders and regions tables", "DONE"), ("Sum Q2 and Q3 revenue by region", "DONE")]
    answer = (
        "East China grew fastest in Q3 2025: revenue rose 16.1% over Q2 to ¥1.40M, mostly from repeat enterprise "
        "orders. South China followed at 9.2%, while North China dipped 1.0%."
    )
    return [
        data("Data understanding completed.", "PLAN"),
        plan("Q3 regional growth", *steps, ("Compare growth", "DONE")),
        json_data("SQL", {"sql": sql}),
        json_data("TABLE", table),
        *deltas(answer),
    ]


def _q3_chart_events() -> list[Event]:
    chart = {"type": "bar", "x": "region", "y": "growth", "title": "Q3 2025 growth by region"}
    answer = (
        "Here is the bar chart of Q3 growth by region. The two-page report 'Q3 regional growth' is ready under "
        "artifacts."
    )
    return [
        plan("Chart and report", ("Draw growth by region", "DONE"), ("Write the report", "DONE")),
        json_data("CHART", chart),
        *deltas(answer),
    ]


def _inventory_cn() -> DmsSession:
    s = DmsSession("sess_inventory_cn_42d9", "上月库存周转分析", T0 + 3600, agent_id="agent_c19e", language="CHINESE")
    s.turn(
        "分析上个月各仓库的库存周转率，找出周转最慢的仓库。",
        T0 + 3605,
        [
            *deltas("先确认库存表与出库表的关联字段，再按仓库汇总。", size=8, category="THINKING"),
            data("数据理解完成。", "PLAN"),
            plan(
                "库存周转分析", ("识别库存表与出库表", "DONE"), ("计算各仓库周转率", "DONE"), ("排序并给出建议", "DONE")
            ),
            json_data(
                "SQL",
                {
                    "sql": (
                        "SELECT warehouse, SUM(out_qty) / AVG(stock_qty) AS turnover FROM inventory_daily GROUP BY "
                        "warehouse ORDER BY turnover"
                    )
                },
            ),
            *deltas(
                "上个月周转最慢的是成都仓：周转率仅 2.1 次，远低于全部仓库平均的 4.6 次。积压主要来自冬季服装（占库存 "
                "38%）。建议：把成都仓的冬装调拨到西安仓，并暂停该品类补货两周。",
                size=9,
            ),
        ],
    )
    s.artifact("库存周转报告", "WebReport", "SUCCESS", "各仓库周转率排行与调拨建议", T0 + 3700)
    return s


def _failed_join() -> DmsSession:
    s = DmsSession("sess_failed_join_0e55", "Orders per signup year", T0 + 7200, status="FAILED")
    s.turn(
        "Join orders with legacy_users and count orders per signup year.",
        T0 + 7205,
        [
            plan(
                "Orders per signup year", ("Find the users table", "DONE"), ("Join and group by signup year", "FAILED")
            ),
            json_data(
                "SQL",
                {
                    "sql": (
                        "SELECT YEAR(u.signup_at) AS y, COUNT(*) FROM orders o JOIN legacy_users u ON u.id = "
                        "o.user_id GROUP BY y"
                    )
                },
            ),
            json_data(
                "ERROR",
                {"code": "SQL_EXECUTION_FAILED", "message": "Table 'sales.legacy_users' doesn't exist"},
                level=40,
            ),
            *deltas(
                "I could not finish: the table legacy_users no longer exists. The users table has a signup_at column; "
                "shall I use it instead?"
            ),
            finish({"status": "FAILED", "code": "TASK_FAILED", "message": "The analysis stopped after a SQL error."}),
        ],
        status="FAILED",
    )
    s.artifact("Signup-year order report", "TextReport", "FAILED", "Not generated: the analysis failed.", T0 + 7215)
    return s


def _failed_refunds() -> DmsSession:
    """The same cause as ``_failed_join`` on another table: one failure group."""
    at = T0 - 86400 * 4
    s = DmsSession("sess_failed_refunds_5a21", "Refunds by region", at, status="FAILED")
    s.turn(
        "Sum last week's refunds by region from the refund log.",
        at + 5,
        [
            json_data("SQL", {"sql": "SELECT region, SUM(amount) FROM ops.refund_log_2025 GROUP BY region"}),
            json_data(
                "ERROR",
                {"code": "SQL_EXECUTION_FAILED", "message": "Table 'ops.refund_log_2025' doesn't exist"},
                level=40,
            ),
            *deltas("The refund log table ops.refund_log_2025 is gone; the 2026 log may have replaced it."),
        ],
        status="FAILED",
    )
    return s


def _short(index: int, title: str, question: str, answer: str, language: str = "ENGLISH") -> DmsSession:
    at = T0 - 86400 * index
    s = DmsSession(f"sess_short_{index:02d}", title, at, language=language, mode="ASK_DATA")
    s.turn(question, at + 5, [*deltas(answer)])
    return s


def running_session() -> DmsSession:
    """A session DMS says is running: its second turn is still being written (``dms.running_session``)."""
    s = DmsSession("sess_running_kpi_5e0a", "Live KPI refresh", T0 + 9000, status="RUNNING")
    s.turn("Refresh the KPI table.", T0 + 9005, [*deltas("The KPI table is refreshed: 12 metrics, 3 changed.")])
    s.turn("Now explain the three changes.", T0 + 9100, [plan("Explain", ("Compare", "RUNNING"))], ends=False)
    s.events.extend(  # written as the turn goes on
        d | {"checkpoint": len(s.events) + i, "timestamp": str(T0 + 9110 + i)}
        for i, d in enumerate(deltas("Revenue rose 4%, churn fell"))
    )
    return s


def sample_sessions(options: dict[str, Any]) -> dict[str, DmsSession]:
    sessions = [
        _q3_sales(),
        _inventory_cn(),
        _failed_join(),
        _failed_refunds(),
        _short(
            1,
            "Active users yesterday",
            "How many users were active yesterday?",
            "12,408 users were active yesterday, 3% more than the day before.",
        ),
        _short(2, "退款率", "本周退款率是多少？", "本周退款率为 1.8%，比上周下降 0.3 个百分点。", "CHINESE"),
        _short(
            3,
            "Top products",
            "Top 3 products by revenue this month?",
            "1. Cloud SSD 1TB, 2. Smart Router X2, 3. USB-C Dock.",
        ),
    ]
    if options.get("dms.big_thread_events"):
        sessions.append(big_session(int(options["dms.big_thread_events"])))
    if options.get("dms.running_session"):
        sessions.append(running_session())
    return {s.id: s for s in sessions}
