"""The sync engine over both backends: against the sandbox cloud, and a scripted vendor the tests change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import anyio
import pytest

from agent_threads import providers
from agent_threads.http import RetryPolicy
from agent_threads.index import ThreadIndex
from agent_threads.index.sync import SyncOptions, SyncProgress, sync
from agent_threads.sandbox import Sandbox

from ..conftest import sandbox_settings
from .conftest import Store
from .fakes import T0, Counting, ScriptedProvider

SANDBOX_THREADS = {"qoder": 5, "cms": 4, "starops": 4, "dms": 7, "rdsai": 5, "dataagent": 3}


@pytest.fixture
async def vendors(sandbox: Sandbox, fast_retries: RetryPolicy) -> AsyncIterator[list[Counting]]:
    """Every sandbox vendor, each call counted; their HTTP clients closed afterwards."""
    settings = sandbox_settings(sandbox)
    built = [Counting(providers.create(p, settings.timeouts, fast_retries)) for p in settings.providers]
    try:
        yield built
    finally:
        for vendor in built:
            await vendor.client.aclose()


async def test_a_sync_indexes_every_vendor_and_search_finds_across_them(
    index: ThreadIndex, vendors: list[Counting]
) -> None:
    summary = await sync(index, vendors)
    assert {p.provider: p.new for p in summary.providers} == SANDBOX_THREADS
    assert all(p.error is None and not p.failed for p in summary.providers)
    assert [t.provider for t in (await index.search("磁盘")).threads] == ["rdsai"]
    assert [t.provider for t in (await index.search("NullPointerException")).threads] == ["qoder"]
    timeout = await index.search("QueryTimeout", errors_only=True)
    assert [(t.provider, t.hits[0].failure) for t in timeout.threads] == [
        ("dataagent", "QueryTimeout: the query ran longer than <n>s and was cancelled")
    ]
    failing = {e.ref.split(":")[0] for g in (await index.failures(limit=50)).groups for e in g.examples}
    assert failing == set(SANDBOX_THREADS)
    assert (await index.coverage()).threads == sum(SANDBOX_THREADS.values())


async def test_a_second_sync_with_nothing_changed_reads_no_transcripts(
    index: ThreadIndex, vendors: list[Counting]
) -> None:
    await sync(index, vendors)
    for vendor in vendors:
        vendor.reads.clear()
    second = await sync(index, vendors)
    running = [t.ref for p in SANDBOX_THREADS for t in (await index.threads(p)).values() if t.running]
    assert len(running) == 1  # a DataAgent session the sandbox keeps running
    assert [ref for v in vendors for ref in v.reads] == running  # only what is still running is read again
    assert {p.provider: p.unchanged + p.changed for p in second.providers} == SANDBOX_THREADS
    assert sum(p.changed for p in second.providers) == len(running)


async def test_a_vendor_failing_leaves_the_others_synced(
    index: ThreadIndex, sandbox: Sandbox, vendors: list[Counting]
) -> None:
    sandbox.ctx.faults.add("dms", "server_error", route="ListDataAgentSession", times=None)
    summary = {p.provider: p for p in (await sync(index, vendors)).providers}
    assert summary["dms"].error is not None and summary["dms"].error.startswith("listing failed: dms error (5")
    assert {k: p.new for k, p in summary.items() if k != "dms"} == {
        k: v for k, v in SANDBOX_THREADS.items() if k != "dms"
    }
    assert (await index.coverage("dms")).providers[0].last_error == summary["dms"].error


async def test_only_the_new_tail_of_a_grown_thread_is_read(index: ThreadIndex) -> None:
    vendor = ScriptedProvider()
    ref = vendor.add("s/t", [f"message {i}" for i in range(7)])
    await sync(index, [vendor], SyncOptions(page_size=3))
    assert [state for _, state in vendor.reads] == [None, {"after": 3}, {"after": 6}]
    vendor.reads.clear()
    vendor.grow(ref, "message 7", "message 8")
    summary = await sync(index, [vendor], SyncOptions(page_size=3))
    assert summary.providers[0].changed == 1
    assert [state for _, state in vendor.reads] == [{"after": 6}]  # from the last page on, not from the start
    assert [m.text for m in await index.messages(ref)] == [f"message {i}" for i in range(9)]


async def test_a_thread_numbered_from_its_newest_message_is_read_again_whole(index: ThreadIndex) -> None:
    vendor = ScriptedProvider(id="rdsai", family="rdsai", relative=True)
    ref = vendor.add("c", ["q1", "a1", "q2", "a2"])
    await sync(index, [vendor], SyncOptions(page_size=3))
    assert [(m.seq, m.text) for m in await index.messages(ref)] == [(-4, "q1"), (-3, "a1"), (-2, "q2"), (-1, "a2")]
    vendor.grow(ref, "q3", "a3")
    await sync(index, [vendor], SyncOptions(page_size=3))
    assert [(m.seq, m.text) for m in await index.messages(ref)] == list(
        zip(range(-6, 0), ["q1", "a1", "q2", "a2", "q3", "a3"])
    )


@pytest.mark.parametrize("page_size", [2, 50])
async def test_a_history_rewritten_at_the_vendor_is_read_again_from_the_start(
    index: ThreadIndex, page_size: int
) -> None:
    vendor = ScriptedProvider()
    ref = vendor.add("s/t", ["one", "two", "three"])
    await sync(index, [vendor], SyncOptions(page_size=page_size))
    vendor.add("s/t", ["uno", "dos", "tres", "cuatro"], updated=T0 + timedelta(hours=1))
    for message in vendor.threads[ref].messages:
        message.id = f"new-{message.id}"
    await sync(index, [vendor], SyncOptions(page_size=page_size))
    assert [m.text for m in await index.messages(ref)] == ["uno", "dos", "tres", "cuatro"]


async def test_a_thread_the_vendor_lost_leaves_the_index_and_a_broken_one_is_reported(index: ThreadIndex) -> None:
    vendor = ScriptedProvider()
    lost, broken, fine = (vendor.add(k, ["hello"]) for k in ("s/lost", "s/broken", "s/fine"))
    await sync(index, [vendor])
    vendor.gone.add(lost)
    vendor.broken.add(broken)
    for ref in (lost, broken):
        vendor.threads[ref].updated += timedelta(minutes=5)
    result = (await sync(index, [vendor])).providers[0]
    assert (result.removed, result.unchanged, [f.ref for f in result.failed]) == (1, 1, [broken])
    assert "the vendor failed" in result.failed[0].reason
    assert await index.thread(lost) is None and await index.thread(fine) is not None


async def test_a_running_thread_is_marked_and_read_again_until_it_stops(index: ThreadIndex) -> None:
    vendor = ScriptedProvider()
    ref = vendor.add("s/t", ["working"], status="running")
    await sync(index, [vendor])
    assert (await index.coverage()).providers[0].running == 1
    vendor.reads.clear()
    await sync(index, [vendor])
    assert len(vendor.reads) == 1
    vendor.threads[ref].status = "idle"
    await sync(index, [vendor])
    vendor.reads.clear()
    await sync(index, [vendor])
    assert vendor.reads == [] and (await index.coverage()).providers[0].running == 0


async def test_a_thread_the_vendor_could_not_give_whole_is_not_complete_and_is_read_again(index: ThreadIndex) -> None:
    vendor = ScriptedProvider()
    ref = vendor.add("s/cut", ["a", "b", "c"])
    vendor.cut.add(ref)
    await sync(index, [vendor], SyncOptions(page_size=2))
    stored = await index.thread(ref)
    assert stored is not None and not stored.complete
    vendor.cut.clear()
    vendor.reads.clear()
    await sync(index, [vendor], SyncOptions(page_size=2))
    stored = await index.thread(ref)
    assert vendor.reads and stored is not None and stored.complete
    assert [m.text for m in await index.messages(ref)] == ["a", "b", "c"]


async def test_the_time_bound_stops_cleanly_and_names_what_was_not_refreshed(index: ThreadIndex) -> None:
    vendor = ScriptedProvider()
    slow = vendor.add("s/slow", ["a", "b", "c", "d"])
    vendor.add("s/quick", ["e"])
    vendor.hold[slow] = ({"after": 2}, anyio.Event())
    summary = await sync(index, [vendor], SyncOptions(page_size=2, deadline=0.5))
    result = summary.providers[0]
    assert summary.timed_out and result.not_refreshed == [slow] and result.new == 2
    assert "1 not refreshed (time ran out)" in summary.text()
    stored = await index.thread(slow)
    assert stored is not None and (stored.complete, stored.message_count) == (False, 2)
    del vendor.hold[slow]
    vendor.reads.clear()
    await sync(index, [vendor], SyncOptions(page_size=2))
    assert vendor.reads == [(slow, {"after": 2})]  # resumed where it stopped
    assert [m.text for m in await index.messages(slow)] == ["a", "b", "c", "d"]


async def test_an_interrupted_sync_resumes_where_it_stopped(index: ThreadIndex) -> None:
    vendor = ScriptedProvider()
    ref = vendor.add("s/t", [f"m{i}" for i in range(12)])
    reached = anyio.Event()
    vendor.hold[ref] = ({"after": 9}, reached)
    async with anyio.create_task_group() as group:
        group.start_soon(sync, index, [vendor], SyncOptions(page_size=3))
        await reached.wait()
        group.cancel_scope.cancel()
    del vendor.hold[ref]
    vendor.reads.clear()
    await sync(index, [vendor], SyncOptions(page_size=3))
    assert [state for _, state in vendor.reads] == [{"after": 9}]
    assert len(await index.messages(ref)) == 12


async def test_two_syncs_of_one_provider_at_once_read_it_once(store: Store) -> None:
    vendor = ScriptedProvider()
    refs = [vendor.add(f"s/{i}", [f"text {i}", "reply"]) for i in range(6)]
    async with store.open() as one, store.open() as two:
        results = []

        async def run(index: ThreadIndex) -> None:
            results.append((await sync(index, [vendor], SyncOptions(concurrency=2))).providers[0])

        async with anyio.create_task_group() as group:
            group.start_soon(run, one)
            group.start_soon(run, two)
        assert sorted((r.new, r.unchanged) for r in results) == [(0, 6), (6, 0)]
        assert sorted(ref for ref, _ in vendor.reads) == sorted(refs)
        assert (await one.stats())["messages"] == 12


async def test_progress_is_reported_per_thread_and_old_threads_are_skipped(index: ThreadIndex) -> None:
    vendor = ScriptedProvider()
    for i in range(3):
        vendor.add(f"s/{i}", ["hi"], updated=T0 + timedelta(days=i))
    seen: list[SyncProgress] = []

    async def progress(event: SyncProgress) -> None:
        seen.append(event)

    summary = await sync(index, [vendor], SyncOptions(since=T0 + timedelta(days=1)), progress)
    assert (summary.providers[0].new, summary.providers[0].skipped) == (2, 1)
    assert sorted((e.done, e.total) for e in seen) == [(1, 2), (2, 2)]


@pytest.mark.parametrize("owner", ["me"])
async def test_a_sync_waits_for_the_lock_another_holds_then_gives_up(index: ThreadIndex, owner: str) -> None:
    vendor = ScriptedProvider()
    vendor.add("s/t", ["hi"])
    assert await index.backend.try_lock("qoder", "someone-else", 60)
    result = (await sync(index, [vendor], SyncOptions(lock_wait=0.3, owner=owner))).providers[0]
    assert result.error == "another sync of this provider is running; try again when it ends"
    assert vendor.reads == []
