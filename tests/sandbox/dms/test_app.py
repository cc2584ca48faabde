"""The DMS sandbox, kept honest by the official SDK (``alibabacloud_dms20250414``) as an independent client.

The SDK is sync: it runs in a worker thread while the sandbox serves in the test's event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import anyio
import httpx
import pytest
from alibabacloud_dms20250414 import models as dm
from alibabacloud_dms20250414.client import Client as Dms
from alibabacloud_tea_openapi import utils_models as open_api_models
from alibabacloud_tea_openapi.exceptions import ClientException
from darabonba.runtime import RuntimeOptions

from agent_threads.auth.acs3 import Acs3Auth
from agent_threads.sandbox import Sandbox

from ...conftest import register_secret

T = TypeVar("T")
UNIT = "cn-hangzhou"


@pytest.fixture
async def dms_sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(families=["dms"]).running() as running:
        yield running


def client(sandbox: Sandbox, secret: str | None = None) -> Dms:
    creds = sandbox.ctx.creds
    config = open_api_models.Config(
        access_key_id=creds.alibaba_key_id,
        access_key_secret=secret or creds.alibaba_key_secret,
        protocol="http",
        endpoint=f"127.0.0.1:{sandbox.ports['dms']}",
        region_id="cn-hangzhou",
        read_timeout=10000,
    )
    return Dms(config)


async def in_thread(call: Callable[[], T]) -> T:
    with anyio.fail_after(20):
        return await anyio.to_thread.run_sync(call)


async def test_the_sdk_lists_sessions_with_signed_requests_the_sandbox_accepts(dms_sandbox: Sandbox) -> None:
    request = dm.ListDataAgentSessionRequest(dmsunit=UNIT, page_number=2, page_size=4)
    reply = await in_thread(lambda: client(dms_sandbox).list_data_agent_session(request))
    body = reply.body
    assert (body.success, body.page_number, body.total, body.total_pages) == (True, 2, 7, 2)
    assert [s.session_id for s in body.data] == ["sess_short_02", "sess_short_03", "sess_failed_refunds_5a21"]
    assert body.data[0].session_config.language == "CHINESE"


async def test_the_sdk_reads_a_sessions_history_and_artifacts(dms_sandbox: Sandbox) -> None:
    request = dm.DescribeDataAgentSessionRequest(dmsunit=UNIT, session_id="sess_q3_sales_7b1c")
    data = (await in_thread(lambda: client(dms_sandbox).describe_data_agent_session(request))).body.data
    assert [m.content for m in data.messages] == [
        "Which region had the highest sales growth in Q3 2025?",
        "Turn that into a bar chart and a short report.",
    ]
    assert (data.artifacts[0].type, data.artifacts[0].status) == ("TextReport", "SUCCESS")
    assert data.agent_id == "agent_7f3a" and (data.chat_history_locations[0].key or "").endswith(".jsonl")


async def test_the_sdk_parses_the_chat_content_stream_from_a_checkpoint(dms_sandbox: Sandbox) -> None:
    def replay(checkpoint: str) -> list[Any]:
        request = dm.GetChatContentRequest(
            dmsunit=UNIT, session_id="sess_q3_sales_7b1c", agent_id="agent_7f3a", checkpoint=checkpoint
        )
        return list(client(dms_sandbox).get_chat_content_with_sse(request, RuntimeOptions()))

    whole = await in_thread(lambda: replay("0"))
    later = await in_thread(lambda: replay("14"))
    kinds = [e.body.event_type for e in whole]
    assert kinds[0] == "CHAT_START" and kinds.count("CHAT_FINISH") == 2 and len(whole) == 23
    assert [e.body.checkpoint for e in later] == list(range(14, 23))
    plan = next(e.body for e in whole if e.body.category == "PLAN" and e.body.content_type == "json")
    assert plan.content.startswith('{"title": "Q3 regional growth"')
    assert "".join(e.body.content for e in later if e.body.event_type == "DELTA").startswith("Here is the bar chart")


async def test_an_unknown_session_answers_success_false_on_http_200(dms_sandbox: Sandbox) -> None:
    request = dm.DescribeDataAgentSessionRequest(dmsunit=UNIT, session_id="sess_missing")
    reply = await in_thread(lambda: client(dms_sandbox).describe_data_agent_session(request))
    assert (reply.status_code, reply.body.success, reply.body.error_code) == (200, False, "Session.NotFound")


async def test_a_request_signed_with_the_wrong_secret_is_refused_as_the_vendor_does(dms_sandbox: Sandbox) -> None:
    wrong = register_secret("not-the-sandbox-secret")
    request = dm.ListDataAgentSessionRequest(dmsunit=UNIT)
    with pytest.raises(ClientException) as caught:
        await in_thread(lambda: client(dms_sandbox, wrong).list_data_agent_session(request))
    assert (caught.value.status_code, caught.value.code) == (400, "SignatureDoesNotMatch")


async def test_the_documented_stream_path_serves_get_chat_content_too(dms_sandbox: Sandbox) -> None:
    creds = dms_sandbox.ctx.creds
    auth = Acs3Auth(creds.alibaba_key_id, creds.alibaba_key_secret)
    params = {"DMSUnit": UNIT, "SessionId": "sess_short_01", "AgentId": "agent_7f3a", "Checkpoint": "0"}
    headers = {"x-acs-action": "GetChatContent", "x-acs-version": "2025-04-14"}
    async with httpx.AsyncClient(base_url=dms_sandbox.url("dms"), auth=auth) as http:
        reply = await http.post("/api/v1/chat/stream", params=params, headers=headers)
    assert reply.headers["content-type"].startswith("text/event-stream")
    assert reply.text.count("event:message") == 5
