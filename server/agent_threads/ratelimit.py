"""A client-side limit of N requests per window per key (a sliding log), e.g. 20 requests/s per action.

It runs as an httpx request hook, so every attempt counts, retries included, and waits before sending rather
than letting the vendor answer with throttling. Clock and sleep are injectable for tests.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable

import anyio
import httpx


class RateLimiter:
    """At most ``rate`` acquisitions per key within any ``per``-second window (a sliding log)."""

    def __init__(
        self,
        rate: int = 20,
        per: float = 1.0,
        *,
        clock: Callable[[], float] = anyio.current_time,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.rate = rate
        self.per = per
        self._clock = clock
        self._sleep = sleep
        self._sent: dict[str, deque[float]] = {}
        self._locks: dict[str, anyio.Lock] = {}

    async def acquire(self, key: str) -> None:
        lock = self._locks.setdefault(key, anyio.Lock())
        async with lock:
            sent = self._sent.setdefault(key, deque())
            while True:
                now = self._clock()
                while sent and sent[0] <= now - self.per:
                    sent.popleft()
                if len(sent) < self.rate:
                    sent.append(now)
                    return
                await self._sleep(sent[0] + self.per - now)

    def hook(self, header: str) -> Callable[[httpx.Request], Awaitable[None]]:
        """An httpx ``request`` event hook that limits requests keyed by the value of ``header``."""

        async def on_request(request: httpx.Request) -> None:
            await self.acquire(request.headers.get(header, ""))

        return on_request
