"""The Qoder sandbox runs turns: a user message streams its answer, a second one is busy, a repeated
Idempotency-Key gets the first reply, a cut reply still runs its turn."""

from __future__ import annotations

import anyio
import httpx
import pytest

from agent_threads.sandbox import Sandbox
from agent_threads.sandbox.qoder.data import SID_A

from .frames import Frames, read_stream

BUSY = "Session is currently processing a turn. Cancel the current turn or wait for completion."


async def send(api: httpx.AsyncClient, text: str, **headers: str) -> httpx.Response:
    body = {"events": [{"type": "user.message", "content": [{"type": "text", "text": text}]}]}
    return await api.post(f"cloud/sessions/{SID_A}/events", json=body, headers=headers)


async def turn_after(api: httpx.AsyncClient, event_id: str) -> Frames:
    """The session's stream after ``event_id`` (a sent message), read to the turn's end."""
    with anyio.fail_after(5):
        headers = {"Last-Event-ID": event_id}
        async with api.stream("GET", f"cloud/sessions/{SID_A}/events/stream", headers=headers) as reply:
            return await read_stream(reply, until="session.status_idle")


async def test_a_user_message_runs_a_turn_whose_deltas_share_the_final_event_id(api: httpx.AsyncClient) -> None:
    sent = (await send(api, "hello 世界")).json()["data"][0]
    got = await turn_after(api, sent["id"])
    names = [name for _, name, _ in got.frames]
    assert names[0] == "session.status_running" and names[-1] == "session.status_idle"
    final = next(data for _, name, data in got.frames if name == "agent.message")
    deltas = [data for eid, name, data in got.frames if name == "event_delta" and eid == final["id"]]
    assert "".join(d["delta"]["content"]["text"] for d in deltas) == final["content"][0]["text"]
    assert (
        names.index("agent.thinking")
        < names.index("agent.tool_use")
        < names.index("agent.tool_result")
        < names.index("agent.message")
    )


async def test_a_turn_streams_the_answer_and_delta_size_the_options_give(
    sandbox: Sandbox, api: httpx.AsyncClient
) -> None:
    answer = "".join(f"line {i}: 已完成.\n" for i in range(40))
    sandbox.ctx.options |= {"qoder.turn_answer": answer, "qoder.turn_delta_chars": 50}
    sent = (await send(api, "write it all")).json()["data"][0]
    got = await turn_after(api, sent["id"])
    final = next(data for _, name, data in got.frames if name == "agent.message")
    pieces = [
        d["delta"]["content"]["text"] for eid, name, d in got.frames if name == "event_delta" and eid == final["id"]
    ]
    assert final["content"][0]["text"] == answer == "".join(pieces)
    assert {len(p) for p in pieces[:-1]} == {50}


async def finish(api: httpx.AsyncClient, gate: anyio.Event, sent: httpx.Response) -> None:
    """Open the gate and follow the turn to its end, so no turn outlives the test."""
    gate.set()
    await turn_after(api, sent.json()["data"][0]["id"])


async def test_a_second_message_during_a_turn_is_409_conflict_error(sandbox: Sandbox, api: httpx.AsyncClient) -> None:
    gate = sandbox.ctx.options["qoder.turn_gate"] = anyio.Event()
    first = await send(api, "first")
    busy = await send(api, "second")
    assert (busy.status_code, busy.json()["error"]) == (409, {"type": "conflict_error", "message": BUSY})
    await finish(api, gate, first)


async def test_a_repeated_idempotency_key_gets_the_first_reply_without_a_second_turn(
    sandbox: Sandbox, api: httpx.AsyncClient
) -> None:
    gate = sandbox.ctx.options["qoder.turn_gate"] = anyio.Event()
    first = await send(api, "once", **{"Idempotency-Key": "k1"})
    again = await send(api, "once", **{"Idempotency-Key": "k1"})
    assert again.status_code == 200 and again.json() == first.json()
    await finish(api, gate, first)
    users = (await api.get(f"cloud/sessions/{SID_A}/events", params={"types[]": "user.message", "limit": 100})).json()[
        "data"
    ]
    assert [u["content"] for u in users].count([{"type": "text", "text": "once"}]) == 1


async def test_a_send_whose_reply_was_cut_still_runs_its_turn_and_leaves_the_session_free(
    sandbox: Sandbox, api: httpx.AsyncClient
) -> None:
    sandbox.ctx.faults.add("qoder", "drop_stream", route="POST ", after_bytes=10)
    with pytest.raises(httpx.RemoteProtocolError):
        await send(api, "the reply to this send is lost")
    latest = await api.get(
        f"cloud/sessions/{SID_A}/events", params={"types[]": "user.message", "order": "desc", "limit": 1}
    )
    sent = latest.json()["data"][0]
    assert sent["content"] == [{"type": "text", "text": "the reply to this send is lost"}]
    await turn_after(api, sent["id"])
    again = await send(api, "the session is free again")
    assert again.status_code == 200, again.text
    await finish(api, anyio.Event(), again)
