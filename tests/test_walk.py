"""Walking a vendor's pages: a cursor that comes back is caught whatever the cycle's length, empty pages that say
more follows end the walk, a repeated message id keeps its first copy, and the state stays small."""

from __future__ import annotations

import hashlib
import json

import pytest

from agent_threads.errors import ProtocolError
from agent_threads.transcript import Message
from agent_threads.walk import MAX_EMPTY, Walk, fingerprint

ONE = ["m"]


def _steps_until_caught(lead_in: int, cycle: int, limit: int = 10_000) -> int:
    """How many pages a walk reads through ``lead_in`` distinct cursors then a cycle of ``cycle``, before it stops."""
    walk = Walk()
    for n in range(limit):
        following = {"page": n if n < lead_in else lead_in + (n - lead_in) % cycle}
        try:
            walk.step(following, ONE, provider="q")
        except ProtocolError:
            return n
        walk = Walk.load(walk.dump())  # as it would ride in a cursor between calls
    raise AssertionError("never caught")


@pytest.mark.parametrize("cycle", [1, 2, 3, 8, 9, 50, 333])
@pytest.mark.parametrize("lead_in", [0, 1, 7, 100])
def test_a_page_cursor_that_comes_back_is_caught_whatever_the_cycle(lead_in: int, cycle: int) -> None:
    caught = _steps_until_caught(lead_in, cycle)
    assert caught >= lead_in + cycle  # nothing is refused before it repeats
    assert caught <= 2 * (lead_in + cycle) + cycle  # a long cycle within about twice the pages read
    if cycle <= 8:
        assert caught == lead_in + cycle  # a short one at its first repeat


def test_a_long_walk_of_new_cursors_never_stops_and_its_state_stays_small() -> None:
    walk = Walk()
    for n in range(20_000):
        walk.step({"page": f"token-{n}"}, ONE, provider="q")
    assert len(str(walk.dump())) < 300


def test_empty_pages_that_say_more_follows_end_the_walk_and_a_full_one_resets_the_count() -> None:
    walk = Walk()
    for n in range(MAX_EMPTY - 1):
        walk.step({"page": n}, [], provider="q")
    walk.step({"page": "full"}, ONE, provider="q")
    for n in range(MAX_EMPTY - 1):
        walk.step({"page": f"again {n}"}, [], provider="q")
    with pytest.raises(ProtocolError, match=f"{MAX_EMPTY} empty pages in a row"):
        walk.step({"page": "last"}, [], provider="q")


def test_a_repeated_id_keeps_its_first_copy_on_the_page_and_across_the_page_end() -> None:
    first = [Message(id=f"m{i}", role="user", text=f"first {i}") for i in range(3)]
    walk = Walk()
    kept, dropped = walk.unique([*first, first[1].model_copy(update={"text": "again"})])
    assert [m.text for m in kept] == ["first 0", "first 1", "first 2"] and dropped == ["m1"]
    walk.step({"page": 2}, [m.id for m in kept], provider="q")
    nxt = [Message(id="m2", role="user", text="overlap"), Message(id="m3", role="user", text="new")]
    assert Walk.load(walk.dump()).unique(nxt) == ([nxt[1]], ["m2"])
    assert walk.unique([Message(role="user", text="no id"), Message(role="user", text="no id")])[1] == []


@pytest.mark.parametrize("value", ["msg_1", 'a "quoted" id\n', "中文 id", 42, None, {"b": 1, "a": [2, "x"]}])
def test_a_fingerprint_is_the_digest_of_the_values_sorted_compact_json(value: object) -> None:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)  # what cursors already hold
    assert fingerprint(value) == hashlib.blake2b(text.encode(), digest_size=6).hexdigest()
