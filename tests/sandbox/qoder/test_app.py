"""The Qoder sandbox speaks Qoder's wire format: Bearer checks, envelopes, both cursor styles, SSE, turns."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import pytest

from agent_threads.sandbox import Sandbox
from agent_threads.sandbox.qoder.data import CHILD_A, COORD_A, SID_A, SID_B, SID_D

BUSY = "Session is currently processing a turn. Cancel the current turn or wait for completion."


@pytest.fixture
async def api(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {sandbox.ctx.creds.qoder_pat}", "Accept": "application/json"}
    async with httpx.AsyncClient(base_url=sandbox.url("qoder") + "/api/v1/", headers=headers) as client:
        yield client


@dataclass
class Frames:
    comments: list[str] = field(default_factory=list[str])
    frames: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list[tuple[str, str, dict[str, Any]]])


async def read_stream(response: httpx.Response, until: str) -> Frames:
    """Parse SSE lines into (id, event, data) until an event of type ``until`` arrives."""
    out, current = Frames(), {}
    async for line in response.aiter_lines():
        if line.startswith(":"):
            out.comments.append(line)
        elif line:
            name, _, value = line.partition(": ")
            current[name] = value
        elif current:
            out.frames.append((current["id"], current["event"], json.loads(current["data"])))
            current = {}
            if out.frames[-1][1] == until:
                return out
    return out


async def all_ids(api: httpx.AsyncClient, url: str, **params: Any) -> list[str]:
    """Walk a list to the end following next_page, else after_id=last_id."""
    ids: list[str] = []
    query: dict[str, Any] = {"limit": 7, **params}
    while True:
        body = (await api.get(url, params=query)).json()
        ids += [item["id"] for item in body["data"]]
        if not body["has_more"]:
            return ids
        query = (
            {"limit": 7, "page": body["next_page"]}
            if body.get("next_page")
            else {"limit": 7, "after_id": body["last_id"]}
        )


async def test_a_missing_wrong_or_x_api_key_token_is_401_authentication_error(sandbox: Sandbox) -> None:
    base = sandbox.url("qoder") + "/api/v1/cloud/sessions"
    async with httpx.AsyncClient() as client:
        for headers in ({}, {"Authorization": "Bearer nope"}, {"x-api-key": sandbox.ctx.creds.qoder_pat}):
            reply = await client.get(base, headers=headers)
            assert reply.status_code == 401
            body = reply.json()
            assert body["error"] == {"type": "authentication_error", "message": "Invalid API key or token."}
            assert body["type"] == "error" and body["request_id"] == reply.headers["x-request-id"]


async def test_unknown_sessions_and_threads_are_404_with_qoder_messages(api: httpx.AsyncClient) -> None:
    missing = await api.get("cloud/sessions/sess_missing/events")
    assert (missing.status_code, missing.json()["error"]) == (
        404,
        {"type": "not_found_error", "message": "Session 'sess_missing' was not found."},
    )
    thread = await api.get(f"cloud/sessions/{SID_A}/threads/sthr_missing/events")
    assert thread.json()["error"]["message"] == "Session thread 'sthr_missing' was not found."


async def test_a_client_request_id_is_echoed_in_the_error_envelope(api: httpx.AsyncClient) -> None:
    reply = await api.get("cloud/sessions/sess_missing", headers={"x-request-id": "req-mine"})
    assert reply.json()["request_id"] == reply.headers["x-request-id"] == "req-mine"


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
async def test_a_limit_outside_1_to_100_is_400_invalid_request_error(api: httpx.AsyncClient, limit: str) -> None:
    reply = await api.get(f"cloud/sessions/{SID_A}/events", params={"limit": limit})
    assert (reply.status_code, reply.json()["error"]["type"]) == (400, "invalid_request_error")


async def test_more_than_one_cursor_is_400_invalid_request_error(api: httpx.AsyncClient) -> None:
    first = (await api.get(f"cloud/sessions/{SID_A}/events", params={"limit": 2})).json()
    reply = await api.get(
        f"cloud/sessions/{SID_A}/events", params={"page": first["next_page"], "after_id": first["last_id"]}
    )
    assert (reply.status_code, reply.json()["error"]["type"]) == (400, "invalid_request_error")


async def test_managed_next_page_and_forward_after_id_walk_the_same_events(api: httpx.AsyncClient) -> None:
    url = f"sessions/{SID_A}/threads/{COORD_A}/events"
    managed, forward = await all_ids(api, "cloud/" + url), await all_ids(api, "forward/" + url)
    one_page = (await api.get("cloud/" + url, params={"limit": 100})).json()
    assert managed == forward == [e["id"] for e in one_page["data"]]
    assert len(managed) > 7 and not one_page["has_more"] and one_page["next_page"] is None


async def test_forward_pages_carry_no_next_page_and_reject_page(api: httpx.AsyncClient) -> None:
    body = (await api.get(f"forward/sessions/{SID_A}/events", params={"limit": 2})).json()
    assert body["has_more"] and "next_page" not in body
    rejected = await api.get(f"forward/sessions/{SID_A}/events", params={"page": "pg_x"})
    assert rejected.status_code == 400


async def test_the_cn_style_session_omits_next_page_while_has_more(api: httpx.AsyncClient) -> None:
    body = (await api.get(f"cloud/sessions/{SID_B}/events", params={"limit": 3})).json()
    assert body["has_more"] is True and "next_page" not in body
    assert len(await all_ids(api, f"cloud/sessions/{SID_B}/events")) > 3


async def test_before_id_and_desc_order_page_backwards(api: httpx.AsyncClient) -> None:
    everything = [
        e["id"] for e in (await api.get(f"cloud/sessions/{SID_A}/events", params={"limit": 100})).json()["data"]
    ]
    before = (await api.get(f"cloud/sessions/{SID_A}/events", params={"limit": 3, "before_id": everything[5]})).json()
    assert [e["id"] for e in before["data"]] == everything[2:5] and before["has_more"]
    newest = (await api.get(f"cloud/sessions/{SID_A}/events", params={"limit": 2, "order": "desc"})).json()
    assert [e["id"] for e in newest["data"]] == everything[::-1][:2]


async def test_types_filters_events_in_both_spellings(api: httpx.AsyncClient) -> None:
    url = f"cloud/sessions/{SID_A}/events"
    by_array = (await api.get(url, params={"types[]": ["user.message"], "limit": 100})).json()["data"]
    by_comma = (await api.get(url, params={"type": "user.message,agent.message", "limit": 100})).json()["data"]
    assert [e["type"] for e in by_array] == ["user.message", "user.message"]
    assert {e["type"] for e in by_comma} == {"user.message", "agent.message"}


async def test_thread_views_hold_only_their_own_events(api: httpx.AsyncClient) -> None:
    child = (await api.get(f"cloud/sessions/{SID_A}/threads/{CHILD_A}/events", params={"limit": 100})).json()["data"]
    assert child[0]["type"] == "session.thread_created" and all(e["session_thread_id"] == CHILD_A for e in child)
    threads = (await api.get(f"cloud/sessions/{SID_A}/threads")).json()["data"]
    assert [t["role"] for t in threads] == ["coordinator", "subagent"] and threads[1]["parent_thread_id"] == COORD_A


async def test_the_generated_thread_is_sized_by_options_and_pages_cheaply(
    sandbox: Sandbox, api: httpx.AsyncClient
) -> None:
    sandbox.ctx.options["qoder.big_thread_events"] = 100_000
    newest = (await api.get(f"cloud/sessions/{SID_D}/events", params={"limit": 100, "order": "desc"})).json()
    assert newest["data"][0]["id"].endswith(f"{99_999:024x}") and newest["has_more"]
    latest_user = (
        await api.get(f"cloud/sessions/{SID_D}/events", params={"limit": 1, "order": "desc", "types[]": "user.message"})
    ).json()
    assert latest_user["data"][0]["content"].startswith("Step 14285:")


async def test_streams_replay_after_last_event_id_with_heartbeat_comments(api: httpx.AsyncClient) -> None:
    events = (await api.get(f"cloud/sessions/{SID_A}/events", params={"limit": 100})).json()["data"]
    headers = {"Accept": "text/event-stream", "Last-Event-ID": events[-3]["id"]}
    with anyio.fail_after(5):
        async with api.stream("GET", f"cloud/sessions/{SID_A}/events/stream", headers=headers) as reply:
            got = await read_stream(reply, until="session.status_idle")
    assert reply.headers["content-type"].startswith("text/event-stream")
    assert got.comments and [f[0] for f in got.frames] == [e["id"] for e in events[-2:]]
    assert all(name == data["type"] for _, name, data in got.frames)


async def test_an_events_route_asked_for_event_stream_streams(api: httpx.AsyncClient) -> None:
    with anyio.fail_after(5):
        async with api.stream(
            "GET", f"cloud/sessions/{SID_A}/threads/{CHILD_A}/events", headers={"Accept": "text/event-stream"}
        ) as reply:
            got = await read_stream(reply, until="session.thread_status_idle")
    assert got.frames[0][1] == "session.thread_created"


async def test_a_last_event_id_of_another_session_is_400(api: httpx.AsyncClient) -> None:
    reply = await api.get(f"cloud/sessions/{SID_A}/events/stream", headers={"Last-Event-ID": "evt_nope"})
    assert reply.status_code == 400


async def send(api: httpx.AsyncClient, text: str, **headers: str) -> httpx.Response:
    body = {"events": [{"type": "user.message", "content": [{"type": "text", "text": text}]}]}
    return await api.post(f"cloud/sessions/{SID_A}/events", json=body, headers=headers)


async def test_a_user_message_runs_a_turn_whose_deltas_share_the_final_event_id(api: httpx.AsyncClient) -> None:
    sent = (await send(api, "hello 世界")).json()["data"][0]
    with anyio.fail_after(5):
        async with api.stream(
            "GET", f"cloud/sessions/{SID_A}/events/stream", headers={"Last-Event-ID": sent["id"]}
        ) as reply:
            got = await read_stream(reply, until="session.status_idle")
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


async def finish(api: httpx.AsyncClient, gate: anyio.Event, sent: httpx.Response) -> None:
    """Open the gate and follow the turn to its end, so no turn outlives the test."""
    gate.set()
    headers = {"Last-Event-ID": sent.json()["data"][0]["id"]}
    with anyio.fail_after(5):
        async with api.stream("GET", f"cloud/sessions/{SID_A}/events/stream", headers=headers) as reply:
            await read_stream(reply, until="session.status_idle")


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
    with anyio.fail_after(5):
        async with api.stream(
            "GET", f"cloud/sessions/{SID_A}/events/stream", headers={"Last-Event-ID": sent["id"]}
        ) as reply:
            await read_stream(reply, until="session.status_idle")
    again = await send(api, "the session is free again")
    assert again.status_code == 200, again.text
    await finish(api, anyio.Event(), again)


async def test_faults_answer_in_the_qoder_envelope(sandbox: Sandbox, api: httpx.AsyncClient) -> None:
    sandbox.ctx.faults.add("qoder", "throttle", route="/sessions", retry_after=3)
    throttled = await api.get("cloud/sessions")
    assert (throttled.status_code, throttled.headers["retry-after"], throttled.json()["error"]["type"]) == (
        429,
        "3",
        "rate_limit_error",
    )
    sandbox.ctx.faults.add("qoder", "server_error", route="/sessions")
    assert (await api.get("cloud/sessions")).json()["error"]["type"] == "api_error"
    sandbox.ctx.options["qoder.server_error_status"] = 529
    sandbox.ctx.faults.add("qoder", "server_error", route="/sessions")
    overloaded = await api.get("cloud/sessions")
    assert (overloaded.status_code, overloaded.json()["error"]["type"]) == (529, "overloaded_error")


async def test_the_drift_fault_serves_the_older_field_names(sandbox: Sandbox, api: httpx.AsyncClient) -> None:
    sandbox.ctx.faults.add("qoder", "drift", route="/events")
    body = (await api.get(f"cloud/sessions/{SID_B}/events", params={"limit": 100})).json()
    tool_use = next(e for e in body["data"] if e["type"] == "agent.tool_use")
    assert tool_use["tool_name"] == "Bash" and "name" not in tool_use and tool_use["tool_use_id"] == tool_use["id"]
