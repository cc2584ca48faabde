"""One retry policy, above auth (so every attempt is re-signed), timeouts, and the client factory."""

from __future__ import annotations

import functools
import logging
import random
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import anyio
import httpx

from .errors import ProviderConnectionError, ProviderError

log = logging.getLogger("agent_threads.http")
TRANSPORT: ContextVar[httpx.AsyncBaseTransport | None] = ContextVar("agent_threads_transport", default=None)
"""A transport every client made in this context uses instead of the network (fuzzing and benchmarks)."""
Checker = Callable[[httpx.Response], None]
"""Raises the provider's ``ProviderAPIError`` for an error reply (status or body); returns otherwise."""


@dataclass(frozen=True)
class Timeouts:
    connect: float = 10.0
    read: float = 120.0
    stream_idle: float = 300.0
    tool: float = 900.0

    def stream(self) -> httpx.Timeout:
        """For an event stream: connect as usual, then each read may wait ``stream_idle`` (agents think quietly)."""
        return httpx.Timeout(self.read, connect=self.connect, read=self.stream_idle)


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    sleep: Callable[[float], Awaitable[None]] = field(default=anyio.sleep, compare=False)
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, attempt: int, error: ProviderError) -> float | None:
        """Seconds to wait before the next attempt, or None to give up."""
        if not error.retryable or attempt >= self.max_retries:
            return None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return float(retry_after) if retry_after <= self.max_retry_after else None
        backoff = min(self.max_delay, self.base_delay * 2**attempt)
        return backoff * (0.5 + self.jitter() / 2)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context shared by every client: loading the CA bundle takes tens of milliseconds each time, once per
    configured provider at start-up otherwise (bench: cold start)."""
    return httpx.create_ssl_context()


def make_client(
    base_url: str, auth: httpx.Auth, timeouts: Timeouts, headers: dict[str, str] | None = None
) -> httpx.AsyncClient:
    timeout = httpx.Timeout(timeouts.read, connect=timeouts.connect)
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=10)
    transport = TRANSPORT.get()
    return httpx.AsyncClient(
        base_url=base_url,
        auth=auth,
        timeout=timeout,
        headers=headers,
        limits=limits,
        transport=transport,
        verify=tls_context() if transport is None else True,
    )


async def send(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    provider: str,
    check: Checker,
    policy: RetryPolicy,
    retry: bool = True,
) -> httpx.Response:
    """Send with retries; the client's auth runs again on each attempt."""
    attempt = 0
    while True:
        try:
            response = await _send_once(client, request, provider)
            await response.aread()
            check(response)
            return response
        except ProviderError as err:
            await _wait_or_raise(policy, attempt, err, retry, request)
            attempt += 1


@asynccontextmanager
async def stream(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    provider: str,
    check: Checker,
    policy: RetryPolicy,
    retry: bool = True,
) -> AsyncIterator[httpx.Response]:
    """Open a streaming response, retrying until the stream starts; closes it on exit, cancelled or not."""
    attempt = 0
    while True:
        try:
            response = await _send_once(client, request, provider, stream=True)
        except ProviderError as err:
            await _wait_or_raise(policy, attempt, err, retry, request)
            attempt += 1
            continue
        try:
            if response.is_error:
                await response.aread()
                check(response)
        except ProviderError as err:
            await response.aclose()
            await _wait_or_raise(policy, attempt, err, retry, request)
            attempt += 1
            continue
        try:
            yield response
        finally:
            await response.aclose()
        return


async def _send_once(
    client: httpx.AsyncClient, request: httpx.Request, provider: str, *, stream: bool = False
) -> httpx.Response:
    try:
        return await client.send(request, stream=stream)
    except httpx.TimeoutException as e:
        raise ProviderConnectionError(f"timed out calling {request.url.host}", provider=provider) from e
    except httpx.TransportError as e:
        raise ProviderConnectionError(
            f"could not reach {request.url.host}: {type(e).__name__}", provider=provider
        ) from e


async def _wait_or_raise(
    policy: RetryPolicy, attempt: int, err: ProviderError, retry: bool, request: httpx.Request
) -> None:
    delay = policy.delay(attempt, err) if retry else None
    if delay is None:
        raise err
    log.info("retrying %s %s in %.2fs after: %s", request.method, request.url.path, delay, type(err).__name__)
    await policy.sleep(delay)
