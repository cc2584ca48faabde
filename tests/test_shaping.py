"""Shaping a message for the model: masking, control characters, caps per detail, tidy JSON, token estimates."""

from __future__ import annotations

from agent_threads.redact import mask
from agent_threads.shaping import estimate_tokens, shape, tidy_json
from agent_threads.transcript import (
    Message,
    ReasoningPart,
    ToolCallPart,
    ToolResultPart,
)


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
