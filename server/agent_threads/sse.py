"""Server-sent events over httpx-sse, wrapped once: content-type check, pings skipped, errors mapped."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import AsyncExitStack

import httpx
from httpx_sse import EventSource, ServerSentEvent, SSEError

from .errors import ProtocolError, ProviderConnectionError
from .http import Channel, Checker, delivery


async def events(response: httpx.Response, *, provider: str) -> AsyncGenerator[ServerSentEvent, None]:
    """Yield the events of an SSE response, skipping pings; vendor-level errors are the caller's to map."""
    source = EventSource(response)
    try:
        async for sse in source.aiter_sse():
            if sse.event != "ping":
                yield sse
    except SSEError as e:
        raise ProtocolError(f"expected an event stream: {e}", provider=provider) from e
    except httpx.TimeoutException as e:
        raise ProviderConnectionError("the event stream went silent past the idle timeout", provider=provider) from e
    except (httpx.TransportError, httpx.StreamError) as e:
        raise ProviderConnectionError(f"the event stream broke: {type(e).__name__}", provider=provider) from e


async def expect_event_stream(response: httpx.Response, *, provider: str, check: Checker, what: str) -> None:
    """Return when ``response`` is an event stream. Otherwise raise the vendor's error its body holds (an error can
    come as JSON on HTTP 200), else a ProtocolError naming ``what`` was asked."""
    if "text/event-stream" in response.headers.get("content-type", ""):
        return
    await response.aread()
    check(response)
    raise ProtocolError(f"{what} did not answer with an event stream", provider=provider)


async def open_send(stack: AsyncExitStack, channel: Channel, request: httpx.Request, *, what: str) -> httpx.Response:
    """Open the event stream a sent message is answered on, closed with ``stack``: retried only while the vendor
    surely did not take the message; a failure before the stream started says the message may have been delivered."""
    with delivery():
        response = await stack.enter_async_context(channel.stream(request, retry="if_unsent"))
        await expect_event_stream(response, provider=channel.provider, check=channel.check, what=what)
    return response
