"""Qoder event shapes from every doc version map onto the normalized transcript."""

from __future__ import annotations

import json
from typing import Any

from agent_threads.providers.qoder.mapper import Mapper
from agent_threads.providers.qoder.mapping import feed
from agent_threads.providers.qoder.wire import WireEvent, WireEventPage
from agent_threads.transcript import ArtifactPart, EventPart, Message, ReasoningPart, ToolCallPart, ToolResultPart


def mapped(*events: dict[str, Any]) -> list[Message]:
    mapper = Mapper(lambda tid: f"qoder:sess_1/{tid}")
    for event in events:
        feed(mapper, event)
    return list(mapper.messages.values())


def ev(i: int, type_: str, **fields: Any) -> dict[str, Any]:
    return {"id": f"evt_{i}", "type": type_, "processed_at": f"2026-06-15T08:00:{i:02d}.123456789Z", **fields}


def test_thinking_is_read_from_thinking_content_or_text() -> None:
    out = mapped(
        ev(1, "agent.thinking", thinking="a"),
        ev(2, "agent.thinking", content=[{"type": "text", "text": "b"}]),
        ev(3, "agent.thinking", text="c"),
    )
    assert [m.parts for m in out] == [[ReasoningPart(text=t)] for t in "abc"]


def test_nanosecond_times_become_utc_datetimes() -> None:
    (message,) = mapped(ev(7, "user.message", content="hi"))
    assert message.time is not None and message.time.isoformat() == "2026-06-15T08:00:07.123456+00:00"


def test_older_tool_use_field_names_pair_with_their_result() -> None:
    out = mapped(
        ev(
            1,
            "agent.tool_use",
            tool_name="Bash",
            tool_input={"command": "ls"},
            tool_use_id="toolu_1",
            requires_confirmation=False,
        ),
        ev(2, "agent.tool_result", tool_use_id="toolu_1", content=[{"type": "text", "text": "a.txt"}], is_error=False),
    )
    assert out == [out[0]] and out[0].parts == [
        ToolCallPart(id="toolu_1", name="Bash", arguments={"command": "ls"}, status="done", result="a.txt")
    ]


def test_a_result_without_its_call_on_the_page_stands_alone() -> None:
    (message,) = mapped(ev(1, "agent.mcp_tool_result", mcp_tool_use_id="evt_0", content="boom", is_error=True))
    assert message.role == "tool" and message.parts == [ToolResultPart(id="evt_0", result="boom", is_error=True)]


def test_a_denied_confirmation_marks_its_call() -> None:
    out = mapped(
        ev(1, "agent.tool_use", name="Bash", input={}, evaluated_permission="ask"),
        ev(2, "user.tool_confirmation", tool_use_id="evt_1", result="deny", deny_message="not on prod"),
    )
    assert out[0].parts[0].status == "user deny: not on prod" and len(out) == 1  # type: ignore[union-attr]


def test_persisted_delta_frames_are_left_to_their_final_event() -> None:
    out = mapped(
        ev(1, "event_start", event={"id": "evt_2", "type": "agent.message"}), ev(2, "agent.message", content="done")
    )
    assert [m.text for m in out] == ["done"]


def test_non_text_blocks_become_artifacts() -> None:
    image = {"type": "image", "source": {"type": "url", "url": "https://x/y.png", "media_type": "image/png"}}
    (message,) = mapped(ev(1, "user.message", content=[{"type": "text", "text": "see"}, image]))
    assert message.text == "see" and message.parts == [
        ArtifactPart(name="image", mime="image/png", uri="https://x/y.png")
    ]


def test_adjacent_text_blocks_are_one_text_joined_with_nothing_between_them() -> None:
    split = [{"type": "text", "text": "East China grew fast"}, {"type": "text", "text": "est: 16.1%."}]
    (message,) = mapped(ev(1, "agent.message", content=split))
    assert message.text == "East China grew fastest: 16.1%."


def test_a_break_marks_only_where_a_non_text_block_sat_between_two_texts() -> None:
    image = {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}}
    content = [{"type": "text", "text": "See the chart"}, image, {"type": "text", "text": "It rises."}, image]
    (message,) = mapped(ev(1, "agent.message", content=content))
    assert message.text == "See the chart\nIt rises." and len(message.parts) == 2


def test_an_idle_after_exhausted_retries_is_an_error() -> None:
    (message,) = mapped(ev(1, "session.status_idle", stop_reason={"type": "retries_exhausted"}))
    assert message.parts == [EventPart(name="session", status="idle", code="retries_exhausted", is_error=True)]


def test_a_span_end_without_its_start_still_reports_usage() -> None:
    (message,) = mapped(
        ev(
            1,
            "span.model_request_end",
            model_request_start_id="evt_0",
            model_usage={"input_tokens": 5, "output_tokens": 2},
        )
    )
    assert message.parts == [EventPart(name="model_request", message="5 in / 2 out")]


def test_an_event_with_surprising_field_types_is_kept_not_crashed_on() -> None:
    (message,) = mapped(ev(1, "agent.tool_use", name={"weird": True}))
    assert message.role == "event" and message.parts == [
        EventPart(name="agent.tool_use", message='name={"weird":true}')
    ]
    assert message.vendor == {"name": {"weird": True}}


def test_status_merging_stops_at_a_spoken_message() -> None:
    out = mapped(
        ev(1, "session.status_running"),
        ev(2, "session.thread_status_running", session_thread_id="sthr_9", agent_name="Helper"),
        ev(3, "agent.message", content="hi"),
        ev(4, "session.status_idle", stop_reason={"type": "end_turn"}),
    )
    assert [(m.role, len(m.parts)) for m in out] == [("event", 2), ("assistant", 0), ("event", 1)]
    assert out[0].parts[1] == EventPart(name="thread Helper", status="running")


def test_a_page_validates_each_event_once_and_keeps_one_in_a_surprising_shape_as_it_came() -> None:
    body = json.dumps({"data": [ev(1, "user.message", content="hi"), ev(2, "agent.tool_use", name={"weird": True})]})
    page = WireEventPage.model_validate_json(body)
    assert isinstance(page.data[0], WireEvent) and page.data[1] == ev(2, "agent.tool_use", name={"weird": True})
    mapper = Mapper(lambda tid: f"qoder:sess_1/{tid}")
    for event in page.data:
        feed(mapper, event)
    first, second = mapper.messages.values()
    assert (first.role, first.text) == ("user", "hi") and second.vendor == {"name": {"weird": True}}
