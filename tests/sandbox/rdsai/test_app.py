"""The RDS AI sandbox, kept honest by the official SDK (``alibabacloud_rdsai20250507``) as an independent client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TypeVar

import anyio
import pytest
from alibabacloud_rdsai20250507 import models as ra
from alibabacloud_rdsai20250507.client import Client as RdsAi
from alibabacloud_tea_openapi import utils_models as open_api_models
from alibabacloud_tea_openapi.exceptions import ClientException, ThrottlingException
from darabonba.runtime import RuntimeOptions

from agent_threads.sandbox import Sandbox
from agent_threads.sandbox.rdsai.data import stable_id

T = TypeVar("T")
SLOW = stable_id("slow")


@pytest.fixture
async def rdsai_sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(families=["rdsai"]).running() as running:
        yield running


def client(sandbox: Sandbox, key_id: str | None = None, token: str | None = None) -> RdsAi:
    creds = sandbox.ctx.creds
    config = open_api_models.Config(
        access_key_id=key_id or creds.alibaba_key_id,
        access_key_secret=creds.alibaba_key_secret,
        protocol="http",
        endpoint=f"127.0.0.1:{sandbox.ports['rdsai']}",
        region_id="cn-hangzhou",
        read_timeout=10000,
    )
    if token:
        config.security_token = token
    return RdsAi(config)


async def in_thread(call: Callable[[], T]) -> T:
    with anyio.fail_after(20):
        return await anyio.to_thread.run_sync(call)


async def test_the_sdk_pages_conversations_with_last_id_and_a_string_has_more(rdsai_sandbox: Sandbox) -> None:
    first = (
        await in_thread(lambda: client(rdsai_sandbox).get_conversations(ra.GetConversationsRequest(limit="2")))
    ).body
    after = ra.GetConversationsRequest(limit="2", last_id=str(first.data[-1].id))
    second = (await in_thread(lambda: client(rdsai_sandbox).get_conversations(after))).body
    assert (first.has_more, first.limit) == ("true", 2)
    assert [c.name for c in first.data] == ["Slow queries on orders-db", "实例磁盘使用率"]
    assert [c.name for c in second.data] == ["Backup policy", "参数建议"] and second.has_more == "true"


async def test_the_sdk_pages_messages_backwards_with_first_id(rdsai_sandbox: Sandbox) -> None:
    newest = (
        await in_thread(
            lambda: client(rdsai_sandbox).get_messages(ra.GetMessagesRequest(conversation_id=SLOW, limit=2))
        )
    ).body
    older_request = ra.GetMessagesRequest(conversation_id=SLOW, limit=2, first_id=str(newest.data[0].id))
    older = (await in_thread(lambda: client(rdsai_sandbox).get_messages(older_request))).body
    assert newest.has_more is True and older.has_more is False
    assert [m.query for m in newest.data] == ["Create the missing index for me.", "And check the replication lag."]
    assert [m.query for m in older.data] == ["Why is my MySQL instance rm-uf6wjk5 slow since this morning?"]
    call = next(e for e in older.data[0].events if e.tool_name == "DescribeSlowLogRecords")
    assert (call.call_id, (call.tool_arguments or {})["PageSize"], older.data[0].feedback) == (
        "call_slow_02",
        30,
        "like",
    )


async def test_the_sdk_parses_a_streamed_reply(rdsai_sandbox: Sandbox) -> None:
    request = ra.ChatMessagesRequest(
        conversation_id=SLOW, query="磁盘 usage?", inputs=ra.ChatMessagesRequestInputs(region_id="cn-hangzhou")
    )
    events = await in_thread(lambda: list(client(rdsai_sandbox).chat_messages_with_sse(request, RuntimeOptions())))
    kinds = [e.body.event for e in events]
    assert kinds[:3] == ["agent_thought", "tool_call", "tool_result"] and kinds[-1] == "message_end"
    assert "".join(e.body.answer or "" for e in events if e.body.event == "message").startswith(
        "已收到您的问题:「磁盘 usage?」"
    )
    assert {e.body.message_id for e in events} == {events[0].body.id}


async def test_sts_credentials_are_signed_and_accepted(rdsai_sandbox: Sandbox) -> None:
    rdsai_sandbox.ctx.options["alibaba.security_token"] = "sts-token-xyz"
    reply = await in_thread(
        lambda: client(rdsai_sandbox, token="sts-token-xyz").get_conversations(ra.GetConversationsRequest())
    )
    assert len(reply.body.data) == 5


async def test_an_unknown_access_key_is_refused_as_the_vendor_does(rdsai_sandbox: Sandbox) -> None:
    with pytest.raises(ClientException) as caught:
        await in_thread(
            lambda: client(rdsai_sandbox, key_id="LTAIunknown000").get_conversations(ra.GetConversationsRequest())
        )
    assert (caught.value.status_code, caught.value.code) == (404, "InvalidAccessKeyId.NotFound")


async def test_throttling_reaches_the_sdk_as_its_throttling_exception(rdsai_sandbox: Sandbox) -> None:
    rdsai_sandbox.ctx.faults.add("rdsai", "throttle", route="GetMessages", retry_after=2.0)
    with pytest.raises(ThrottlingException) as caught:
        await in_thread(lambda: client(rdsai_sandbox).get_messages(ra.GetMessagesRequest(conversation_id=SLOW)))
    assert (caught.value.code, caught.value.retry_after) == ("Throttling.User", 2000)
