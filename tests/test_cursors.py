from __future__ import annotations

import pytest

from agent_threads.cursors import CursorCodec, CursorStore
from agent_threads.errors import UsageError


def test_a_cursor_returns_the_state_it_was_made_from() -> None:
    codec = CursorCodec(b"k")
    state = {"v": {"page": "p2", "after_id": "evt_9"}, "skip": 3, "seq": 40, "n": 50}
    assert codec.decode("msgs:qoder:s/t", codec.encode("msgs:qoder:s/t", state)) == state


def test_a_cursor_made_for_one_thread_is_rejected_on_another() -> None:
    codec = CursorCodec(b"k")
    cursor = codec.encode("msgs:qoder:s/t1", {"v": None})
    with pytest.raises(UsageError):
        codec.decode("msgs:qoder:s/t2", cursor)
    with pytest.raises(UsageError):
        codec.decode("msgs:cms:s/t1", cursor)


def test_an_edited_cursor_is_rejected() -> None:
    codec = CursorCodec(b"k")
    cursor = codec.encode("x", {"skip": 1})
    payload, mac = cursor.split(".")
    tampered = CursorCodec(b"k").encode("x", {"skip": 99}).split(".")[0] + "." + mac
    for bad in (tampered, payload + "." + mac[:-2] + "AA", "garbage", ""):
        with pytest.raises(UsageError):
            codec.decode("x", bad)


def test_a_cursor_from_another_server_key_is_rejected() -> None:
    cursor = CursorCodec(b"one").encode("x", {"skip": 1})
    with pytest.raises(UsageError):
        CursorCodec(b"two").decode("x", cursor)


def test_a_handle_returns_its_state_only_for_its_own_scope() -> None:
    store = CursorStore()
    handle = store.encode("msgs:qoder:s/t1", {"skip": 3})
    assert len(handle) == 10 and store.decode("msgs:qoder:s/t1", handle) == {"skip": 3}
    edited = handle[:-1] + ("x" if handle[-1] != "x" else "y")
    for scope, cursor in (("msgs:qoder:s/t2", handle), ("msgs:qoder:s/t1", edited), ("msgs:qoder:s/t1", "")):
        with pytest.raises(UsageError):
            store.decode(scope, cursor)


def test_the_store_keeps_only_the_newest_handles() -> None:
    store = CursorStore(size=2)
    first = store.encode("x", {"n": 1})
    store.encode("x", {"n": 2})
    store.encode("x", {"n": 3})
    with pytest.raises(UsageError):
        store.decode("x", first)
