"""The text the model reads: message and part lines, times, plan statuses."""

from __future__ import annotations

from datetime import timedelta

from agent_threads.render import Renderer, cut, part_line, quiet
from agent_threads.transcript import (
    ArtifactPart,
    EventPart,
    Message,
    PlanPart,
    PlanStep,
    ReasoningPart,
    SubAgentPart,
    ToolCallPart,
)

from .fakes import T0, sample_messages


def test_cut_marks_exactly_how_much_was_left_out() -> None:
    assert cut("abcdef", 4) == "abcd…(+2 chars)"
    assert cut("abc", 4) == "abc"


def test_every_part_kind_renders_on_its_own_indented_line() -> None:
    message = Message(
        seq=3,
        role="assistant",
        author="coordinator",
        text="Done.\nSee below.",
        parts=[
            ToolCallPart(name="Bash", arguments={"cmd": "ls"}, status="ok", result="a.txt"),
            ReasoningPart(text="check files"),
            SubAgentPart(name="researcher", thread="qoder:s/sthr_2", status="running"),
            ArtifactPart(name="report.md", mime="text/markdown", text="# R"),
            PlanPart(steps=[PlanStep(title="query", status="done"), PlanStep(title="chart", status="failed")]),
            EventPart(name="task", is_error=True, code="E42", message="boom", duration_s=1.5),
        ],
    )
    assert Renderer().message(message).splitlines() == [
        "#3 assistant[coordinator]: Done.",
        "  See below.",
        "  ↳ tool Bash(cmd=ls) → a.txt",
        "  ↳ thinking: check files",
        "  ↳ sub-agent researcher [running] → qoder:s/sthr_2",
        "  ↳ artifact report.md (text/markdown): # R",
        "  ↳ plan: 1. query; 2. chart [failed]",  # every step has a status: "done" goes quiet
        "  ↳ error task E42: boom (1.5s)",
    ]


def test_times_are_shortened_against_the_previous_message() -> None:
    messages = sample_messages(2) + [sample_messages(1)[0].model_copy(update={"time": T0 + timedelta(minutes=1)})]
    compact, full = Renderer(), Renderer("full")
    assert [compact.message(m).splitlines()[0] for m in messages] == [
        "#0 2026-05-18 03:40 user: message 0",
        "#0 assistant: message 1",
        "#0 03:41 user: message 0",
    ]
    assert [full.message(m).splitlines()[0] for m in messages][1] == "#0 03:40:01 assistant: message 1"


def test_status_only_messages_and_lone_parts_take_one_line() -> None:
    event = Message(
        seq=4, role="event", parts=[EventPart(name="session", status="running"), EventPart(name="turn", status="idle")]
    )
    call = Message(
        seq=5, role="assistant", parts=[ToolCallPart(name="Q", arguments={"sql": "SELECT 1, 2"}, status="rejected")]
    )
    assert Renderer().message(event) == "#4 session [running] · turn [idle]"
    assert Renderer().message(call) == '#5 tool Q(sql="SELECT 1, 2") [rejected]'


def test_done_statuses_are_left_out_only_when_every_step_has_one() -> None:
    assert quiet(["DONE", "FAILED", "success", "RUNNING", "pending"]) == [None, "FAILED", None, "RUNNING", "pending"]
    assert quiet(["DONE", None]) == ["DONE", None]
    assert quiet(["DONE", " "]) == ["DONE", " "]
    assert quiet([None, "DONE", "DONE"], skip_first=True) == [None, None, None]


def test_a_plan_line_shows_what_did_not_simply_finish() -> None:
    steps = [PlanStep(title="Find tables", status="success"), PlanStep(title="Join", status="failed")]
    assert (
        part_line(PlanPart(title="Q3", status="failed", steps=steps))
        == "plan Q3 [failed]: 1. Find tables; 2. Join [failed]"
    )
    assert part_line(PlanPart(title="Q3", status="success", steps=steps[:1])) == "plan Q3: Find tables"
    partly = [PlanStep(title="a", status="DONE"), PlanStep(title="b")]
    assert part_line(PlanPart(steps=partly)) == "plan: 1. a [DONE]; 2. b"  # b has none: a's "done" stays


def test_a_sub_agent_beside_the_thread_read_is_written_relative_to_it_and_others_in_full() -> None:
    beside = SubAgentPart(name="Research", thread="qoder:sess_1/sthr_2", status="created")
    elsewhere = SubAgentPart(name="Audit", thread="qoder:sess_9/sthr_3")
    message = Message(seq=3, role="agent", parts=[beside, elsewhere])
    line = Renderer(thread="qoder:sess_1/sthr_1").message(message)
    assert "→ ./sthr_2" in line and "→ qoder:sess_9/sthr_3" in line
    assert part_line(beside) == "sub-agent Research [created] → qoder:sess_1/sthr_2"  # no thread read: in full


def test_an_assistant_message_that_is_one_tool_call_or_thought_needs_no_role_label() -> None:
    thought = Message(seq=1, role="assistant", parts=[ReasoningPart(text="check the log")])
    by_agent = Message(seq=2, role="agent", author="scout", parts=[ReasoningPart(text="on it")])
    assert Renderer().message(thought) == "#1 thinking: check the log"
    assert Renderer().message(by_agent) == "#2 agent[scout]: thinking: on it"


def test_a_message_of_parts_only_starts_its_first_part_on_the_heading_line() -> None:
    message = Message(
        seq=6,
        role="assistant",
        parts=[ReasoningPart(text="join is slow"), EventPart(name="reply", code="QueryTimeout", is_error=True)],
    )
    user = Message(seq=7, role="user", parts=[EventPart(name="define_outcome", message="no CVE")])
    assert Renderer().message(message) == "#6 thinking: join is slow\n  ↳ error reply QueryTimeout"
    assert Renderer().message(user) == "#7 user: define_outcome: no CVE"


def test_an_error_event_named_error_says_error_once() -> None:
    assert part_line(EventPart(name="ERROR", code="SQL_FAILED", message="no table", is_error=True)) == (
        "error SQL_FAILED: no table"
    )
