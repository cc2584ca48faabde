"""The TTL cache: a value is served while fresh, fetched again when stale, kept only for the newest few keys."""

from __future__ import annotations

import pytest

from agent_threads.ttlcache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Source:
    """A fetch that counts its calls and answers with that count."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> int:
        self.calls += 1
        return self.calls


async def test_a_fresh_entry_is_served_without_fetching_again() -> None:
    lookups: TtlCache[int] = TtlCache(ttl=30, clock=Clock())
    source = Source()
    assert await lookups.get("t", source) == (1, False)
    assert await lookups.get("t", source) == (1, True)
    assert source.calls == 1


async def test_an_entry_older_than_its_ttl_is_fetched_again() -> None:
    clock = Clock()
    lookups: TtlCache[int] = TtlCache(ttl=30, clock=clock)
    source = Source()
    await lookups.get("t", source)
    clock.now += 30
    assert await lookups.get("t", source) == (1, True)
    clock.now += 0.5
    assert await lookups.get("t", source) == (2, False)


async def test_refresh_always_fetches_and_replaces_the_kept_value() -> None:
    lookups: TtlCache[int] = TtlCache(clock=Clock())
    source = Source()
    await lookups.get("t", source)
    assert await lookups.refresh("t", source) == 2
    assert await lookups.get("t", source) == (2, True)


async def test_only_the_most_recently_used_entries_are_kept() -> None:
    lookups: TtlCache[int] = TtlCache(size=2, clock=Clock())
    sources = {k: Source() for k in "abc"}
    for k in "ab":
        await lookups.get(k, sources[k])
    await lookups.get("a", sources["a"])  # "a" used last: "b" is the oldest
    await lookups.get("c", sources["c"])
    assert (await lookups.get("a", sources["a"]))[1] and not (await lookups.get("b", sources["b"]))[1]


async def test_a_failed_fetch_keeps_nothing() -> None:
    lookups: TtlCache[int] = TtlCache(clock=Clock())

    async def broken() -> int:
        raise RuntimeError("vendor down")

    with pytest.raises(RuntimeError):
        await lookups.get("t", broken)
    source = Source()
    assert await lookups.get("t", source) == (1, False)
