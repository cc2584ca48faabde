"""The Alibaba plumbing shared by cms/starops, dms and rdsai: endpoints, request shapes, error mapping."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from agent_threads import http
from agent_threads.errors import (
    AuthError,
    NotFoundError,
    PermissionError_,
    ProviderAPIError,
    RateLimitError,
    ServerError,
)
from agent_threads.http import RetryPolicy, Timeouts
from agent_threads.providers import alibaba
from agent_threads.providers.base import ProviderSettings
from agent_threads.sandbox.alibaba import match_path

KEY_ID = "LTAI5tAbCdEfGhIjKlMn0000"
CREDS = {"access_key_id": KEY_ID, "access_key_secret": "not-a-real-secret"}


def _settings(**kw: Any) -> ProviderSettings:
    return ProviderSettings("starops", "starops", credentials=CREDS, **kw)


def _reply(
    status: int, body: Any, headers: dict[str, str] | None = None, action: str = "GetThreadData"
) -> httpx.Response:
    request = httpx.Request(
        "GET",
        "https://starops.cn-hangzhou.aliyuncs.com/x",
        headers={
            "authorization": f"ACS3-HMAC-SHA256 Credential={KEY_ID},SignedHeaders=host,Signature=00",
            "x-acs-action": action,
        },
    )
    return httpx.Response(status, json=body, headers=headers, request=request)


def _raised(response: httpx.Response, provider: str = "starops") -> ProviderAPIError:
    with pytest.raises(ProviderAPIError) as info:
        alibaba.checker(provider)(response)
    return info.value


def test_the_default_endpoint_fills_in_the_region() -> None:
    assert (
        alibaba.endpoint(_settings(region="cn-beijing"), "https://starops.{region}.aliyuncs.com")
        == "https://starops.cn-beijing.aliyuncs.com"
    )
    assert alibaba.endpoint(_settings(), "starops.{region}.aliyuncs.com") == "https://starops.cn-hangzhou.aliyuncs.com"


def _channel() -> http.Channel:
    return alibaba.channel(_settings(), Timeouts(), RetryPolicy(), "https://starops.{region}.aliyuncs.com")


def test_an_endpoint_override_is_used_as_given() -> None:
    settings = _settings(endpoint="http://127.0.0.1:8999/", region="cn-beijing")
    assert alibaba.endpoint(settings, "https://starops.{region}.aliyuncs.com") == "http://127.0.0.1:8999"


async def test_a_client_signs_with_the_configured_key() -> None:
    async with alibaba.channel(_settings(), Timeouts(), RetryPolicy(), "https://cms.aliyuncs.com").client as client:
        request = alibaba.rpc_request(client, "ListThings", "2025-01-01", {})
        assert isinstance(client.auth, alibaba.Acs3Auth) and client.auth.access_key_id == KEY_ID
        assert str(request.url) == "https://cms.aliyuncs.com/"


async def test_an_rpc_request_puts_every_parameter_in_the_query_and_sends_no_body() -> None:
    async with alibaba.channel(
        _settings(), Timeouts(), RetryPolicy(), "https://dms.{region}.aliyuncs.com"
    ).client as client:
        params = {"PageSize": 10, "IsSaved": True, "SessionConfig": {"Language": "中文"}, "Title": None}
        request = alibaba.rpc_request(client, "ListDataAgentSession", "2025-04-14", params)
    assert request.method == "POST" and request.url.path == "/" and request.content == b""
    assert dict(request.url.params) == {"PageSize": "10", "IsSaved": "true", "SessionConfig": '{"Language":"中文"}'}
    assert (request.headers["x-acs-action"], request.headers["x-acs-version"]) == ("ListDataAgentSession", "2025-04-14")


async def test_roa_path_segments_are_percent_encoded_like_the_sdk() -> None:
    async with _channel().client as client:
        segments = ["digitalEmployee", "emp 1", "thread", "a/b c~*中", "data"]
        request = alibaba.roa_request(
            client, "GET", segments, "GetThreadData", "2026-04-28", {"maxResults": 100, "nextToken": "x y/+="}
        )
    assert (
        request.url.raw_path
        == b"/digitalEmployee/emp%201/thread/a%2Fb%20c~%2A%E4%B8%AD/data?maxResults=100&nextToken=x+y%2F%2B%3D"
    )


async def test_a_roa_json_body_is_compact_utf8_with_its_content_type() -> None:
    async with _channel().client as client:
        request = alibaba.roa_request(
            client, "POST", "/chat", "CreateChat", "2026-04-28", json_body={"action": "create", "v": "你好"}
        )
    assert request.content == '{"action":"create","v":"你好"}'.encode()
    assert request.headers["content-type"] == "application/json; charset=utf-8"


def test_throttling_maps_to_a_rate_limit_with_retry_after_in_seconds() -> None:
    body = {"RequestId": "REQ-1", "Code": "Throttling.User", "Message": "Request was denied due to user flow control."}
    error = _raised(_reply(400, body, {"x-acs-retry-after": "2000"}))
    assert isinstance(error, RateLimitError)
    assert (error.retry_after, error.request_id, error.code, error.status) == (2.0, "REQ-1", "Throttling.User", 400)
    assert "Retry after 2s" in error.for_model()


def test_throttling_without_a_retry_after_header_is_still_a_rate_limit() -> None:
    error = _raised(_reply(400, {"Code": "Throttling.Api", "Message": "slow down"}))
    assert isinstance(error, RateLimitError) and error.retry_after is None


def test_a_signature_mismatch_names_the_key_id_shortened_and_suggests_the_clock() -> None:
    body = {
        "RequestId": "REQ-2",
        "Code": "SignatureDoesNotMatch",
        "Message": "The request signature does not conform to Aliyun standards.",
    }
    error = _raised(_reply(400, body))
    text = error.for_model()
    assert isinstance(error, AuthError)
    assert "LTAI…0000" in text and KEY_ID not in text and "not-a-real-secret" not in text
    assert "clock" in text and "ALIBABA_CLOUD_ACCESS_KEY_SECRET" in text


def test_an_unknown_access_key_is_an_auth_error_even_on_404() -> None:
    error = _raised(
        _reply(404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found."})
    )
    assert isinstance(error, AuthError) and "ALIBABA_CLOUD_ACCESS_KEY_ID" in error.for_model()


def test_an_expired_timestamp_points_at_the_clock() -> None:
    error = _raised(
        _reply(400, {"Code": "InvalidTimeStamp.Expired", "Message": "Specified time stamp or date value is expired."})
    )
    assert isinstance(error, AuthError) and "clock" in error.for_model()


def test_a_ram_denial_names_the_permission_from_the_access_denied_detail() -> None:
    body = {
        "Code": "Forbidden.RAM",
        "Message": "User not authorized.",
        "AccessDeniedDetail": {"AuthAction": "starops:ListThreads"},
    }
    error = _raised(_reply(403, body))
    assert isinstance(error, PermissionError_) and "starops:ListThreads" in error.for_model()


def test_a_ram_denial_without_detail_names_the_product_and_action_called() -> None:
    error = _raised(
        _reply(403, {"code": "Forbidden", "message": "denied"}, action="GetThreadData"), provider="cms.prod"
    )
    assert isinstance(error, PermissionError_) and "cms:GetThreadData" in error.for_model()


def test_camel_case_error_bodies_of_roa_products_are_read() -> None:
    error = _raised(_reply(404, {"requestId": "REQ-3", "code": "Thread.NotFound", "message": "no such thread"}))
    assert isinstance(error, NotFoundError)
    assert (error.request_id, error.code, error.message) == ("REQ-3", "Thread.NotFound", "no such thread")


def test_a_server_failure_is_a_retryable_server_error() -> None:
    error = _raised(_reply(503, {"Code": "ServiceUnavailable", "Message": "try later"}))
    assert isinstance(error, ServerError) and error.retryable


def test_a_success_false_body_on_http_200_is_mapped_like_an_error_reply() -> None:
    body = {
        "RequestId": "REQ-4",
        "Success": False,
        "ErrorCode": "Forbidden.NoPermission",
        "ErrorMessage": "no permission on session",
    }
    error = _raised(_reply(200, body, action="DescribeDataAgentSession"), provider="dms")
    assert isinstance(error, PermissionError_)
    assert (error.request_id, error.status, error.code) == ("REQ-4", None, "Forbidden.NoPermission")


def test_a_success_string_false_counts_as_failure_too() -> None:
    error = _raised(_reply(200, {"Success": "false", "ErrorCode": "InvalidParameter", "ErrorMessage": "bad"}))
    assert type(error) is ProviderAPIError and error.code == "InvalidParameter"


def test_successful_replies_pass_the_check() -> None:
    check = alibaba.checker("starops")
    check(_reply(200, {"requestId": "REQ-5", "threads": []}))
    check(_reply(200, {"RequestId": "REQ-6", "Success": True}))
    check(httpx.Response(200, text="data: {}\n\n", headers={"content-type": "text/event-stream"}))


def test_only_a_top_level_success_false_fails_a_reply() -> None:
    page = {"data": [{"messages": [{"events": [{"type": "tool", "payload": {"success": False}}]}]}], "Success": True}
    alibaba.checker("starops")(_reply(200, page))  # a failed step inside a page is content, not a failed call
    alibaba.checker("starops")(_reply(200, [{"Success": False}]))  # not an object: the provider's parse reports it


def test_an_error_met_inside_an_event_stream_maps_from_its_body_alone() -> None:
    error = alibaba.body_error("starops", {"code": "Throttling", "message": "busy"})
    assert isinstance(error, RateLimitError) and error.status is None


@given(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40))
def test_any_id_survives_the_encoded_path_on_the_wire_and_the_sandbox_decoding(segment: str) -> None:
    assume(segment not in (".", ".."))  # refs refuse these: URLs would fold them away
    path = alibaba.roa_path(["digitalEmployee", segment, "thread", "t/1", "data"])
    assert httpx.URL("http://127.0.0.1:1" + path).raw_path.decode() == path
    assert match_path("/digitalEmployee/{name}/thread/{threadId}/data", path) == {"name": segment, "threadId": "t/1"}
