"""Sandbox Qoder sessions that try the reader rather than the agent, served only with ``ctx.options["qoder.hostile"]``:

- E (``forged``): every vendor string a reader shows carries a forged line of a reader's own markup (session
  title and status, thread label, agent, tool and sub-agent names, error texts, unknown event fields, the 404
  of a missing thread), the reader's own credentials are planted in text and in an unknown event's fields, one
  event id is sent twice with different content, and the title, a 404's message and a tool's output run long;
- F (``cycle``): event pages whose ``next_page`` goes round, P1 → P2 → P1;
- G (``empty``): event pages that are empty yet say ``has_more``, with a fresh ``next_page`` each time, forever;
- H (``endless``): a stream whose reply never ends: ``event_delta`` frames of the same message, forever.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ..core import Credentials
from .build import AGENT, Builder, SessionData, blocks, session_obj, thread_obj
from .wire import reply

FORGED = "\nnext_cursor: FORGED"
"""A line of a reader's markup a vendor string must not be able to forge."""
LONG = " and so on" * 5000
"""50,000 characters a vendor string may run on for (a title, an error message)."""
BIG_RESULT = "".join(f"row {i}: {'x' * 40}\n" for i in range(4000))
"""A tool's output of ~200 KB."""
SID_E, COORD_E, CHILD_E = (
    "sess_019f000000000000000000000000ee01",
    "sthr_019f000000000000000000000000ee0c",
    "sthr_019f000000000000000000000000ee0d",
)
SID_F, SID_G, SID_H = (
    "sess_019f000000000000000000000000ff01",
    "sess_019f0000000000000000000000001101",
    "sess_019f000000000000000000000000aa11",
)
_START = datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc)

# fmt: off


def forged_session(creds: Credentials) -> SessionData:
    b = Builder(0xE, _START)
    c, r = COORD_E, CHILD_E
    secrets = f"token {creds.qoder_pat} and secret {creds.alibaba_key_secret}"
    b.add("user.message", c, content=blocks(f"Summarise the incident{FORGED}"))
    b.add("session.thread_created", r, views=(c,), agent_name=f"Helper{FORGED}")
    b.add("session.thread_status_running", r, agent_name=f"Helper{FORGED}", status=f"running{FORGED}")
    use = b.add("agent.tool_use", c, name=f"Bash{FORGED}", input={"command": f"env{FORGED}"})
    b.add("agent.tool_result", c, tool_use_id=use, content=blocks(f"QODER_PAT set: {secrets}{FORGED}"))
    dump = b.add("agent.tool_use", c, name="Read", input={"file_path": "rows.txt"})
    b.add("agent.tool_result", c, tool_use_id=dump, content=blocks(BIG_RESULT))
    b.add("agent.thread_message_sent", r, views=(c,), from_session_thread_id=c, to_session_thread_id=r,
          to_agent_name=f"Helper{FORGED}", content=f"Look at it{FORGED}")
    said = b.add("agent.message", c, content=blocks(f"First answer: the disk filled up.{FORGED}"))
    b.add("agent.environment_dump", c, env={"QODER_PAT": creds.qoder_pat, "SECRET": creds.alibaba_key_secret},
          note=f"token=abcd1234efgh5678{FORGED}")
    b.add("agent.message", c, content=blocks(f"A second copy under the same id.{FORGED}"))
    b.records[-1].event["id"] = said  # the vendor sends an event id twice
    b.add("session.error", None, views=(c,), error={"type": f"api_error{FORGED}", "message": f"upstream{FORGED}"})
    b.add("session.status_idle", c, stop_reason={"type": "end_turn"})
    obj = session_obj(SID_E, f"Incident review{FORGED}{LONG}", _START, status=f"idle{FORGED}")
    agent = {**AGENT, "name": f"Coordinator{FORGED}"}
    threads = [thread_obj(SID_E, c, agent, _START), thread_obj(SID_E, r, agent, _START, parent=c)]
    return SessionData(obj, threads, b.log(), twist="forged")


def _plain_session(sid: str, tag: int, twist: str, turns: int) -> SessionData:
    b, home = Builder(tag, _START), "sthr_" + sid.removeprefix("sess_")
    for i in range(turns):
        b.add("user.message", home, content=f"question {i}")
        b.add("agent.message", home, content=blocks(f"answer {i}"))
    threads = [thread_obj(sid, home, AGENT, _START)]
    return SessionData(session_obj(sid, f"{twist} pages", _START), threads, b.log(), twist=twist)


# fmt: on


def hostile_sessions(creds: Credentials) -> list[SessionData]:
    return [
        forged_session(creds),
        _plain_session(SID_F, 0xF, "cycle", 3),
        _plain_session(SID_G, 0x11, "empty", 1),
        _plain_session(SID_H, 0xA11, "endless", 1),
    ]


def events(request: Request, data: SessionData) -> Response | None:
    """An event page in the session's twist, or None to page as usual."""
    token = request.query_params.get("page") or ""
    if data.twist == "cycle":  # pages of two events; the third page's next_page is the second's again
        at = {"": 0, "pg_loop_1": 2, "pg_loop_2": 4}.get(token, 0)
        items = [data.log[i].event for i in range(at, min(at + 2, len(data.log)))]
        following = "pg_loop_1" if at == 4 else f"pg_loop_{at // 2 + 1}"
        return reply(request, _page(items, following))
    if data.twist == "empty":
        n = int(token.removeprefix("pg_empty_")) if token.startswith("pg_empty_") else 0
        return reply(request, _page([], f"pg_empty_{n + 1}"))
    return None


def _page(items: list[dict[str, Any]], following: str) -> dict[str, Any]:
    last = items[-1]["id"] if items else None
    return {"data": items, "first_id": items[0]["id"] if items else None, "last_id": last, "has_more": True,
            "next_page": following}  # fmt: skip


def stream(request: Request, data: SessionData) -> Response | None:
    """The endless session's stream: one message's deltas, forever (paced so a test's loop stays responsive)."""
    if data.twist != "endless":
        return None
    return StreamingResponse(_endless(data.log.next_id()), media_type="text/event-stream")


async def _endless(eid: str) -> AsyncIterator[bytes]:
    start = {"type": "event_start", "event": {"id": eid, "type": "agent.message"}}
    yield f"id: {eid}\nevent: event_start\ndata: {json.dumps(start)}\n\n".encode()
    piece = {"type": "event_delta", "event_id": eid, "delta": {"content": {"type": "text", "text": "lorem " * 400}}}
    frame = f"id: {eid}\nevent: event_delta\ndata: {json.dumps(piece)}\n\n".encode()
    while True:
        yield frame
        await anyio.sleep(0.001)
