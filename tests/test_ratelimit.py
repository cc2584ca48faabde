"""The client-side limit of N requests per window per key (DataAgent: 20/s per action), on a fake clock."""

from __future__ import annotations

import anyio

from agent_threads.ratelimit import RateLimiter

from .conftest import FakeClock


def _max_in_any_second(stamps: list[float]) -> int:
    return max(sum(1 for t in stamps if start <= t < start + 1.0) for start in stamps)


async def test_no_more_than_twenty_requests_start_in_any_second_per_action() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    stamps: list[float] = []
    for _ in range(95):
        await limiter.acquire("GetSessionDetails")
        stamps.append(clock.now)
    assert _max_in_any_second(stamps) == 20
    assert stamps[19] == 1000.0 and stamps[20] == 1001.0 and stamps[-1] == 1004.0


async def test_concurrent_callers_share_the_limit() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    stamps: list[float] = []

    async def one() -> None:
        await limiter.acquire("ChatAI")
        stamps.append(clock.now)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            for _ in range(70):
                tg.start_soon(one)
    assert len(stamps) == 70 and _max_in_any_second(stamps) == 20


async def test_each_action_has_its_own_budget() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    for action in ("GetSessionDetails", "QueryUserSessionDetail", "ChatAI"):
        for _ in range(20):
            await limiter.acquire(action)
    assert clock.slept == []
