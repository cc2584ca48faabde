"""Qoder's error envelope onto the error tree: status, type, request id and retry-after, from body or headers."""

from __future__ import annotations

import httpx
import pytest

from agent_threads.errors import RateLimitError, ServerError
from agent_threads.providers.qoder.errors import check_reply


def test_request_id_and_retry_after_come_from_headers_when_the_body_lacks_them() -> None:
    request = httpx.Request("GET", "http://qoder.test/api/v1/cloud/sessions")
    older = {"type": "error", "error": {"type": "rate_limit_error", "message": "Slow down."}}
    reply = httpx.Response(
        429, json=older, headers={"x-request-id": "req-h", "retry-after-ms": "1500"}, request=request
    )
    with pytest.raises(RateLimitError) as caught:
        check_reply(reply, provider="qoder")
    assert (caught.value.request_id, caught.value.retry_after, caught.value.message) == ("req-h", 1.5, "Slow down")


def test_a_non_json_error_body_still_maps_by_status() -> None:
    request = httpx.Request("GET", "http://qoder.test/api/v1/cloud/sessions")
    with pytest.raises(ServerError) as caught:
        check_reply(httpx.Response(502, text="<html>Bad Gateway</html>", request=request), provider="qoder")
    assert caught.value.status == 502 and caught.value.code is None
