from __future__ import annotations

import pytest

from agent_threads.errors import UsageError
from agent_threads.refs import ThreadRef, parse_ref


@pytest.mark.parametrize(
    "text",
    [
        "qoder:sess_1",
        "qoder:sess_1/sthr_2",
        "cms:emp/thr",
        "starops:e",
        "dms:s1",
        "rdsai:c1",
        "dataagent:ins/sess",
        "qoder.cn:s",
    ],
)
def test_every_documented_form_round_trips(text: str) -> None:
    assert str(parse_ref(text)) == text


def test_segments_with_slash_space_percent_and_non_ascii_round_trip() -> None:
    ref = ThreadRef("cms", ("数字 员工/1", "thr%2"))
    text = str(ref)
    assert text == "cms:%E6%95%B0%E5%AD%97%20%E5%91%98%E5%B7%A5%2F1/thr%252"
    assert parse_ref(text) == ref


@pytest.mark.parametrize(
    "text",
    [
        "sess_1",
        "github:x",
        "qoder:",
        "qoder:a//b",
        "qoder:a/b/c",
        "dms:a/b",
        "qoder:..",
        "qoder:a/%2E%2E",
        "qoder:a\x00b",
        "qoder:%0A",
        "QODER:x",
        "qoder: x",
    ],
)
def test_malformed_or_foreign_refs_are_rejected_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_ref(text)
    assert "Accepted forms:" in info.value.for_model()
    assert ":<session>" in info.value.for_model()


def test_a_container_depth_can_be_demanded() -> None:
    with pytest.raises(UsageError):
        parse_ref("qoder:s/t", depth=(1,))
    assert parse_ref("qoder:s", depth=(1,)).parts == ("s",)


def test_a_ref_written_relative_to_a_thread_is_refused_with_how_to_make_it_whole() -> None:
    with pytest.raises(UsageError) as caught:
        parse_ref("./sthr_2")
    assert "relative" in str(caught.value) and "last part" in caught.value.for_model()
