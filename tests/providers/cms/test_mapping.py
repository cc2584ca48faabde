"""CMS / STAROps message contents onto text: chunks, blocks and what sits between them."""

from __future__ import annotations

from typing import Any

from agent_threads.providers.cms.mapping import to_message
from agent_threads.providers.cms.wire import WireMessage
from agent_threads.transcript import ArtifactPart, DataPart


def message(*contents: dict[str, Any], **fields: Any) -> WireMessage:
    return WireMessage.model_validate({"role": "assistant", "seq": 1, "contents": list(contents), **fields})


def text(value: str, *, append: bool = False) -> dict[str, Any]:
    return {"type": "text", "value": value, "append": append}


def test_adjacent_text_blocks_are_one_text_whether_or_not_they_append() -> None:
    mapped = to_message(
        message(text("Checkout p99 rose to 1."), text("8 s at 08:00", append=True), text(" UTC.")), "t", {}
    )
    assert mapped.text == "Checkout p99 rose to 1.8 s at 08:00 UTC."


def test_a_break_marks_only_where_a_block_of_another_kind_sat_between_two_texts() -> None:
    chart = {"type": "chart", "value": {"kind": "line"}}
    mapped = to_message(message(text("See the chart"), chart, text("It rises.")), "t", {})
    assert mapped.text == "See the chart\nIt rises." and mapped.parts == [
        DataPart(category="chart", data={"kind": "line"})
    ]


def test_an_artifacts_text_pieces_join_the_same_way() -> None:
    pieces = [{"text": "Two pages: growth table, "}, {"text": "bar chart."}, {"file": {"uri": "oss://r.pdf"}}]
    mapped = to_message(message(artifacts=[{"name": "report", "parts": pieces}]), "t", {})
    assert mapped.parts == [ArtifactPart(name="report", text="Two pages: growth table, bar chart.", uri="oss://r.pdf")]
