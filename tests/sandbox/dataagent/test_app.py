"""The DataAgent sandbox against the official SDK's CommonClient (an independent signer and parser)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import httpx
import pytest
from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from agent_threads.auth.tc3 import TC3Auth
from agent_threads.sandbox import Sandbox
from agent_threads.sandbox.dataagent.data import (
    DATA_SOURCE_KEY,
    INSTANCE,
    INSTANCE_CN,
    SAMPLE_REFS,
    SESSION_BIG,
    SESSION_CN,
    SESSION_SALES,
)

T = TypeVar("T")
SALES = {"InstanceId": INSTANCE, "SessionId": SESSION_SALES}


def _client(sandbox: Sandbox, secret_id: str | None = None, secret_key: str | None = None) -> CommonClient:
    creds = sandbox.ctx.creds
    cred = credential.Credential(secret_id or creds.tencent_secret_id, secret_key or creds.tencent_secret_key)
    profile = ClientProfile(
        httpProfile=HttpProfile(endpoint=f"127.0.0.1:{sandbox.ports['dataagent']}", protocol="http")
    )
    profile.language = "en-US"
    return CommonClient("dataagent", "2025-05-13", cred, "ap-guangzhou", profile)


async def _sdk(call: Callable[[], T]) -> T:
    with anyio.fail_after(10):
        return await anyio.to_thread.run_sync(call)


async def _sdk_error(call: Callable[[], Any]) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as caught:
        await _sdk(call)
    return caught.value


async def test_the_sdk_reads_full_records_with_get_session_details(cloud: Sandbox) -> None:
    reply = await _sdk(lambda: _client(cloud).call_json("GetSessionDetails", SALES))
    body = reply["Response"]
    assert body["RecordCount"] == len(body["RecordList"]) == 3
    plan = body["RecordList"][1]["TaskList"][0]
    assert [s["Status"] for s in plan["StepInfoList"]] == ["success", "failed", "success", "success"]
    assert [r["Feedback"] for r in body["RecordList"]] == [0, 1, 2]
    assert json.loads(body["RecordList"][1]["FinalSummary"])["v"].startswith("Widget Pro")
    assert body["RunRecord"] == "" and body["RequestId"]


async def test_the_sdk_pages_query_user_session_detail_with_offset_and_limit(cloud: Sandbox) -> None:
    client = _client(cloud)
    first = await _sdk(lambda: client.call_json("QueryUserSessionDetail", {**SALES, "Limit": 2, "Offset": 0}))
    second = await _sdk(lambda: client.call_json("QueryUserSessionDetail", {**SALES, "Limit": 2, "Offset": 2}))
    pages = [first["Response"], second["Response"]]
    assert [p["TotalCount"] for p in pages] == [3, 3]
    assert [len(p["RecordList"]) for p in pages] == [2, 1]
    item = pages[0]["RecordList"][1]
    assert "Think" not in item and "TaskList" not in item and item["Feedback"] == 1
    assert pages[1]["RecordList"][0]["Feedback"] == 0  # the other encoding: 0 is negative here
    assert item["CreateTime"] == "2025-11-14 02:46:43"


async def test_the_sdk_parses_the_chat_ai_event_stream_of_a_new_session(cloud: Sandbox) -> None:
    client = _client(cloud)
    created = await _sdk(lambda: client.call_json("CreateDataAgentSession", {"InstanceId": INSTANCE}))
    session = created["Response"]["SessionId"]
    params = {"InstanceId": INSTANCE, "SessionId": session, "Question": "average order value?"}
    frames = await _sdk(lambda: list(client.call_sse("ChatAI", params)))
    data = [f["data"] for f in frames if "data" in f]
    assert data[-1] == "[DONE]"
    kinds = [json.loads(d)["Type"] for d in data[:-1]]
    assert kinds[0] == "record" and kinds[-1] == "finish" and "think" in kinds and "text" in kinds
    after = await _sdk(lambda: client.call_json("GetSessionDetails", {"InstanceId": INSTANCE, "SessionId": session}))
    record = after["Response"]["RecordList"][0]
    assert record["Answer"].startswith("I looked at") and after["Response"]["RunRecord"] == ""


async def test_a_wrong_secret_key_is_rejected_as_signature_failure_in_a_200_body(cloud: Sandbox) -> None:
    error = await _sdk_error(lambda: _client(cloud, secret_key="not-the-key").call_json("GetSessionDetails", SALES))
    assert error.get_code() == "AuthFailure.SignatureFailure" and error.get_request_id()


async def test_an_unknown_secret_id_is_rejected_as_secret_id_not_found(cloud: Sandbox) -> None:
    client = _client(cloud, secret_id="AKIDunknown00000000000000000")
    error = await _sdk_error(lambda: client.call_json("GetSessionDetails", SALES))
    assert error.get_code() == "AuthFailure.SecretIdNotFound"


async def _raw(cloud: Sandbox, auth: httpx.Auth, action: str, params: dict[str, Any]) -> httpx.Response:
    headers = {"Content-Type": "application/json", "X-TC-Action": action, "X-TC-Version": "2025-05-13"}
    async with httpx.AsyncClient(base_url=cloud.url("dataagent"), auth=auth) as client:
        return await client.post("/", content=json.dumps(params).encode(), headers=headers)


def _auth(cloud: Sandbox, clock: Callable[[], float] = time.time) -> TC3Auth:
    creds = cloud.ctx.creds
    return TC3Auth(
        creds.tencent_secret_id, creds.tencent_secret_key, service="dataagent", region="ap-guangzhou", clock=clock
    )


async def test_a_timestamp_older_than_five_minutes_is_rejected_as_signature_expire(cloud: Sandbox) -> None:
    response = await _raw(cloud, _auth(cloud, clock=lambda: time.time() - 301), "GetSessionDetails", SALES)
    assert response.status_code == 200
    assert response.json()["Response"]["Error"]["Code"] == "AuthFailure.SignatureExpire"


async def test_a_body_changed_after_signing_fails_the_signature(cloud: Sandbox) -> None:
    class Tamper(httpx.Auth):
        requires_request_body = True

        def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
            signed = next(_auth(cloud).auth_flow(request))
            yield httpx.Request(
                "POST", signed.url, headers=signed.headers, content=signed.content.replace(b"sales", b"other")
            )

    response = await _raw(cloud, Tamper(), "GetSessionDetails", {**SALES, "Note": "sales"})
    assert response.json()["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"


async def test_the_unsupported_switch_makes_either_read_action_answer_as_unknown(cloud: Sandbox) -> None:
    cloud.ctx.options["dataagent.get_session_details"] = False
    cloud.ctx.options["dataagent.query_user_session_detail"] = "ActionOffline"
    client = _client(cloud)
    first = await _sdk_error(lambda: client.call_json("GetSessionDetails", SALES))
    second = await _sdk_error(lambda: client.call_json("QueryUserSessionDetail", SALES))
    assert (first.get_code(), second.get_code()) == ("InvalidAction", "ActionOffline")


async def test_throttling_is_request_limit_exceeded_inside_http_200(cloud: Sandbox) -> None:
    cloud.ctx.faults.add("dataagent", "throttle", route="GetSessionDetails")
    response = await _raw(cloud, _auth(cloud), "GetSessionDetails", SALES)
    assert response.status_code == 200
    assert response.json()["Response"]["Error"]["Code"] == "RequestLimitExceeded"
    assert response.headers["X-TC-RequestId"] == response.json()["Response"]["RequestId"]


async def test_unknown_sessions_actions_and_versions_answer_tencent_error_codes(cloud: Sandbox) -> None:
    client = _client(cloud)
    missing = await _sdk_error(
        lambda: client.call_json("GetSessionDetails", {"InstanceId": INSTANCE, "SessionId": "nope"})
    )
    unknown = await _sdk_error(lambda: client.call_json("DescribeEverything", {}))
    wrong_pair = await _sdk_error(
        lambda: client.call_json("GetSessionDetails", {"InstanceId": INSTANCE_CN, "SessionId": SESSION_SALES})
    )
    assert (missing.get_code(), unknown.get_code(), wrong_pair.get_code()) == (
        "ResourceNotFound",
        "InvalidAction",
        "ResourceNotFound",
    )
    response = await _raw(cloud, _auth(cloud), "QueryUserSessionDetail", {**SALES, "Limit": 0})
    assert response.json()["Response"]["Error"]["Code"] == "InvalidParameterValue"


async def test_the_big_session_generator_serves_the_configured_record_count(cloud: Sandbox) -> None:
    cloud.ctx.options["dataagent.big_session_records"] = 250
    params = {"InstanceId": INSTANCE, "SessionId": SESSION_BIG, "Limit": 100, "Offset": 200}
    page = await _sdk(lambda: _client(cloud).call_json("QueryUserSessionDetail", params))
    assert page["Response"]["TotalCount"] == 250 and len(page["Response"]["RecordList"]) == 50


async def test_samples_cover_chinese_a_key_url_in_context_and_a_running_session(cloud: Sandbox) -> None:
    client = _client(cloud)
    chinese = await _sdk(
        lambda: client.call_json("GetSessionDetails", {"InstanceId": INSTANCE_CN, "SessionId": SESSION_CN})
    )
    sales = await _sdk(lambda: client.call_json("GetSessionDetails", SALES))
    instance, session = SAMPLE_REFS[2].split(":", 1)[1].split("/")
    running = await _sdk(lambda: client.call_json("GetSessionDetails", {"InstanceId": instance, "SessionId": session}))
    assert "订单量" in chinese["Response"]["RecordList"][0]["Question"]
    assert f"key={DATA_SOURCE_KEY}" in sales["Response"]["RecordList"][0]["Context"]
    assert json.loads(running["Response"]["RunRecord"])["RecordId"] == running["Response"]["RecordList"][-1]["RecordId"]
