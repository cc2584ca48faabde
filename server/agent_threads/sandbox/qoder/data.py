"""Deterministic sample sessions for the Qoder sandbox, in the shapes the Qoder docs show.

- A: a coordinator with a Research Agent child thread created by a tool use (thread messages, an MCP tool, an
  artifact, an is_error tool result, an unknown future event type, content as blocks and as a string);
- B: an older, CN-mirror style session whose event pages omit ``next_page`` (Chinese text, a failing Bash
  run, tool confirmation, a custom tool, ``session.error`` in the new and the old shape, a reschedule);
- C: a terminated audit with outcome evaluation, an interrupt and the legacy bare ``terminated`` event;
- D: the generated long session (see ``build``).
"""

from __future__ import annotations

from datetime import datetime, timezone

from .build import (
    AGENT,
    COORD_D,
    RESEARCH,
    SID_D,
    Builder,
    SessionData,
    big_session,
    blocks,
    session_obj,
    thread_obj,
)

__all__ = ["CHILD_A", "COORD_A", "COORD_D", "SID_A", "SID_B", "SID_C", "SID_D", "sample_sessions"]

SID_A, COORD_A, CHILD_A = (
    "sess_019f00000000000000000000000000aa",
    "sthr_019f00000000000000000000000001aa",
    "sthr_019f00000000000000000000000002bb",
)
SID_B, COORD_B = "sess_019e7c1d9a3b7f00a1b2c3d4e5f60b01", "sthr_019e7c1d9a3b7f00a1b2c3d4e5f6cb01"
SID_C, COORD_C = "sess_019e5a0000000000000000000000c001", "sthr_019e5a00000000000000000000001c01"
TURN_A = "turn_019f0000000000000000000000000010"

# fmt: off
# (data tables: one event per line reads better than the formatter's one-argument-per-line)


def _delegate(b: Builder, c: str, r: str) -> tuple[str, str]:
    """Session A, first half: the coordinator spawns the Research Agent and hands it the task."""
    ask = "Research the latest competitor moves around Cloud Agents APIs and give me a short brief. 重点关注国内厂商。"
    task = "调研 Cloud Agents API 的最新竞品动态"
    b.add("user.message", c, content=blocks(ask))
    b.add("session.status_running", c)
    span = b.add("span.model_request_start", c)
    b.add("agent.thinking", c, thinking="The user wants a competitor brief. "
          "I'll hand the web research to a Research Agent and summarise what it finds.")
    spawn = b.add("agent.tool_use", c, name="spawn_agent", input={"agent": "Research Agent", "task": task},
                  evaluated_permission="allow")
    b.add("session.thread_created", r, views=(c,), agent_name="Research Agent")
    b.add("agent.thread_message_sent", r, views=(c,), schema_version="1.0", session_id=SID_A, turn_id=TURN_A,
          direction="coordinator_to_child", content=f"请{task}。", from_session_thread_id=c, to_session_thread_id=r,
          to_agent_name="Research Agent")
    return span, spawn


def _research(b: Builder, r: str) -> None:
    """Session A, the child thread: two tool calls (one fails), a finding, idle."""
    found = ("1. Vendor A opened a managed agents API with thread-level event streams.\n"
             "2. 某国内厂商发布了多智能体编排 API。\n3. Vendor C added per-turn budgets.")
    b.add("session.thread_status_running", r, agent_name="Research Agent", status="running")
    search = b.add("agent.tool_use", r, name="WebSearch", input={"query": "Cloud Agents API 竞品 2026"},
                   evaluated_permission="allow")
    b.add("agent.tool_result", r, session=False, tool_use_id=search, is_error=False, content=blocks(found))
    fetch = b.add("agent.tool_use", r, name="WebFetch", input={"url": "https://example.com/blog/agents-api-pricing"},
                  evaluated_permission="allow")
    b.add("agent.tool_result", r, session=False, tool_use_id=fetch, is_error=True,
          content=blocks("HTTP 403 Forbidden: the page requires a login."))
    b.add("agent.message", r, session=False, content=blocks(
        "Findings: three vendors moved this quarter. 两家国内厂商已支持线程级事件流; "
        "pricing pages were not reachable."))
    b.add("session.thread_status_idle", r, agent_name="Research Agent", status="idle", stop_reason={"type": "end_turn"})


def _wrap_up(b: Builder, c: str, r: str, span: str, spawn: str) -> None:
    """Session A, second half: the reply comes back, an MCP tool saves it, the turn ends; then a short second turn."""
    done = "调研完成:三家厂商本季度有新动作,其中两家国内厂商已支持线程级事件流。"
    b.add("agent.thread_message_received", c, turn_id=TURN_A, direction="child_to_coordinator",
          from_session_thread_id=r, from_agent_name="Research Agent", content=done)
    b.add("agent.tool_result", c, tool_use_id=spawn, is_error=False,
          content=blocks("Research Agent finished with 3 findings."))
    page = b.add("agent.mcp_tool_use", c, mcp_server_name="notion", name="create_page",
                 input={"title": "Competitor brief", "parent": "Research"})
    b.add("agent.mcp_tool_result", c, mcp_tool_use_id=page, is_error=False,
          content=blocks("Created page 8f2c1e (https://notion.so/8f2c1e)"))
    b.add("agent.message", c, content=blocks(
        "Brief: Vendor A now ships a managed agents API with thread streams; "
        "two domestic vendors (国内厂商) support thread-level events; Vendor C added per-",  # split mid-word
        "turn budgets. I saved the brief to Notion; the pricing page could not be fetched (403)."))
    b.add("span.model_request_end", c, model_request_start_id=span, is_error=False,
          model_usage={"input_tokens": 18234, "output_tokens": 912, "cache_read_input_tokens": 12000})
    b.add("session.usage", None, views=(c,), usage={"input_tokens": 18234, "output_tokens": 912},
          model_credits=1.8, sandbox_runtime_credits=0.4, total_credits=2.2)
    b.add("agent.artifact_delivered", c, file_id="file_019f0000000000000000000000000f01",
          original_filename="competitor-brief.md", size=4812, content_type="text/markdown")
    b.add("session.status_idle", c, stop_reason={"type": "end_turn"})
    b.add("session.checkpoint_created", None, views=(c,), checkpoint_id="ckpt_019f01",
          label="after brief")  # newer than the catalog
    b.add("user.message", c, content="Thanks. 请把结论翻译成中文。")
    b.add("session.status_running", c)
    b.add("agent.message", c,
          content="结论:A 厂商已推出托管智能体 API 并支持线程事件流;两家国内厂商支持线程级事件;C 厂商新增按轮次预算。")
    b.add("session.status_idle", c, stop_reason={"type": "end_turn"})


def research_session() -> SessionData:
    start = datetime(2026, 6, 15, 8, 0, tzinfo=timezone.utc)
    b = Builder(1, start)
    span, spawn = _delegate(b, COORD_A, CHILD_A)
    _research(b, CHILD_A)
    _wrap_up(b, COORD_A, CHILD_A, span, spawn)
    threads = [thread_obj(SID_A, COORD_A, AGENT, start),
               thread_obj(SID_A, CHILD_A, RESEARCH, start, parent=COORD_A, by_tool=spawn)]
    return SessionData(session_obj(SID_A, "Cloud Agents API competitor brief", start), threads, b.log())


def _diagnose(b: Builder, c: str) -> None:
    """Session B, first half: reproduce, read, and a model overload that gets rescheduled."""
    overloaded = {"type": "model_overloaded", "message": "The model is overloaded; retrying.",
                  "retry_status": {"type": "retrying"}, "qoder_error_code": "MODEL_OVERLOADED"}
    b.add("user.message", c, content="登录页面点击“忘记密码”后报 NullPointerException,请修复并跑一下单测。")
    b.add("session.status_running", c)
    b.add("agent.thinking", c, content=blocks("先复现问题:运行 LoginControllerTest,再看 forgotPassword 的空值处理。"))
    test = b.add("agent.tool_use", c, name="Bash", input={"command": "./gradlew test --tests LoginControllerTest"},
                 evaluated_permission="allow")
    b.add("agent.tool_result", c, tool_use_id=test, is_error=True, content=blocks(
        "LoginControllerTest > forgotPassword FAILED\n    java.lang.NullPointerException at LoginController.java:88"))
    read = b.add("agent.tool_use", c, name="Read", input={"file_path": "src/main/java/app/LoginController.java"})
    b.add("agent.tool_result", c, tool_use_id=read, content=blocks(
        "86  User user = users.findByEmail(email);\n87  // missing null check\n88  mailer.send(user.getEmail());"))
    b.add("session.error", None, views=(c,), error=overloaded)
    b.add("session.status_rescheduled", c)
    b.add("session.status_running", c)


def _fix(b: Builder, c: str) -> None:
    """Session B, second half: a confirmed edit, a custom CI tool the client answers, the reply, an old-shape error."""
    edit = b.add("agent.tool_use", c, name="Edit", evaluated_permission="ask", input={
        "file_path": "src/main/java/app/LoginController.java", "old_string": "mailer.send(user.getEmail());",
        "new_string": "if (user == null) return ResponseEntity.notFound().build();\nmailer.send(user.getEmail());"})
    b.add("user.tool_confirmation", c, tool_use_id=edit, result="allow")
    b.add("agent.tool_result", c, tool_use_id=edit, content=blocks("The file was updated."))
    ci = b.add("agent.custom_tool_use", c, name="run_ci", input={"branch": "fix/login-npe"})
    b.add("session.status_idle", c, stop_reason={"type": "requires_action", "event_ids": [ci]})
    b.add("user.custom_tool_result", c, custom_tool_use_id=ci, is_error=False,
          content=blocks("CI passed: 128 tests, 0 failures."))
    b.add("session.status_running", c)
    b.add("agent.message", c, content="已修复:forgotPassword 在找不到用户时返回 404,不再空指针;单测与 CI 全部通过。")
    b.add("session.error", None, views=(c,), error="MCP server 'jira' connection failed",
          code="mcp_connection_failed")  # older shape
    b.add("agent.thread_context_compacted", c)
    b.add("session.status_idle", c, stop_reason={"type": "end_turn"})


def bugfix_session() -> SessionData:
    start = datetime(2026, 6, 12, 3, 30, tzinfo=timezone.utc)
    b = Builder(2, start)
    _diagnose(b, COORD_B)
    _fix(b, COORD_B)
    obj = session_obj(SID_B, "修复登录页空指针异常", start)
    return SessionData(obj, [thread_obj(SID_B, COORD_B, AGENT, start)], b.log(), cn_style=True)


def audit_session() -> SessionData:
    start, c, outcome = datetime(2026, 6, 1, 22, 0, tzinfo=timezone.utc), COORD_C, "outc_019e5a01"
    b = Builder(3, start)
    b.add("system.message", c, content=blocks("You audit dependencies. Never upgrade across major versions."))
    b.add("user.define_outcome", c, outcome_id=outcome, description="Every dependency with a known CVE is patched.",
          max_iterations=2, rubric={"type": "text", "text": "No CVE above medium remains."})
    b.add("session.status_running", c)
    b.add("span.outcome_evaluation_start", c, outcome_id=outcome, iteration=1)
    b.add("span.outcome_evaluation_ongoing", c, outcome_id=outcome, iteration=1)
    b.add("agent.message", c, content=blocks(
        "Patched 4 of 5 vulnerable packages; lodash needs a major upgrade, which the rules forbid."))
    b.add("span.outcome_evaluation_end", c, outcome_id=outcome, iteration=1, result="not_met",
          explanation="lodash 3.x still has CVE-2021-23337.")
    b.add("user.interrupt", c)
    b.add("session.updated", None, views=(c,), title="Nightly dependency audit (stopped)")
    b.add("session.status_terminated", c)
    b.add("terminated", None, views=(c,))  # the legacy CLI spelling of the terminal event
    obj = session_obj(SID_C, "Nightly dependency audit", start, status="terminated")
    return SessionData(obj, [thread_obj(SID_C, c, AGENT, start)], b.log())


# fmt: on


def sample_sessions(big_thread_events: int) -> dict[str, SessionData]:
    made = [research_session(), bugfix_session(), audit_session(), big_session(big_thread_events)]
    return {str(s.obj["id"]): s for s in made}
