"""The refresh window: a provider whose last complete sync is recent is not listed again, by any process sharing
the index; an older, narrower, failed or cut-short sync is not trusted."""

from __future__ import annotations

from datetime import datetime, timedelta

import anyio

from agent_threads.index import ThreadIndex
from agent_threads.index.sync import SyncOptions, sync

from .conftest import Store
from .fakes import T0, ScriptedProvider

WINDOW = SyncOptions(fresh_for=30)


class Clock:
    """The index's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = T0 + timedelta(days=30)

    def __call__(self) -> datetime:
        return self.now


def _vendor(threads: int = 3) -> ScriptedProvider:
    vendor = ScriptedProvider()
    for i in range(threads):
        vendor.add(f"s/{i}", [f"text {i}", "reply"], updated=T0 + timedelta(days=i))
    return vendor


def _clocked(index: ThreadIndex) -> Clock:
    clock = Clock()
    index.clock = clock
    return clock


async def test_a_provider_synced_within_the_window_is_not_listed_again_until_it_passes(index: ThreadIndex) -> None:
    vendor, clock = _vendor(), _clocked(index)
    await sync(index, [vendor], WINDOW)
    lists = vendor.lists
    clock.now += timedelta(seconds=12)
    again = (await sync(index, [vendor], WINDOW)).providers[0]
    assert vendor.lists == lists and again.fresh_s == 12 and again.line() == "qoder: synced 12 s ago, not listed again"
    clock.now += timedelta(seconds=18)
    after = (await sync(index, [vendor], WINDOW)).providers[0]
    assert vendor.lists > lists and after.fresh_s is None and after.unchanged == 3


async def test_with_no_window_every_sync_lists(index: ThreadIndex) -> None:
    vendor = _vendor()
    _clocked(index)
    await sync(index, [vendor], SyncOptions())
    lists = vendor.lists
    assert (await sync(index, [vendor], SyncOptions())).providers[0].unchanged == 3
    assert vendor.lists > lists


async def test_a_sync_from_a_later_time_on_does_not_stand_for_a_wider_one(index: ThreadIndex) -> None:
    vendor = _vendor()
    _clocked(index)
    await sync(index, [vendor], SyncOptions(since=T0 + timedelta(days=2), fresh_for=30))
    lists = vendor.lists
    narrower = await sync(index, [vendor], SyncOptions(since=T0 + timedelta(days=5), fresh_for=30))
    assert narrower.providers[0].fresh_s is not None and vendor.lists == lists
    wider = (await sync(index, [vendor], WINDOW)).providers[0]
    assert wider.fresh_s is None and vendor.lists > lists and wider.new == 2  # the two older threads


async def test_a_sync_that_failed_a_thread_or_ran_out_of_time_is_not_trusted(index: ThreadIndex) -> None:
    vendor, clock = _vendor(), _clocked(index)
    vendor.broken.add("qoder:s/1")
    first = (await sync(index, [vendor], WINDOW)).providers[0]
    assert len(first.failed) == 1
    vendor.broken.clear()
    retried = (await sync(index, [vendor], WINDOW)).providers[0]
    assert retried.fresh_s is None and retried.new == 1
    clock.now += timedelta(seconds=30)
    reached = anyio.Event()
    vendor.grow("qoder:s/2", "more")
    vendor.hold["qoder:s/2"] = ({"after": 2}, reached)
    async with anyio.create_task_group() as group:  # stopped mid-read, as the time bound stops it
        group.start_soon(sync, index, [vendor], SyncOptions(fresh_for=30, page_size=2))
        with anyio.fail_after(10):
            await reached.wait()
        group.cancel_scope.cancel()
    del vendor.hold["qoder:s/2"]
    resumed = (await sync(index, [vendor], WINDOW)).providers[0]
    assert resumed.fresh_s is None and resumed.changed == 1


async def test_a_sync_by_one_process_is_fresh_for_another_and_one_waiting_for_its_lock(store: Store) -> None:
    vendor = _vendor(6)
    async with store.open() as one, store.open() as two:
        for opened in (one, two):
            _clocked(opened)
        results = []

        async def run(index: ThreadIndex) -> None:
            results.append((await sync(index, [vendor], SyncOptions(fresh_for=30, concurrency=2))).providers[0])

        async with anyio.create_task_group() as group:
            group.start_soon(run, one)
            group.start_soon(run, two)
        lists = vendor.lists
        assert sorted((r.new, r.fresh_s is not None) for r in results) == [(0, True), (6, False)]
        assert lists == 1 and len(vendor.reads) == 6
        assert (await sync(one, [vendor], WINDOW)).providers[0].fresh_s == 0
        assert vendor.lists == lists
