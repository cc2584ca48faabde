from __future__ import annotations

from agent_threads.transcript import (
    EventPart,
    Mark,
    Message,
    MessageDone,
    MessageStart,
    PartAdded,
    ReasoningPart,
    TextDelta,
    Transcript,
    TurnEnd,
    accumulate,
    fold,
)

from .fakes import reply_events


def test_deltas_assemble_a_message_and_the_final_event_wins() -> None:
    events = [
        MessageStart(id="a", role="assistant"),
        TextDelta(id="a", text="Hel"),
        TextDelta(id="a", text="lo", reasoning=True),
        TextDelta(id="a", text="lo wrld"),
        MessageDone(Message(id="a", role="assistant", text="Hello world")),
    ]
    partial = fold(events[:4])
    assert partial.messages[0].text == "Hello wrld"
    assert partial.messages[0].parts == [ReasoningPart(text="lo")]
    assert fold(events).messages[0].text == "Hello world"


def test_the_fold_never_mutates_its_input() -> None:
    start = fold([MessageStart(id="a", role="assistant"), TextDelta(id="a", text="x")])
    after = accumulate(start, TextDelta(id="a", text="y"))
    assert start.messages[0].text == "x" and after.messages[0].text == "xy"


def test_marks_and_turn_end_carry_the_checkpoint_and_stop_reason() -> None:
    result = fold(reply_events())
    assert (result.ended, result.stop_reason, result.checkpoint) == (True, "end_turn", "evt_2")
    assert [m.seq for m in result.messages] == [1]
    assert fold([Mark("c1")]).checkpoint == "c1"
    assert fold([TurnEnd()], Transcript(checkpoint="c0")).checkpoint == "c0"


def test_parts_and_deltas_for_an_unseen_message_start_it() -> None:
    result = fold([PartAdded(id="e", part=EventPart(name="session.error", is_error=True)), TextDelta(id="f", text="t")])
    assert [m.id for m in result.messages] == ["e", "f"]
    assert result.messages[0].kinds() == {"event"}
