"""The pure DMS mapping: chat events to stream events, DATA payloads by category, epoch units."""

from __future__ import annotations

from datetime import datetime, timezone

from agent_threads.providers.dms.mapping import TurnTranslator, data_part, epoch, plan_part
from agent_threads.providers.dms.wire import ChatEvent
from agent_threads.transcript import DataPart, EventPart, Mark, PlanPart, TurnEnd, fold


def _events(*raw: dict[str, object]) -> list[ChatEvent]:
    return [ChatEvent.model_validate({"checkpoint": i, **r}) for i, r in enumerate(raw)]


def test_a_turn_folds_deltas_and_data_into_one_message_with_paragraphs() -> None:
    translator = TurnTranslator()
    events = _events(
        {"event_type": "CHAT_START", "timestamp": "1779075605"},
        {"event_type": "DELTA", "content": "Hel"},
        {"event_type": "DELTA", "content": "lo."},
        {"event_type": "DATA", "content": "A paragraph.", "content_type": "str"},
        {"event_type": "DELTA", "content": "Bye"},
        {"event_type": "CHAT_FINISH"},
    )
    out = [e for ev in events for e in translator.feed(ev)]
    turn = fold(out)
    assert turn.messages[0].text == "Hello.\n\nA paragraph.\n\nBye"
    assert turn.messages[0].time == datetime(2026, 5, 18, 3, 40, 5, tzinfo=timezone.utc)
    assert [e.checkpoint for e in out if isinstance(e, Mark)] == ["0", "1", "2", "3", "4", "5"]
    assert out[-1] == TurnEnd("finished", "5") and not translator.open


def test_an_unknown_event_type_becomes_an_event_part_not_a_loss() -> None:
    translator = TurnTranslator()
    raw = _events({"event_type": "CHAT_START"}, {"event_type": "TOOL_PROGRESS", "content": "42%"})
    parts = fold([e for ev in raw for e in translator.feed(ev)]).messages[0].parts
    assert parts == [EventPart(name="TOOL_PROGRESS", message="42%")]


def test_json_data_is_typed_by_category_and_bad_json_is_kept_raw() -> None:
    assert isinstance(data_part("PLAN", '{"steps": []}'), PlanPart)
    assert data_part("SQL", '{"sql": "SELECT 1"}') == DataPart(category="SQL", data="SELECT 1")
    assert data_part("CHART", '{"type": "bar", "x": "a"}') == DataPart(category="CHART", data={"type": "bar", "x": "a"})
    assert data_part("TABLE", "{not json") == DataPart(category="TABLE", data="{not json")
    error = data_part("ERROR", '{"code": "E1", "message": "boom", "status": 500}')
    assert isinstance(error, EventPart) and (error.code, error.message, error.status, error.is_error) == (
        "E1",
        "boom",
        "500",
        True,
    )


def test_a_plan_accepts_steps_as_strings_or_objects_with_other_key_names() -> None:
    plan = plan_part([{"name": "Load", "state": "DONE"}, "Summarize"])
    assert [(s.title, s.status) for s in plan.steps] == [("Load", "DONE"), ("Summarize", None)]
    assert plan_part({"goal": "G", "Steps": [{"description": "d"}]}).title == "G"


def test_a_plan_keeps_each_step_status_as_the_vendor_sent_it() -> None:
    raw = '{"title": "T", "steps": [{"title": "a", "status": "DONE"}, {"title": "b", "status": "FAILED"}, "c"]}'
    plan = data_part("PLAN", raw)
    assert isinstance(plan, PlanPart)
    assert [s.status for s in plan.steps] == ["DONE", "FAILED", None]  # the compact view quiets "DONE", not the model


def test_epoch_values_in_seconds_or_milliseconds_give_the_same_time() -> None:
    assert epoch(1779075600) == epoch("1779075600000") == datetime(2026, 5, 18, 3, 40, tzinfo=timezone.utc)
    assert epoch(None) is None and epoch("2026-05-18T03:40:00Z") == epoch(1779075600)
