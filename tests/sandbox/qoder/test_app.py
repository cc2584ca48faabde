"""The Qoder sandbox speaks Qoder's wire format: Bearer checks, envelopes, both cursor styles, SSE."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest

from agent_threads.sandbox import Sandbox
from agent_threads.sandbox.qoder.data import CHILD_A, COORD_A, SID_A, SID_B, SID_D

from .frames import read_stream


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
