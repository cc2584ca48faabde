"""The official qca SDK (0.11.0), an independent client, reads the Qoder sandbox: proof of its wire format.

qca is sync, so each call runs in a worker thread while the sandbox serves from the test's event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import anyio
import pytest
import qca

from agent_threads.sandbox import Sandbox
from agent_threads.sandbox.qoder.data import CHILD_A, COORD_A, SID_A, SID_B

T = TypeVar("T")


def _given(value: T | None) -> T:
    """A field the SDK types as optional that the sandbox always sends."""
    assert value is not None
    return value


def managed_for(sandbox: Sandbox, pat: str | None = None, retries: int = 0) -> qca.Managed:
    return qca.Managed(
        pat=pat or sandbox.ctx.creds.qoder_pat, base_url=sandbox.url("qoder") + "/api/v1/cloud", max_retries=retries
    )


@pytest.fixture
def managed(sandbox: Sandbox) -> Iterator[qca.Managed]:
    with managed_for(sandbox) as client:
        yield client


@pytest.fixture
def forward(sandbox: Sandbox) -> Iterator[qca.Forward]:
    with qca.Forward(
        pat=sandbox.ctx.creds.qoder_pat, base_url=sandbox.url("qoder") + "/api/v1/forward", max_retries=0
    ) as client:
        yield client


async def in_thread(call: Callable[[], T]) -> T:
    with anyio.fail_after(10):
        return await anyio.to_thread.run_sync(call)


def user_message(text: str) -> list[Any]:
    return [{"type": "user.message", "content": [{"type": "text", "text": text}]}]


async def test_qca_managed_lists_sessions_threads_and_events_with_auto_pagination(managed: qca.Managed) -> None:
    client = managed
    sessions = await in_thread(lambda: [s.id for s in client.sessions.list(limit=1)])
    threads = await in_thread(
        lambda: [(t.id, t.parent_thread_id) for t in client.sessions.threads.list(SID_A, limit=1)]
    )
    events = await in_thread(lambda: list(client.sessions.threads.events.list(COORD_A, session_id=SID_A, limit=4)))
    one_page = await in_thread(lambda: client.sessions.threads.events.list(COORD_A, session_id=SID_A, limit=100))
    assert sessions[0] == SID_A and len(sessions) == 4
    assert threads == [(COORD_A, None), (CHILD_A, COORD_A)]
    assert [e.id for e in events] == [e.id for e in one_page.data] and len(events) > 4
    first = (events[0].content or [None])[0]
    assert events[0].type == "user.message" and first is not None and _given(first.text).endswith("重点关注国内厂商。")


def _thread_stream(client: qca.Forward, after: str) -> list[str]:
    with client.sessions.threads.events.stream(CHILD_A, session_id=SID_A, last_event_id=after, timeout=None) as stream:
        seen: list[str] = []
        for event in stream:
            seen.append(_given(event.type))
            if event.type == "session.thread_status_idle":
                return seen
    return seen


async def test_qca_forward_pages_by_after_id_and_reads_a_thread_stream(forward: qca.Forward) -> None:
    sessions = await in_thread(lambda: [s.id for s in forward.sessions.list(limit=1)])
    threads = await in_thread(lambda: [t.id for t in forward.sessions.threads.list(SID_A, limit=1)])
    cn_style = await in_thread(lambda: [e.id for e in forward.sessions.events.list(SID_B, limit=3)])
    one_page = await in_thread(lambda: forward.sessions.events.list(SID_B, limit=100))
    child = await in_thread(lambda: forward.sessions.threads.events.list(CHILD_A, session_id=SID_A, limit=100).data)
    streamed = await in_thread(lambda: _thread_stream(forward, _given(child[1].id)))
    assert len(sessions) == 4 and threads == [COORD_A, CHILD_A]
    assert cn_style == [e.id for e in one_page.data] and len(cn_style) > 3
    assert streamed == [e.type for e in child[2:]]


async def test_qca_managed_stops_after_one_cn_style_page_where_has_more_lacks_next_page(managed: qca.Managed) -> None:
    page = await in_thread(lambda: managed.sessions.events.list(SID_B, limit=3))
    everything = await in_thread(lambda: list(managed.sessions.events.list(SID_B, limit=3)))
    assert page.has_more is True and page.next_page is None and len(everything) == 3  # the SDK gap the provider closes


async def test_qca_keeps_string_content_and_unknown_fields(managed: qca.Managed) -> None:
    events = await in_thread(lambda: list(managed.sessions.threads.events.list(CHILD_A, session_id=SID_A, limit=100)))
    sent = next(e for e in events if e.type == "agent.thread_message_sent")
    assert (
        sent.content == "请调研 Cloud Agents API 的最新竞品动态。"
        and (sent.model_extra or {})["direction"] == "coordinator_to_child"
    )


def _send_and_stream(client: qca.Managed) -> tuple[str, list[Any]]:
    sent = client.sessions.events.send(SID_A, events=user_message("roadmap 路线图"))
    seen: list[Any] = []
    with client.sessions.events.stream(
        SID_A, event_deltas=["agent.message"], last_event_id=_given(sent.data)[0].id, timeout=None
    ) as stream:
        for event in stream:
            seen.append(event)
            if event.type == "session.status_idle":
                break
    return _given(_given(sent.data)[0].id), seen


async def test_qca_reads_a_live_turn_with_message_deltas_over_sse(managed: qca.Managed) -> None:
    sent_id, seen = await in_thread(lambda: _send_and_stream(managed))
    final = next(e for e in seen if e.type == "agent.message")
    deltas = [e for e in seen if e.type == "event_delta"]
    assert seen[0].type == "session.status_running" and sent_id not in [e.id for e in seen]
    assert {e.id for e in deltas} == {final.id} and "".join(e.delta.content.text for e in deltas) == final.content[
        0
    ].text
    assert not any(
        e.type == "event_start" and e.event.type == "agent.thinking" for e in seen
    )  # only the deltas asked for


def _resume_across_drop(client: qca.Managed, after: str) -> list[str]:
    seen: list[str] = []
    with client.sessions.events.resumable_stream(SID_A, last_event_id=after, timeout=None) as stream:
        for event in stream:
            if event.type not in ("event_start", "event_delta"):
                seen.append(_given(event.id))
            if event.type == "session.status_idle":
                break
    return seen


async def test_qca_resumable_stream_continues_after_a_dropped_connection(
    sandbox: Sandbox, managed: qca.Managed
) -> None:
    events = await in_thread(lambda: managed.sessions.events.list(SID_A, limit=100).data)
    start = events[-9].id
    sandbox.ctx.faults.add("qoder", "drop_stream", route="/events/stream", after_bytes=900)
    with managed_for(sandbox, retries=2) as retrying:
        seen = await in_thread(lambda: _resume_across_drop(retrying, _given(start)))
    expected = [e.id for e in events[-8:]]
    assert seen == expected[: expected.index(next(e.id for e in events[-8:] if e.type == "session.status_idle")) + 1]
    assert [kind for _, kind, _ in sandbox.ctx.faults.fired] == ["drop_stream"]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c: c.sessions.list(), qca.AuthenticationError),
        (lambda c: c.sessions.retrieve("sess_missing"), qca.NotFoundError),
    ],
)
async def test_qca_maps_sandbox_errors_to_its_own_classes(
    sandbox: Sandbox, call: Callable[[qca.Managed], Any], error: type[Exception]
) -> None:
    with (
        managed_for(sandbox, pat="wrong" if error is qca.AuthenticationError else None) as client,
        pytest.raises(error),
    ):
        await in_thread(lambda: call(client))


async def test_qca_gets_409_conflict_while_a_turn_runs(sandbox: Sandbox, managed: qca.Managed) -> None:
    gate = sandbox.ctx.options["qoder.turn_gate"] = anyio.Event()
    client = managed
    first = await in_thread(lambda: client.sessions.events.send(SID_A, events=user_message("one")))
    with pytest.raises(qca.ConflictError) as busy:
        await in_thread(lambda: client.sessions.events.send(SID_A, events=user_message("two")))
    assert busy.value.status_code == 409
    gate.set()
    tail = await in_thread(lambda: _resume_across_drop(client, _given(_given(first.data)[0].id)))
    assert len(tail) >= 5
