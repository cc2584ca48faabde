"""The wire helpers every vendor shares: validating a reply into its model, compact JSON, a value as text."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from agent_threads.errors import ProtocolError
from agent_threads.wire import as_text, compact_json, validate


class Page(BaseModel):
    items: list[int]
    next: str | None = None


def test_json_text_bytes_and_decoded_json_validate_alike() -> None:
    expected = Page(items=[1, 2], next="n")
    assert validate(Page, '{"items": [1, 2], "next": "n"}', provider="p", what="a page") == expected
    assert validate(Page, b'{"items": [1, 2], "next": "n"}', provider="p", what="a page") == expected
    assert validate(Page, {"items": [1, 2], "next": "n"}, provider="p", what="a page") == expected


def test_a_reply_in_the_wrong_shape_is_a_protocol_error_naming_what_was_read() -> None:
    with pytest.raises(ProtocolError) as caught:
        validate(Page, '{"items": ["x", 2], "next": 3}', provider="qoder", what="reply from /sessions")
    assert caught.value.message == "unexpected reply from /sessions: 2 invalid field(s)"
    assert caught.value.provider == "qoder"


def test_a_reply_that_is_not_json_says_so_and_shows_its_start() -> None:
    with pytest.raises(ProtocolError) as caught:
        validate(Page, b"<html>busy</html>", provider="dms", what="GetChatContent event")
    assert caught.value.message == "GetChatContent event is not JSON: '<html>busy</html>'"


def test_compact_json_has_no_spaces_and_keeps_non_ascii() -> None:
    assert compact_json({"a": [1, 2], "名": "值"}) == '{"a":[1,2],"名":"值"}'


@pytest.mark.parametrize(("value", "text"), [(None, ""), ("as is", "as is"), ({"k": [1]}, '{"k":[1]}'), (3, "3")])
def test_a_value_as_text_is_a_string_as_is_nothing_as_empty_else_compact_json(value: object, text: str) -> None:
    assert as_text(value) == text
