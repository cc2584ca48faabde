from __future__ import annotations

from datetime import timedelta

from agent_threads.redact import mask
from agent_threads.render import Renderer, cut, estimate_tokens, part_line, quiet, shape, tidy_json
from agent_threads.transcript import (
    ArtifactPart,
    EventPart,
    Message,
    PlanPart,
    PlanStep,
    ReasoningPart,
    SubAgentPart,
    ToolCallPart,
    ToolResultPart,
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


def test_shaping_masks_credentials_and_strips_control_characters() -> None:
    message = Message(
        role="tool",
        text="url=jdbc:x?key=abcd1234&u=1\x1b[31m red\u202e",
        parts=[ToolCallPart(name="t", arguments={"token": "Bearer abcdefghijk"})],
    )
    shaped = shape(message, "compact")
    assert shaped.text == "url=jdbc:x?key=***&u=1[31m red"
    assert "abcdefghijk" not in str(shaped.parts[0])


def test_brief_detail_drops_reasoning_and_vendor_extras() -> None:
    message = Message(role="assistant", text="x" * 400, parts=[ReasoningPart(text="hmm")], vendor={"raw": 1})
    brief = shape(message, "brief")
    assert brief.parts == [] and brief.vendor is None and brief.text.endswith("…(+120 chars)")
    assert shape(message, "full").vendor == {"raw": 1}


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
    assert Renderer().message(event) == "#4 event session [running] · event turn [idle]"
    assert Renderer().message(call) == '#5 assistant: tool Q(sql="SELECT 1, 2") [rejected]'


def test_token_estimate_is_conservative_for_chinese_and_english() -> None:
    assert estimate_tokens("hello world " * 100) >= 300
    assert estimate_tokens("你好世界" * 100) >= 400


def test_a_flat_json_result_reads_as_key_value_pairs_in_its_own_order() -> None:
    assert tidy_json('{"CpuUsage": "92%", "Since": "08:10", "Count": 4210, "Ok": true}') == (
        "CpuUsage=92%, Since=08:10, Count=4210, Ok=true"
    )
    assert tidy_json('{"b": "x, y", "c": " pad", "d": "", "e": null}') == 'b="x, y", c=" pad", d="", e=null'


def test_nested_json_results_lose_only_their_layout() -> None:
    raw = '{"rows": [[1, "a"], [2, "b"]],\n "more": {"x": 1}}'
    assert tidy_json(raw) == '{"rows":[[1,"a"],[2,"b"]],"more":{"x":1}}'


def test_a_result_the_secret_masking_would_read_differently_as_pairs_stays_json() -> None:
    secret = '{"password": "open sesame", "user": "ann"}'
    assert mask(tidy_json(secret)) == '{"password":"***","user":"ann"}'  # "password=open sesame" would leak "sesame"
    assert tidy_json('{"Key": "MySQL_MemCpuUsage"}') == '{"Key":"MySQL_MemCpuUsage"}'  # "Key=…" would be masked


def test_results_that_are_not_json_are_left_as_they_are() -> None:
    for text in ("pong", "{not json", "[1, 2", "  plain  ", "{}x"):
        assert tidy_json(text) == text


def test_compact_views_tidy_json_results_and_full_keeps_them_as_the_vendor_sent_them() -> None:
    raw = '{\n  "Status": "Running",\n  "Replicas": 2\n}'
    message = Message(
        role="assistant", parts=[ToolCallPart(id="t1", name="Describe", result=raw), ToolResultPart(result=raw)]
    )
    compact, full = shape(message, "compact"), shape(message, "full")
    assert [p.result for p in compact.parts] == ["Status=Running, Replicas=2"] * 2  # type: ignore[union-attr]
    assert [p.result for p in full.parts] == [raw, raw]  # type: ignore[union-attr]


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
