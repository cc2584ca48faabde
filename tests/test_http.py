from __future__ import annotations

from collections.abc import Generator

import httpx
import pytest

from agent_threads import http
from agent_threads.errors import ProviderConnectionError, ProviderError, RateLimitError, ServerError, for_status

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


def channel_for(
    replies: list[httpx.Response | Exception],
    seen: list[httpx.Request],
    policy: http.RetryPolicy,
    auth: httpx.Auth | None = None,
) -> http.Channel:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(httpx.Request(request.method, request.url, headers=request.headers.copy()))
        seen[-1].extensions = dict(request.extensions)
        reply = replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    transport = httpx.MockTransport(handler)
    client = httpx.AsyncClient(transport=transport, auth=auth or CountingAuth(), base_url="http://vendor.test")
    return http.Channel("t", client, check, policy, http.Timeouts(connect=1, read=2, stream_idle=30))


async def test_throttling_is_retried_after_the_servers_retry_after_and_each_attempt_is_re_signed(
    no_sleep: NoSleep,
) -> None:
    seen: list[httpx.Request] = []
    replies: list[httpx.Response | Exception] = [
        httpx.Response(429, headers={"retry-after": "7"}),
        httpx.Response(200, json={}),
    ]
    channel = channel_for(replies, seen, http.RetryPolicy(sleep=no_sleep))
    async with channel.client:
        response = await channel.send(channel.client.build_request("GET", "/x"))
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
    channel = channel_for(replies, seen, http.RetryPolicy(sleep=no_sleep, jitter=lambda: 1.0))
    async with channel.client:
        with pytest.raises(ServerError):
            await channel.send(channel.client.build_request("GET", "/x"))
    assert no_sleep.delays == [0.5, 1.0, 2.0]
    assert len(seen) == 4


def test_backoff_doubles_from_the_base_delay_up_to_the_cap_and_never_overflows() -> None:
    policy = http.RetryPolicy(base_delay=0.5, max_delay=8.0)
    assert [policy.backoff(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert policy.backoff(10_000) == 8.0


async def test_waiting_sleeps_the_delay_and_raises_the_error_once_retries_are_spent(no_sleep: NoSleep) -> None:
    policy = http.RetryPolicy(max_retries=1, sleep=no_sleep, jitter=lambda: 1.0)
    error = ServerError("down", provider="t", status=503)
    assert await policy.wait(0, error) == 0.5 and no_sleep.delays == [0.5]
    with pytest.raises(ServerError) as info:
        await policy.wait(1, error)
    assert info.value is error and no_sleep.delays == [0.5]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
async def test_client_errors_are_not_retried(no_sleep: NoSleep, status: int) -> None:
    seen: list[httpx.Request] = []
    channel = channel_for([httpx.Response(status)], seen, http.RetryPolicy(sleep=no_sleep))
    async with channel.client:
        with pytest.raises(for_status(status)):
            await channel.send(channel.client.build_request("GET", "/x"))
    assert len(seen) == 1 and no_sleep.delays == []


async def test_a_send_is_repeated_only_when_the_vendor_surely_did_not_take_it(no_sleep: NoSleep) -> None:
    seen: list[httpx.Request] = []
    replies: list[httpx.Response | Exception] = [
        httpx.ConnectError("refused"),
        httpx.Response(429, headers={"retry-after": "1"}),
        httpx.Response(503),
        httpx.Response(200),
    ]
    channel = channel_for(replies, seen, http.RetryPolicy(sleep=no_sleep, jitter=lambda: 0.0))
    async with channel.client:
        with pytest.raises(ServerError):
            await channel.send(channel.client.build_request("POST", "/x"), retry="if_unsent")
    assert len(seen) == 3 and no_sleep.delays == [0.25, 1.0]


@pytest.mark.parametrize(
    "reply", [httpx.ReadError("reset"), httpx.ReadTimeout("late"), httpx.Response(502)], ids=["cut", "late", "5xx"]
)
async def test_a_send_whose_answer_may_have_followed_its_arrival_is_not_repeated_and_says_so(
    no_sleep: NoSleep, reply: httpx.Response | Exception
) -> None:
    seen: list[httpx.Request] = []
    channel = channel_for([reply, httpx.Response(200)], seen, http.RetryPolicy(sleep=no_sleep))
    async with channel.client:
        with pytest.raises(ProviderError) as info, http.delivery():
            await channel.send(channel.client.build_request("POST", "/x"), retry="if_unsent")
    assert len(seen) == 1 and no_sleep.delays == []
    assert info.value.for_model().endswith("The message may have been delivered: read the thread before sending again.")


async def test_a_refused_send_does_not_claim_it_may_have_been_delivered(no_sleep: NoSleep) -> None:
    seen: list[httpx.Request] = []
    channel = channel_for([httpx.Response(409)], seen, http.RetryPolicy(sleep=no_sleep))
    async with channel.client:
        with pytest.raises(ProviderError) as info, http.delivery():
            await channel.send(channel.client.build_request("POST", "/x"), retry="if_unsent")
    assert "may have been delivered" not in info.value.for_model()


async def test_a_retry_after_beyond_sixty_seconds_is_reported_instead_of_waited(no_sleep: NoSleep) -> None:
    seen: list[httpx.Request] = []
    channel = channel_for([httpx.Response(429, headers={"retry-after": "600"})], seen, http.RetryPolicy(sleep=no_sleep))
    async with channel.client:
        with pytest.raises(RateLimitError) as info:
            await channel.send(channel.client.build_request("GET", "/x"))
    assert "Retry after 600s" in info.value.for_model()
    assert no_sleep.delays == []


async def test_a_stream_is_retried_until_it_starts_and_closed_afterwards(no_sleep: NoSleep) -> None:
    seen: list[httpx.Request] = []
    replies: list[httpx.Response | Exception] = [
        httpx.Response(429, headers={"retry-after": "1"}),
        httpx.Response(200, content=b"data: 1\n\n", headers={"content-type": "text/event-stream"}),
    ]
    channel = channel_for(replies, seen, http.RetryPolicy(sleep=no_sleep))
    async with channel.client:
        async with channel.stream(channel.client.build_request("GET", "/s")) as response:
            body = await response.aread()
        assert response.is_closed
    assert body == b"data: 1\n\n" and len(seen) == 2


async def test_a_stream_waits_the_idle_timeout_between_reads_and_connects_as_usual(no_sleep: NoSleep) -> None:
    seen: list[httpx.Request] = []
    replies: list[httpx.Response | Exception] = [httpx.Response(200, headers={"content-type": "text/event-stream"})]
    channel = channel_for(replies, seen, http.RetryPolicy(sleep=no_sleep))
    async with channel.client, channel.stream(channel.client.build_request("GET", "/s")):
        pass
    assert seen[0].extensions["timeout"] == {"connect": 1, "read": 30, "write": 2, "pool": 2}


async def test_timeouts_become_retryable_connection_errors(no_sleep: NoSleep) -> None:
    seen: list[httpx.Request] = []
    replies: list[httpx.Response | Exception] = [httpx.ReadTimeout("slow")] * 4
    channel = channel_for(replies, seen, http.RetryPolicy(sleep=no_sleep))
    async with channel.client:
        with pytest.raises(ProviderConnectionError) as info:
            await channel.send(channel.client.build_request("GET", "/x"))
    assert "timed out" in info.value.for_model() and len(no_sleep.delays) == 3
