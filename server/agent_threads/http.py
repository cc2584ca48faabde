"""How a provider talks to its vendor: timeouts, one retry policy above auth (so every attempt is re-signed), and
the ``Channel`` every request goes through."""

from __future__ import annotations

import functools
import logging
import random
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

import anyio
import httpx

from .errors import (
    MAYBE_DELIVERED,
    ProtocolError,
    ProviderConnectionError,
    ProviderError,
    RateLimitError,
    ServerError,
)

log = logging.getLogger("agent_threads.http")
TRANSPORT: ContextVar[httpx.AsyncBaseTransport | None] = ContextVar("agent_threads_transport", default=None)
"""A transport every client made in this context uses instead of the network (fuzzing and benchmarks)."""
Checker = Callable[[httpx.Response], None]
"""Raises the provider's ``ProviderAPIError`` for an error reply (status or body); returns otherwise."""
Retry = Literal["always", "if_unsent"]
"""When a failed request may go out again: ``always`` (reads, and a send under an idempotency key the vendor
honours: a repeat is answered, not acted on twice); ``if_unsent`` (every other send: a message, a new session),
only when the vendor surely did not take it: it throttled the request, or no connection was made."""


@dataclass(frozen=True)
class Timeouts:
    connect: float = 10.0
    read: float = 120.0
    stream_idle: float = 300.0
    tool: float = 900.0
    replay_quiet: float = 5.0
    """Seconds of silence after which a transcript read through a replay takes it as caught up (a running turn
    shown as it stands); never more than ``stream_idle``."""

    def stream(self, read: float | None = None) -> httpx.Timeout:
        """For an event stream: connect as usual, then each read may wait ``stream_idle`` (agents think quietly),
        or ``read`` seconds when the caller bounds its waits itself (a replay: ``replay.Waits``)."""
        return httpx.Timeout(self.read, connect=self.connect, read=self.stream_idle if read is None else read)


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    sleep: Callable[[float], Awaitable[None]] = field(default=anyio.sleep, compare=False)
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    def backoff(self, attempt: int) -> float:
        """Capped exponential backoff before attempt ``attempt + 1`` (``attempt`` counts from 0), without jitter."""
        return min(self.max_delay, self.base_delay * 2 ** min(attempt, 32))

    def delay(self, attempt: int, error: ProviderError) -> float | None:
        """Seconds to wait before the next attempt, or None to give up."""
        if not error.retryable or attempt >= self.max_retries:
            return None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return float(retry_after) if retry_after <= self.max_retry_after else None
        return self.backoff(attempt) * (0.5 + self.jitter() / 2)

    async def wait(self, attempt: int, error: ProviderError) -> float:
        """Sleep before the next attempt and return how long; raises ``error`` when there is to be none."""
        delay = self.delay(attempt, error)
        if delay is None:
            raise error
        await self.sleep(delay)
        return delay


def url_path(*segments: str) -> str:
    """A relative URL path from raw segments, each percent-encoded (ids may hold ``/``, spaces, anything)."""
    return "/".join(quote(segment, safe="") for segment in segments)


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


@dataclass(frozen=True)
class Channel:
    """One provider's way to its vendor: the client (with its auth), the check every reply passes, the retry
    policy and the timeouts. Retries sit above auth: each attempt is signed afresh."""

    provider: str
    client: httpx.AsyncClient
    check: Checker
    policy: RetryPolicy
    timeouts: Timeouts

    async def send(
        self, request: httpx.Request, *, retry: Retry = "always", check: Checker | None = None
    ) -> httpx.Response:
        """The whole reply, checked (``check`` instead of the channel's own when given)."""
        return await self._until_answered(request, retry, check or self.check, stream=False)

    def stream(
        self,
        request: httpx.Request,
        *,
        retry: Retry = "always",
        check: Checker | None = None,
        read: float | None = None,
    ) -> AbstractAsyncContextManager[httpx.Response]:
        """An event stream, retried until it starts, each read allowed ``stream_idle`` (or ``read``); closed on
        exit."""
        request.extensions["timeout"] = self.timeouts.stream(read).as_dict()
        return self._stream(request, retry, check or self.check)

    @asynccontextmanager
    async def _stream(self, request: httpx.Request, retry: Retry, check: Checker) -> AsyncIterator[httpx.Response]:
        response = await self._until_answered(request, retry, check, stream=True)
        try:
            yield response
        finally:
            await response.aclose()

    async def _until_answered(
        self, request: httpx.Request, retry: Retry, check: Checker, *, stream: bool
    ) -> httpx.Response:
        """Attempts until one is not an error, as far as ``retry`` and the policy allow; else raises the last error."""
        attempt = 0
        while isinstance(outcome := await self._attempt(request, check, stream=stream), ProviderError):
            await self._wait_or_raise(attempt, outcome, retry, request)
            attempt += 1
        return outcome

    async def _attempt(self, request: httpx.Request, check: Checker, *, stream: bool) -> httpx.Response | ProviderError:
        """One try: the response (a stream left unread unless it is an error), or the error it amounts to."""
        try:
            response = await self._send_once(request, stream=stream)
        except ProviderError as err:
            return err
        if stream and not response.is_error:
            return response
        try:
            await response.aread()
            check(response)
        except ProviderError as err:
            await response.aclose()
            return err
        return response

    async def _send_once(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        try:
            return await self.client.send(request, stream=stream)
        except httpx.TimeoutException as e:
            raise ProviderConnectionError(f"timed out calling {request.url.host}", provider=self.provider) from e
        except httpx.TransportError as e:
            what = f"could not reach {request.url.host}: {type(e).__name__}"
            raise ProviderConnectionError(what, provider=self.provider) from e

    async def _wait_or_raise(self, attempt: int, err: ProviderError, retry: Retry, request: httpx.Request) -> None:
        if retry == "if_unsent" and not surely_unsent(err):
            raise err
        delay = await self.policy.wait(attempt, err)
        log.info("retrying %s %s after %.2fs: %s", request.method, request.url.path, delay, type(err).__name__)


def _connect_failed(error: ProviderError) -> bool:
    return isinstance(error, ProviderConnectionError) and isinstance(
        error.__cause__, (httpx.ConnectError, httpx.ConnectTimeout)
    )


def surely_unsent(error: ProviderError) -> bool:
    """The vendor surely did not take the request: it throttled it, or no connection was made."""
    return isinstance(error, RateLimitError) or _connect_failed(error)


def may_have_arrived(error: ProviderError) -> bool:
    """The vendor may have taken the request: a connection failure after sending, a 5xx, or a reply that could not
    be read (a refusal, a 4xx or an error in the body, says it did not)."""
    if isinstance(error, ProviderConnectionError):
        return not _connect_failed(error)
    return isinstance(error, (ServerError, ProtocolError))


@contextmanager
def delivery() -> Iterator[None]:
    """Around sending a message and reading the vendor's answer to it: a failure that may have come after the vendor
    took the message says so, and that it must not be sent again blindly."""
    try:
        yield
    except ProviderError as e:
        raise maybe_delivered(e)  # the same error, re-raised with its hint


def maybe_delivered(error: ProviderError) -> ProviderError:
    """``error``, saying the message may have been delivered when the vendor may have taken it."""
    if may_have_arrived(error):
        error.hint = MAYBE_DELIVERED
    return error
