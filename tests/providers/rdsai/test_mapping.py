"""The pure RDS AI mapping: both key casings, HasMore forms, tool calls paired, unknown events kept."""

from __future__ import annotations

from agent_threads.providers.rdsai.mapping import answer_parts, row_messages, truthy
from agent_threads.providers.rdsai.stream import ChatTranslator
from agent_threads.providers.rdsai.wire import RdsEvent, Row
from agent_threads.transcript import EventPart, MessageDone, ToolCallPart, ToolResultPart, TurnEnd, fold


def test_has_more_is_true_as_a_bool_or_the_string_true() -> None:
    assert [truthy(v) for v in (True, "true", "True", False, "false", None, "")] == [
        True,
        True,
        True,
        False,
        False,
        False,
        False,
    ]


def test_events_read_the_same_in_lowercase_and_pascal_case() -> None:
    lower = RdsEvent.model_validate(
        {"event": "tool_call", "tool_name": "Ping", "call_id": "c1", "tool_arguments": {"a": 1}}
    )
    pascal = RdsEvent.model_validate(
        {"Event": "tool_call", "ToolName": "Ping", "CallId": "c1", "ToolArguments": {"a": 1}}
    )
    assert lower.model_dump(exclude_none=True) == pascal.model_dump(exclude_none=True)


def test_a_tool_result_is_folded_into_its_call_and_an_orphan_result_is_kept() -> None:
    events = [
        RdsEvent(event="tool_call", tool_name="Ping", call_id="c1"),
        RdsEvent(event="tool_result", call_id="c1", answer="pong"),
        RdsEvent(event="tool_result", call_id="c9", answer="stray"),
        RdsEvent(event="workflow_started"),
    ]
    parts = answer_parts(events)
    assert parts == [
        ToolCallPart(id="c1", name="Ping", result="pong"),
        ToolResultPart(id="c9", result="stray"),
        EventPart(name="workflow_started"),
    ]


def test_a_row_without_answer_text_takes_it_from_its_message_events() -> None:
    row = Row.model_validate(
        {
            "Id": "m1",
            "Query": "q",
            "Answer": "",
            "Events": [{"event": "message", "answer": "a"}, {"event": "message", "answer": "b"}],
        }
    )
    user, assistant = row_messages(row)
    assert (user.id, user.text, assistant.id, assistant.text) == ("m1:query", "q", "m1", "ab")


def test_a_dify_style_stream_in_lowercase_folds_to_the_final_message() -> None:
    translator = ChatTranslator()
    raw = [
        {"event": "agent_message", "message_id": "m1", "answer": "Hi "},
        {
            "event": "agent_thought",
            "message_id": "m1",
            "thought": "think",
            "tool": "Ping",
            "tool_input": "{}",
            "observation": "pong",
        },
        {"event": "agent_message", "message_id": "m1", "answer": "there"},
        {"event": "message_end", "message_id": "m1"},
    ]
    out = [e for r in raw for e in translator.feed(RdsEvent.model_validate(r))]
    turn = fold(out)
    assert turn.messages[0].text == "Hi there" and turn.stop_reason == "message_end"
    assert turn.messages[0].parts == [ToolCallPart(name="Ping", arguments="{}", result="pong")]
    assert isinstance(out[-3], MessageDone) and out[-1] == TurnEnd("message_end")


def test_json_tool_results_are_kept_as_sent_on_the_call_and_on_an_orphan_result() -> None:
    events = [
        RdsEvent(event="tool_call", tool_name="Describe", call_id="c1"),
        RdsEvent(event="tool_result", call_id="c1", answer='{"Status": "Running", "Cpu": 20}'),
        RdsEvent(event="tool_result", call_id="c9", answer='{"Rows": [1, 2]}'),
    ]
    assert answer_parts(events) == [
        ToolCallPart(id="c1", name="Describe", result='{"Status": "Running", "Cpu": 20}'),
        ToolResultPart(id="c9", result='{"Rows": [1, 2]}'),
    ]  # shaping.tidy_json lays them out compactly in the compact view; detail="full" shows them as sent
