"""Alibaba Cloud error replies (either casing, on any status, or Success: false on 200) onto the error tree."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from agent_threads.errors import (
    AuthError,
    NotFoundError,
    PermissionError_,
    ProviderAPIError,
    RateLimitError,
    ServerError,
)
from agent_threads.providers.alibaba.errors import body_error, checker

KEY_ID = "LTAI5tAbCdEfGhIjKlMn0000"


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
        checker(provider)(response)
    return info.value


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
    check = checker("starops")
    check(_reply(200, {"requestId": "REQ-5", "threads": []}))
    check(_reply(200, {"RequestId": "REQ-6", "Success": True}))
    check(httpx.Response(200, text="data: {}\n\n", headers={"content-type": "text/event-stream"}))


def test_only_a_top_level_success_false_fails_a_reply() -> None:
    page = {"data": [{"messages": [{"events": [{"type": "tool", "payload": {"success": False}}]}]}], "Success": True}
    checker("starops")(_reply(200, page))  # a failed step inside a page is content, not a failed call
    checker("starops")(_reply(200, [{"Success": False}]))  # not an object: the provider's parse reports it


def test_an_error_met_inside_an_event_stream_maps_from_its_body_alone() -> None:
    error = body_error("starops", {"code": "Throttling", "message": "busy"})
    assert isinstance(error, RateLimitError) and error.status is None
