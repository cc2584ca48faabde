"""The CMS / STAROps sandbox, driven by the official SDKs (cms 7.1.0, starops) as independent clients.

The SDKs sign on their own and parse with their own models: a green test means the sandbox verifies the
vendor's signatures and answers in shapes the vendor's clients accept (alibaba.md §7.1).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

import anyio
import pytest
from alibabacloud_cms20240330 import models as cms_models
from alibabacloud_cms20240330.client import Client as CmsClient
from alibabacloud_starops20260428 import models as starops_models
from alibabacloud_starops20260428.client import Client as StarOpsClient
from alibabacloud_tea_openapi import utils_models
from alibabacloud_tea_openapi.exceptions import ClientException, ThrottlingException
from darabonba.runtime import RuntimeOptions

from agent_threads.sandbox import Sandbox

T = TypeVar("T")
PRODUCTS = {"cms": (CmsClient, cms_models), "starops": (StarOpsClient, starops_models)}


@pytest.fixture
def cloud_options() -> dict[str, Any]:
    return {"cms.big_thread_messages": 10}


def _sdk(cloud: Sandbox, family: str, **config: Any) -> tuple[Any, ModuleType]:
    creds = cloud.ctx.creds
    options: dict[str, Any] = {
        "access_key_id": creds.alibaba_key_id,
        "access_key_secret": creds.alibaba_key_secret,
    } | config
    cfg = utils_models.Config(
        protocol="http",
        endpoint=f"127.0.0.1:{cloud.ports[family]}",
        region_id="cn-hangzhou",
        read_timeout=10000,
        **options,
    )
    client_class, models = PRODUCTS[family]
    return client_class(cfg), models


async def _in_thread(fn: Callable[[], T]) -> T:
    with anyio.fail_after(20):
        return await anyio.to_thread.run_sync(fn)


async def test_the_sdk_lists_employees_page_by_page(cloud: Sandbox, family: str) -> None:
    client, m = _sdk(cloud, family)
    first = await _in_thread(lambda: client.list_digital_employees(m.ListDigitalEmployeesRequest(max_results=2)))
    token = first.body.next_token
    rest = await _in_thread(
        lambda: client.list_digital_employees(m.ListDigitalEmployeesRequest(max_results=2, next_token=token))
    )
    names = [e.name for e in first.body.digital_employees + rest.body.digital_employees]
    assert names == ["sre-copilot", "运维 助手", "report-bot"]
    assert (first.body.total, rest.body.next_token) == (3, None)
    assert first.body.digital_employees[1].display_name == "运维小助手"


async def test_the_sdk_lists_threads_and_filters_them_by_title(cloud: Sandbox, family: str) -> None:
    client, m = _sdk(cloud, family)
    every = await _in_thread(lambda: client.list_threads("sre-copilot", m.ListThreadsRequest(max_results=20)))
    title = m.ListThreadsRequestFilter(key="title", value="Disk usage")
    filtered = await _in_thread(lambda: client.list_threads("sre-copilot", m.ListThreadsRequest(filter=[title])))
    assert [t.thread_id for t in every.body.threads] == ["thread_id01", "incident/2026-01 #7", "big-thread"]
    assert [t.thread_id for t in filtered.body.threads] == ["incident/2026-01 #7"]


async def test_the_sdk_reads_a_thread_whose_ids_hold_a_slash_a_space_and_chinese(cloud: Sandbox, family: str) -> None:
    client, m = _sdk(cloud, family)
    data = await _in_thread(
        lambda: client.get_thread_data("运维 助手", "会话/001", m.GetThreadDataRequest(max_results=100))
    )
    thread = await _in_thread(lambda: client.get_thread("运维 助手", "会话/001", m.GetThreadRequest()))
    messages = data.body.data[0].messages
    assert (data.body.thread_id, data.body.digital_employee_name, thread.body.title) == (
        "会话/001",
        "运维 助手",
        "RDS 慢查询诊断",
    )
    assert messages[0].timestamp == "1768706585000000000" and messages[0].role == "user"
    assert messages[-1].events[0]["payload"]["error"]["code"] == "TASK_FAILED"


async def test_the_sdk_pages_thread_data_by_next_token(cloud: Sandbox, family: str) -> None:
    client, m = _sdk(cloud, family)
    turns, token = [], None
    for _ in range(5):
        request = m.GetThreadDataRequest(max_results=1, next_token=token)
        page = await _in_thread(lambda r=request: client.get_thread_data("sre-copilot", "thread_id01", r))
        turns += page.body.data
        token = page.body.next_token
        if not token:
            break
    assert [t.trace_id for t in turns] == ["3b5287b717636040171772050d0095", "5c11aa0e2b77340171772051e0102"]


async def test_the_generated_big_thread_holds_the_configured_number_of_messages(cloud: Sandbox, family: str) -> None:
    client, m = _sdk(cloud, family)
    page = await _in_thread(
        lambda: client.get_thread_data("sre-copilot", "big-thread", m.GetThreadDataRequest(max_results=100))
    )
    assert sum(len(t.messages) for t in page.body.data) == 10 and page.body.next_token is None


async def test_the_sdk_streams_a_created_chat_and_a_reconnect_replays_that_turn(cloud: Sandbox, family: str) -> None:
    client, m = _sdk(cloud, family)
    content = m.CreateChatRequestMessagesContents(type="text", value="磁盘满了吗？")
    create = m.CreateChatRequest(
        action="create",
        digital_employee_name="report-bot",
        thread_id="weekly-2026-03",
        messages=[m.CreateChatRequestMessages(role="user", contents=[content])],
    )
    reconnect = m.CreateChatRequest(action="reconnect", digital_employee_name="report-bot", thread_id="weekly-2026-03")
    sent = await _in_thread(lambda: list(client.create_chat_with_sse(create, {}, RuntimeOptions(read_timeout=10000))))
    again = await _in_thread(
        lambda: list(client.create_chat_with_sse(reconnect, {}, RuntimeOptions(read_timeout=10000)))
    )
    assert [e.id for e in sent] == [str(i) for i in range(len(sent))] and sent[0].event == "message"
    assert sent[0].body.messages[0].contents == [
        {"append": False, "lastChunk": True, "type": "text", "value": "磁盘满了吗？"}
    ]
    assert sent[-1].body.messages[0].events[0]["type"] == "task_finished"
    assert [e.body.to_map() for e in again] == [e.body.to_map() for e in sent]
    stored = await _in_thread(lambda: client.get_thread_data("report-bot", "weekly-2026-03", m.GetThreadDataRequest()))
    assert stored.body.data[-1].trace_id == sent[0].body.trace_id


async def test_an_sts_signed_sdk_request_verifies(cloud: Sandbox, family: str) -> None:
    client, m = _sdk(cloud, family, security_token="sts-token-xyz")
    threads = await _in_thread(lambda: client.list_threads("report-bot", m.ListThreadsRequest()))
    assert [t.thread_id for t in threads.body.threads] == ["weekly-2026-03"]


async def test_a_wrong_secret_gets_signature_does_not_match(cloud: Sandbox, family: str) -> None:
    client, m = _sdk(cloud, family, access_key_secret="not-the-secret")
    with pytest.raises(ClientException) as info:
        await _in_thread(lambda: client.list_threads("report-bot", m.ListThreadsRequest()))
    assert (info.value.code, info.value.status_code) == ("SignatureDoesNotMatch", 400)


async def test_the_other_products_api_version_is_refused(cloud: Sandbox) -> None:
    creds = cloud.ctx.creds
    cfg = utils_models.Config(
        access_key_id=creds.alibaba_key_id,
        access_key_secret=creds.alibaba_key_secret,
        protocol="http",
        endpoint=f"127.0.0.1:{cloud.ports['starops']}",
    )
    with pytest.raises(ClientException) as info:
        await _in_thread(lambda: CmsClient(cfg).list_digital_employees(cms_models.ListDigitalEmployeesRequest()))
    assert info.value.code == "InvalidVersion"


async def test_an_unknown_thread_is_a_404_with_a_code_the_sdk_reads(cloud: Sandbox, family: str) -> None:
    client, m = _sdk(cloud, family)
    with pytest.raises(ClientException) as info:
        await _in_thread(lambda: client.get_thread_data("sre-copilot", "no-such-thread", m.GetThreadDataRequest()))
    assert (info.value.code, info.value.status_code) == ("Thread.NotFound", 404)
    assert info.value.request_id


async def test_too_many_results_per_page_is_an_invalid_parameter(cloud: Sandbox, family: str) -> None:
    client, m = _sdk(cloud, family)
    with pytest.raises(ClientException) as info:
        await _in_thread(
            lambda: client.get_thread_data("sre-copilot", "thread_id01", m.GetThreadDataRequest(max_results=101))
        )
    assert info.value.code == "InvalidParameter"


async def test_a_throttle_fault_reaches_the_sdk_as_a_throttling_exception(cloud: Sandbox, family: str) -> None:
    cloud.ctx.faults.add(family, "throttle", route="ListThreads", retry_after=2.0)
    client, m = _sdk(cloud, family)
    with pytest.raises(ThrottlingException) as info:
        await _in_thread(lambda: client.list_threads("report-bot", m.ListThreadsRequest()))
    assert (info.value.code, info.value.retry_after) == ("Throttling.User", 2000)


async def test_a_ram_denial_carries_the_denied_action(cloud: Sandbox, family: str) -> None:
    cloud.ctx.options["cms.deny_actions"] = {"GetThread"}
    client, m = _sdk(cloud, family)
    with pytest.raises(ClientException) as info:
        await _in_thread(lambda: client.get_thread("report-bot", "weekly-2026-03", m.GetThreadRequest()))
    assert (info.value.code, info.value.status_code) == ("Forbidden.RAM", 403)
    assert info.value.access_denied_detail["AuthAction"] == f"{family}:GetThread"
