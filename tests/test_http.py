from __future__ import annotations

from collections.abc import Generator

import httpx
import pytest

from agent_threads import http
from agent_threads.errors import ProviderConnectionError, RateLimitError, ServerError, for_status

from .conftest import NoSleep


class CountingAuth(httpx.Auth):
    """Stamps each attempt, as a signer stamps a fresh nonce."""

    def __init__(self) -> None:
        self.count = 0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.count += 1
        request.headers["x-nonce"] = str(self.count)
        yield request


def check(response: httpx.Response) -> None:
    if response.is_error:
        retry_after = response.headers.get("retry-after")
        cls = for_status(response.status_code)
        raise cls(
            "failed", provider="t", status=response.status_code, retry_after=float(retry_after) if retry_after else None
        )


def client_for(
    replies: list[httpx.Response | Exception], seen: list[httpx.Request], auth: httpx.Auth
) -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(httpx.Request(request.method, request.url, headers=request.headers.copy()))
        reply = replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    return httpx.AsyncClient(transport=httpx.MockTransport(handler), auth=auth, base_url="http://vendor.test")


async def test_throttling_is_retried_after_the_servers_retry_after_and_each_attempt_is_re_signed(
    no_sleep: NoSleep,
) -> None:
    seen: list[httpx.Request] = []
    replies: list[httpx.Response | Exception] = [
        httpx.Response(429, headers={"retry-after": "7"}),
        httpx.Response(200, json={}),
    ]
    auth = CountingAuth()
    async with client_for(replies, seen, auth) as client:
        policy = http.RetryPolicy(sleep=no_sleep)
        response = await http.send(client, client.build_request("GET", "/x"), provider="t", check=check, policy=policy)
    assert response.status_code == 200
    assert no_sleep.delays == [7.0]
    assert [r.headers["x-nonce"] for r in seen] == ["1", "2"]


async def test_server_errors_and_connection_failures_back_off_exponentially_then_give_up(no_sleep: NoSleep) -> None:
    seen: list[httpx.Request] = []
    replies: list[httpx.Response | Exception] = [
        httpx.Response(503),
        httpx.ConnectError("x"),
        httpx.Response(500),
        httpx.Response(502),
    ]
    async with client_for(replies, seen, CountingAuth()) as client:
        policy = http.RetryPolicy(sleep=no_sleep, jitter=lambda: 1.0)
        with pytest.raises(ServerError):
            await http.send(client, client.build_request("GET", "/x"), provider="t", check=check, policy=policy)
    assert no_sleep.delays == [0.5, 1.0, 2.0]
    assert len(seen) == 4


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
async def test_client_errors_are_not_retried(no_sleep: NoSleep, status: int) -> None:
    seen: list[httpx.Request] = []
    async with client_for([httpx.Response(status)], seen, CountingAuth()) as client:
        with pytest.raises(for_status(status)):
            await http.send(
                client,
                client.build_request("GET", "/x"),
                provider="t",
                check=check,
                policy=http.RetryPolicy(sleep=no_sleep),
            )
    assert len(seen) == 1 and no_sleep.delays == []


async def test_a_send_is_never_repeated_when_retries_are_off(no_sleep: NoSleep) -> None:
    seen: list[httpx.Request] = []
    async with client_for([httpx.Response(503)], seen, CountingAuth()) as client:
        with pytest.raises(ServerError):
            await http.send(
                client,
                client.build_request("POST", "/x"),
                provider="t",
                check=check,
                policy=http.RetryPolicy(sleep=no_sleep),
                retry=False,
            )
    assert len(seen) == 1


async def test_a_retry_after_beyond_sixty_seconds_is_reported_instead_of_waited(no_sleep: NoSleep) -> None:
    seen: list[httpx.Request] = []
    async with client_for([httpx.Response(429, headers={"retry-after": "600"})], seen, CountingAuth()) as client:
        with pytest.raises(RateLimitError) as info:
            await http.send(
                client,
                client.build_request("GET", "/x"),
                provider="t",
                check=check,
                policy=http.RetryPolicy(sleep=no_sleep),
            )
    assert "Retry after 600s" in info.value.for_model()
    assert no_sleep.delays == []


async def test_a_stream_is_retried_until_it_starts_and_closed_afterwards(no_sleep: NoSleep) -> None:
    seen: list[httpx.Request] = []
    replies: list[httpx.Response | Exception] = [
        httpx.Response(429, headers={"retry-after": "1"}),
        httpx.Response(200, content=b"data: 1\n\n", headers={"content-type": "text/event-stream"}),
    ]
    async with client_for(replies, seen, CountingAuth()) as client:
        policy = http.RetryPolicy(sleep=no_sleep)
        async with http.stream(
            client, client.build_request("GET", "/s"), provider="t", check=check, policy=policy
        ) as response:
            body = await response.aread()
        assert response.is_closed
    assert body == b"data: 1\n\n" and len(seen) == 2


async def test_timeouts_become_retryable_connection_errors(no_sleep: NoSleep) -> None:
    seen: list[httpx.Request] = []
    replies: list[httpx.Response | Exception] = [httpx.ReadTimeout("slow")] * 4
    async with client_for(replies, seen, CountingAuth()) as client:
        with pytest.raises(ProviderConnectionError) as info:
            await http.send(
                client,
                client.build_request("GET", "/x"),
                provider="t",
                check=check,
                policy=http.RetryPolicy(sleep=no_sleep),
            )
    assert "timed out" in info.value.for_model() and len(no_sleep.delays) == 3
