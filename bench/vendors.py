"""Per-vendor knowledge the benchmarks need: the sandbox family and big-thread knob, the big thread's ref, a bare
httpx "floor" that fetches the same vendor pages as the provider without parsing them, and (Qoder, STAROps)
the official SDK paging the same thread.

The floors find the next cursor with a byte search, never a JSON decode: they are the cost of the HTTP
requests alone. Each mirrors its provider's request pattern (page size, heading call); the run compares the
sandbox's request counts of the tool and the floor to show they fetched the same pages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from common import CREDS, sandbox_const
from common import find as _find

Floor = Callable[[httpx.AsyncClient, str, int], Awaitable[int]]
"""(client, sandbox base url, tool limit) -> bytes fetched."""
Sdk = Callable[[str, int, bool, "int | None"], int]
"""(sandbox base url, tool limit, same pages as the tool?, stop after this many pages) -> events/messages the
SDK returned. Without ``same pages`` the SDK uses its largest page size, as a user paging a whole thread would."""


@dataclass(frozen=True)
class Vendor:
    name: str
    provider: str
    family: str
    big_option: str
    unit: str
    big_ref: Callable[[], str]
    floor: Floor
    sdk: Sdk | None = None
    sdk_name: str | None = None
    sdk_pages_differ: bool = False
    """True when the SDK's largest page is bigger than the vendor page the tool reads."""


# ---- Qoder --------------------------------------------------------------------------------------------


def _qoder_ids() -> tuple[str, str]:
    return sandbox_const("SID_D", "qoder.data", "qoder.build"), sandbox_const("COORD_D", "qoder.data", "qoder.build")


def qoder_ref() -> str:
    sid, tid = _qoder_ids()
    return f"qoder:{sid}/{tid}"


async def qoder_floor(client: httpx.AsyncClient, base: str, limit: int) -> int:
    sid, tid = _qoder_ids()
    headers = {"Authorization": f"Bearer {CREDS.qoder_pat}", "Accept": "application/json"}
    root = f"{base}/api/v1/cloud/sessions/{sid}/threads/{tid}"
    size = len((await client.get(root, headers=headers)).content)
    params: dict[str, Any] = {"limit": limit}
    while True:
        body = (await client.get(f"{root}/events", params=params, headers=headers)).content
        size += len(body)
        token = _find(rb'"next_page":"([^"]+)"', body)
        if token is None:
            return size
        params = {"limit": limit, "page": token}


def qoder_sdk(base: str, limit: int, same_pages: bool = False, max_pages: int | None = None) -> int:
    """qca's auto-paging iterator; 100 events a page (its maximum, and the tool's page too)."""
    from qca.managed import Managed

    sid, tid = _qoder_ids()
    client = Managed(pat=CREDS.qoder_pat, base_url=f"{base}/api/v1/cloud", max_retries=0)
    try:
        events = client.sessions.threads.events.list(tid, session_id=sid, limit=limit)
        if max_pages is not None:
            return sum(len(page.data) for page, _ in zip(events.iter_pages(), range(max_pages)))
        return sum(1 for _ in events)
    finally:
        client.close()


# ---- Alibaba: signing for the floors ------------------------------------------------------------------


def _acs3() -> httpx.Auth:
    from agent_threads.auth.acs3 import Acs3Auth

    return Acs3Auth(CREDS.alibaba_key_id, CREDS.alibaba_key_secret)


# ---- CMS / STAROps ------------------------------------------------------------------------------------

STAROPS = "2026-04-28"
MAX_TURNS = 100  # the provider asks GetThreadData for its largest page


def cms_ref() -> str:
    return "starops:sre-copilot/big-thread"


async def cms_floor(client: httpx.AsyncClient, base: str, limit: int) -> int:
    root = f"{base}/digitalEmployee/sre-copilot/thread/big-thread"
    auth = _acs3()
    head = {"x-acs-version": STAROPS, "accept": "application/json"}
    size = len((await client.get(root, headers=head | {"x-acs-action": "GetThread"}, auth=auth)).content)
    params: dict[str, Any] = {"maxResults": MAX_TURNS}
    while True:
        body = (
            await client.get(f"{root}/data", params=params, headers=head | {"x-acs-action": "GetThreadData"}, auth=auth)
        ).content
        size += len(body)
        token = _find(rb'"nextToken":"([^"]+)"', body)
        if token is None:
            return size
        params = {**params, "nextToken": token}


def cms_sdk(base: str, limit: int, same_pages: bool = False, max_pages: int | None = None) -> int:
    """GetThreadData in a nextToken loop: 100 turns a page (the maximum, the provider's page too)."""
    from alibabacloud_starops20260428 import models
    from alibabacloud_starops20260428.client import Client
    from alibabacloud_tea_openapi import utils_models

    config = utils_models.Config(
        access_key_id=CREDS.alibaba_key_id,
        access_key_secret=CREDS.alibaba_key_secret,
        protocol="http",
        endpoint=base.removeprefix("http://"),
        region_id="cn-hangzhou",
        read_timeout=60000,
    )
    client, token, count = Client(config), None, 0
    size = MAX_TURNS
    for _ in range(max_pages or 1_000_000):
        reply = client.get_thread_data(
            "sre-copilot",
            "big-thread",
            models.GetThreadDataRequest(max_results=size, **({"next_token": token} if token else {})),
        )
        count += sum(len(turn.messages or []) for turn in reply.body.data or [])
        token = reply.body.next_token
        if not token:
            break
    return count


# ---- DMS ----------------------------------------------------------------------------------------------

DMS = "2025-04-14"
DMS_SESSION = "sess_big_thread_0001"


def dms_ref() -> str:
    return f"dms:{DMS_SESSION}"


async def _rpc(
    client: httpx.AsyncClient, base: str, action: str, version: str, params: dict[str, str]
) -> httpx.Response:
    headers = {"x-acs-action": action, "x-acs-version": version, "accept": "application/json"}
    return await client.post(f"{base}/", params=params, headers=headers, auth=_acs3())


async def dms_floor(client: httpx.AsyncClient, base: str, limit: int) -> int:
    """As the provider: DescribeDataAgentSession on the first page (and again on the last, when there are more);
    per page, GetChatContent from the last checkpoint until (limit + 1) // 2 turns have ended (a CHAT_FINISH
    frame), then close the replay."""
    session = {"DMSUnit": "cn-hangzhou", "SessionId": DMS_SESSION}
    size = len((await _rpc(client, base, "DescribeDataAgentSession", DMS, session)).content)
    checkpoint = "0"
    while True:
        turns, more, last = 0, False, checkpoint
        params = session | {"AgentId": "agent_7f3a", "Checkpoint": checkpoint}
        headers = {"x-acs-action": "GetChatContent", "x-acs-version": DMS, "accept": "text/event-stream"}
        async with client.stream("POST", f"{base}/", params=params, headers=headers, auth=_acs3()) as response:
            buffer = b""
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                buffer += chunk
                *frames, buffer = buffer.split(b"\n\n")
                for frame in frames:
                    last = _find(rb"id:(\d+)", frame) or last
                    turns += b'"CHAT_FINISH"' in frame
                    if turns >= (limit + 1) // 2 + 1:
                        more = True
                        break
                if more:
                    break
        if not more:
            if checkpoint != "0":
                size += len((await _rpc(client, base, "DescribeDataAgentSession", DMS, session)).content)
            return size
        checkpoint = last


# ---- RDS AI -------------------------------------------------------------------------------------------

RDSAI = "2025-05-07"


def _rdsai_id() -> str:
    return str(sandbox_const("stable_id", "rdsai.data")("big"))


def rdsai_ref() -> str:
    return f"rdsai:{_rdsai_id()}"


async def rdsai_floor(client: httpx.AsyncClient, base: str, limit: int) -> int:
    """GetMessages pages backwards from the newest: FirstId is the oldest row of the page before."""
    params = {"ConversationId": _rdsai_id(), "Limit": "100"}  # the provider asks for its largest page
    size = 0
    while True:
        body = (await _rpc(client, base, "GetMessages", RDSAI, params)).content
        size += len(body)
        if b'"HasMore":true' not in body:
            return size
        params = {**params, "FirstId": _find(rb'"Data":\[\{"Id":"([^"]+)"', body) or ""}


# ---- Tencent DataAgent --------------------------------------------------------------------------------


def _dataagent_ids() -> tuple[str, str]:
    return sandbox_const("INSTANCE", "dataagent.data"), sandbox_const("SESSION_BIG", "dataagent.data")


def dataagent_ref() -> str:
    instance, session = _dataagent_ids()
    return f"dataagent:{instance}/{session}"


async def dataagent_floor(client: httpx.AsyncClient, base: str, limit: int) -> int:
    """The provider reads GetSessionDetails (the whole session) on the first page of ``limit`` records, keeps it
    for the pages between, and reads it again on the last page when there is more than one."""
    from agent_threads.auth.tc3 import TC3Auth

    instance, session = _dataagent_ids()
    auth = TC3Auth(CREDS.tencent_secret_id, CREDS.tencent_secret_key, service="dataagent", region="ap-guangzhou")
    headers = {"X-TC-Action": "GetSessionDetails", "X-TC-Version": "2025-05-13", "Content-Type": "application/json"}
    content = f'{{"InstanceId":"{instance}","SessionId":"{session}"}}'.encode()
    body = (await client.post(f"{base}/", content=content, headers=headers, auth=auth)).content
    size = len(body)
    if int(_find(rb'"RecordCount": ?(\d+)', body) or 0) > limit:
        size += len((await client.post(f"{base}/", content=content, headers=headers, auth=auth)).content)
    return size


VENDORS: dict[str, Vendor] = {
    v.name: v
    for v in (
        Vendor(
            "qoder",
            "qoder",
            "qoder",
            "qoder.big_thread_events",
            "events",
            qoder_ref,
            qoder_floor,
            qoder_sdk,
            "qca 0.11 (sync, auto-paging)",
        ),
        Vendor(
            "cms",
            "starops",
            "starops",
            "cms.big_thread_messages",
            "messages",
            cms_ref,
            cms_floor,
            cms_sdk,
            "alibabacloud-starops20260428 (sync)",
        ),
        Vendor("dms", "dms", "dms", "dms.big_thread_events", "events", dms_ref, dms_floor),
        Vendor("rdsai", "rdsai", "rdsai", "rdsai.big_conversation_rows", "rows", rdsai_ref, rdsai_floor),
        Vendor(
            "dataagent",
            "dataagent",
            "dataagent",
            "dataagent.big_session_records",
            "records",
            dataagent_ref,
            dataagent_floor,
        ),
    )
}
