"""The local catalog behind list_threads(provider="dataagent"): Tencent has no list action."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import anyio

from agent_threads.http import RetryPolicy
from agent_threads.providers.dataagent.catalog import FILE_NAME, Catalog, Entry, seed_entries
from agent_threads.providers.dataagent.provider import LIST_NOTE
from agent_threads.refs import ThreadRef
from agent_threads.sandbox import Sandbox
from agent_threads.sandbox.dataagent.data import INSTANCE, INSTANCE_CN, SAMPLE_REFS, SESSION_CN, SESSION_SALES

from .test_provider import SALES, provider_for


async def test_the_listing_starts_empty_and_its_note_says_to_open_other_sessions_by_ref(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        listing = await provider.list_threads(None, None, 20)
    assert listing.threads == [] and listing.note == LIST_NOTE
    assert "dataagent:<instance>/<session>" in LIST_NOTE and "no API that lists sessions" in LIST_NOTE


async def test_reading_a_session_records_it_under_its_instance(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        await provider.read(SALES, None, 50)
        top = await provider.list_threads(None, None, 20)
        inner = await provider.list_threads(ThreadRef("dataagent", (INSTANCE,)), None, 20)
    assert [(e.ref, e.kind, e.children, e.title) for e in top.threads] == [
        (f"dataagent:{INSTANCE}", "instance", True, "1 known session")
    ]
    [entry] = inner.threads
    assert (entry.ref, entry.title, entry.status, entry.kind) == (str(SALES), "who are you", "idle", "session")
    assert entry.updated is not None and entry.updated.isoformat() == "2025-11-14T02:48:52+00:00"


async def test_the_catalog_survives_a_restart_as_json_in_the_state_dir(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        await provider.read(SALES, None, 50)
        await provider.read(ThreadRef("dataagent", (INSTANCE_CN, SESSION_CN)), None, 50)
    async with provider_for(cloud, tmp_path, fast_retries) as restarted:
        refs = [e.ref for e in (await restarted.list_threads(ThreadRef("dataagent", (INSTANCE_CN,)), None, 20)).threads]
    saved = json.loads((tmp_path / FILE_NAME).read_text(encoding="utf-8"))
    assert refs == [f"dataagent:{INSTANCE_CN}/{SESSION_CN}"]
    assert {s["session"] for s in saved["sessions"]} == {SESSION_SALES, SESSION_CN}
    assert [p.name for p in tmp_path.iterdir()] == [FILE_NAME]  # the temporary file was renamed, not left behind


async def test_seeded_refs_are_listed_without_being_written(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries, seed_refs=" ".join(SAMPLE_REFS) + " not-a-ref") as provider:
        top = await provider.list_threads(None, None, 20)
        inner = await provider.list_threads(ThreadRef("dataagent", (INSTANCE,)), None, 1)
        rest = await provider.list_threads(ThreadRef("dataagent", (INSTANCE,)), inner.next_state, 1)
    assert sorted(e.ref for e in top.threads) == sorted({f"dataagent:{INSTANCE}", f"dataagent:{INSTANCE_CN}"})
    assert len(inner.threads) == len(rest.threads) == 1 and rest.next_state is None
    assert not (tmp_path / FILE_NAME).exists()


async def test_other_accounts_entries_and_a_corrupt_file_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    catalog = Catalog(path, "dataagent@https://dataagent.tencentcloudapi.com")
    await Catalog(path, "dataagent.prod@https://dataagent.tencentcloudapi.com").note(
        "ins-a", "sess-a", title="elsewhere"
    )
    await catalog.note("ins-b", "sess-b", title="here")
    assert [(e.instance, e.title) for e in catalog.entries()] == [("ins-b", "here")]
    path.write_text("{not json", encoding="utf-8")
    assert catalog.entries() == []


async def test_a_note_keeps_the_title_it_learned_earlier(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    await Catalog(path, "e").note("ins", "s", title="first question", status="idle")
    await Catalog(path, "e").note("ins", "s", status="running")
    [entry] = Catalog(path, "e").entries()
    assert (entry.title, entry.status) == ("first question", "running")


async def test_notes_made_at_once_are_all_kept(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / FILE_NAME, "e")
    async with anyio.create_task_group() as tg:
        for i in range(20):
            tg.start_soon(partial(catalog.note, "ins", f"s{i}", title=f"question {i}"))
    assert sorted(e.title or "" for e in Catalog(tmp_path / FILE_NAME, "e").entries()) == sorted(
        f"question {i}" for i in range(20)
    )


def test_seed_refs_accept_sessions_and_bare_instances() -> None:
    entries = seed_entries("e", "dataagent:ins-1/s%2F1, dataagent:ins-2 qoder:sess_1")
    assert entries == [Entry("e", "ins-1", "s/1"), Entry("e", "ins-2", None)]
