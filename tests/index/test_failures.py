"""What counts as a failure on the normalized transcript, and the signature that groups failures."""

from __future__ import annotations

import string

from hypothesis import assume, given
from hypothesis import strategies as st

from agent_threads.failures import Failure, TurnMessage, classify, failure, mask_values, thread_failure, unfinished
from agent_threads.transcript import (
    EventPart,
    Message,
    PlanPart,
    PlanStep,
    ReasoningPart,
    SubAgentPart,
    ToolCallPart,
    ToolResultPart,
)


def carried(*parts: object) -> str | None:
    found = classify(Message(role="assistant", parts=list(parts)))  # type: ignore[arg-type]
    return found.code if found else None


def test_error_events_failed_tools_plans_and_sub_agents_are_failures() -> None:
    assert carried(EventPart(name="session.error", code="model_overloaded", is_error=True)) == "model_overloaded"
    assert carried(EventPart(name="task_finished", status="failed")) == "task_finished:failed"
    assert carried(EventPart(name="session", status="terminated")) == "session:terminated"
    assert carried(EventPart(name="session", status="Timed_Out")) == "session:timeout"
    assert carried(ToolCallPart(name="WebFetch", status="error", result="HTTP 403")) == "tool:WebFetch:failed"
    assert carried(ToolCallPart(name="ExecuteSQL", status="rejected in approval")) == "tool:ExecuteSQL:rejected"
    assert carried(ToolCallPart(name="Bash", is_error=True)) == "tool:Bash:failed"
    assert carried(ToolResultPart(name="Read", result="no such file", is_error=True)) == "tool:Read:failed"
    plan = PlanPart(title="Q3", steps=[PlanStep(title="Join", status="FAILED")])
    assert carried(plan) == "plan:failed"
    assert carried(SubAgentPart(name="Research", status="cancelled")) == "sub_agent:cancelled"


def test_a_stop_reason_that_gives_up_is_a_failure() -> None:
    assert carried(EventPart(name="session", status="idle", code="retries_exhausted")) == "retries_exhausted"
    assert carried(EventPart(name="turn", status="ended", code="max_tokens")) == "max_tokens"
    assert carried(EventPart(name="turn", code="refusal")) == "refusal"
    assert carried(EventPart(name="session", status="idle", code="end_turn")) is None


def test_success_and_progress_are_not_failures() -> None:
    assert carried(EventPart(name="task_finished", status="succeeded", duration_s=2.5)) is None
    assert carried(ToolCallPart(name="Edit", status="done, user allow")) is None
    assert carried(ReasoningPart(text="the query failed last time, so retry")) is None
    assert carried(EventPart(name="outcome_evaluation", status="not_met")) is None


def test_a_part_with_a_vendor_code_names_the_failure() -> None:
    parts = [ToolCallPart(name="Describe", status="failed"), EventPart(name="reply", code="ToolTimeout", is_error=True)]
    assert carried(*parts) == "ToolTimeout"


def test_an_open_part_is_closed_by_a_later_status_of_the_same_name() -> None:
    def open_of(*parts: EventPart | ToolCallPart) -> str | None:
        return unfinished(Message(role="event", parts=list(parts)))

    assert open_of(EventPart(name="session", status="running"), EventPart(name="session", status="idle")) is None
    assert open_of(EventPart(name="reply", status="running")) == "reply"
    assert open_of(ToolCallPart(name="Query", status="in_progress")) == "tool_call:Query"


def test_a_thread_fails_by_its_status_or_an_unfinished_turn_unless_the_turn_says_why() -> None:
    clean = [TurnMessage(1, False, None), TurnMessage(2, False, None)]
    assert thread_failure("failed", clean) == (2, Failure(code="status:failed", message="thread failed", pattern=""))
    stalled = [TurnMessage(1, False, None), TurnMessage(2, False, "reply")]
    found = thread_failure("idle", stalled)
    assert found is not None and found[0] == 2 and found[1].code == "unfinished:reply"
    assert thread_failure("running", stalled) is None
    assert thread_failure("failed", [TurnMessage(1, False, None), TurnMessage(2, True, None)]) is None
    assert thread_failure("idle", clean) is None


def test_the_same_cause_on_different_tables_and_ids_has_one_signature() -> None:
    one = mask_values("Table 'sales.t1' doesn't exist")
    assert one == mask_values("Table 'ops.t9' doesn't exist") == "Table '…' doesn't exist"
    assert mask_values("实例 rm-bp1xyz 不存在") == mask_values("实例 rm-uf6wjk5 不存在") == "实例 <id> 不存在"
    assert mask_values("timed out after 30s at 2026-05-18T04:40:00Z") == "timed out after <n>s at <time>"
    assert mask_values("open /var/log/app.log: permission denied") == "open <path>: permission denied"
    assert mask_values("job 5f0c1e2a-8d3b-4c7e-9a61-2b7d4e9f0a11 failed") == "job <uuid> failed"
    assert mask_values("see https://x.example/a?b=1 now") == "see <url> now"
    assert mask_values("the page requires a login") == "the page requires a login"


# ---- properties ---------------------------------------------------------------------------------

LOWER = string.ascii_lowercase
WORD = st.text(alphabet=string.ascii_letters + "磁盘扩容不存在", min_size=1, max_size=8)
VALUES = {
    "number": st.integers(min_value=0, max_value=10**12).map(str),
    "decimal": st.decimals(min_value=0, max_value=10**6, places=2).map(str),
    "uuid": st.uuids().map(str),
    "hex": st.binary(min_size=4, max_size=16).map(lambda b: "0x" + b.hex()),
    "id": st.builds(
        lambda head, digit, tail: f"{head}-{digit}{tail}",
        st.text(alphabet=LOWER, min_size=1, max_size=4),
        st.integers(0, 9),
        st.text(alphabet=LOWER + string.digits, max_size=6),
    ),
    "quoted": st.text(alphabet=string.ascii_letters + string.digits + " ._-/", max_size=20).map(lambda s: f"'{s}'"),
    "double_quoted": st.text(alphabet=string.ascii_letters + string.digits + " .:'", max_size=20).map(
        lambda s: f'"{s}"'
    ),
    "path": st.lists(st.text(alphabet=LOWER + string.digits + "_", min_size=1, max_size=8), min_size=1, max_size=4).map(
        lambda p: "/" + "/".join(p)
    ),
    "time": st.datetimes().map(lambda d: d.isoformat(timespec="seconds")),
}
PIECE = st.one_of(
    WORD.map(lambda w: (w, w)),
    st.sampled_from(sorted(VALUES)).flatmap(lambda kind: st.tuples(VALUES[kind], VALUES[kind])),
)
"""A word (the same in both messages) or a value slot (two values of one kind)."""


@given(st.lists(PIECE, min_size=1, max_size=8))
def test_masking_does_not_depend_on_the_masked_values(pieces: list[tuple[str, str]]) -> None:
    first = " ".join(a for a, _ in pieces)
    second = " ".join(b for _, b in pieces)
    assert mask_values(first) == mask_values(second)


@given(st.text(max_size=120))
def test_masking_twice_changes_nothing(text: str) -> None:
    once = mask_values(text)
    assert mask_values(once) == once


@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30), st.text(max_size=80))
def test_different_codes_never_share_a_group(code_a: str, code_b: str, message: str) -> None:
    assume(code_a != code_b)
    a, b = failure(code_a, message), failure(code_b, message)
    assert a.pattern == b.pattern  # the same message, masked alike…
    assert (a.code, a.pattern) != (b.code, b.pattern)  # …still two groups
