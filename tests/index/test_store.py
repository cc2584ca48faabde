"""What the index stores and how writes keep it consistent, over both backends."""

from __future__ import annotations

from pathlib import Path

import psycopg

from agent_threads.index import ThreadIndex
from agent_threads.index.records import Progress, ThreadWrite
from agent_threads.providers.base import Batch
from agent_threads.transcript import Message

from .conftest import SECRET, Store
from .corpus import CREDENTIAL_LIKE, seed


def stored_bytes(store: Store) -> bytes:
    """Every byte the store wrote to disk (for PostgreSQL after a checkpoint, so nothing waits in memory)."""
    if store.server is not None:
        with psycopg.connect(store.server.url(), autocommit=True) as conn:
            conn.execute("CHECKPOINT")
        root = store.server.root
    else:
        assert store.config.path is not None
        root = store.config.path.parent
    return b"".join(p.read_bytes() for p in Path(root).rglob("*") if p.is_file() and not p.is_symlink())


async def test_no_secret_reaches_the_disk(store: Store) -> None:
    async with store.open() as index:
        await seed(index)
        page = await index.search("use my key")
        snippet = page.threads[0].hits[0].snippet
    data = stored_bytes(store)
    assert b"Use my key" in data  # the message itself is there…
    assert SECRET.encode() not in data  # …but not the configured credential
    assert CREDENTIAL_LIKE.split("=")[1].encode() not in data  # …nor a credential-like value
    assert snippet == "«Use» «my» «key» *** and Access«Key»Secret=*** if needed."


async def test_writing_the_same_page_twice_stores_it_once(index: ThreadIndex) -> None:
    messages = [Message(role="user", text="first"), Message(role="assistant", text="second")]
    for _ in range(2):
        await index.record_page("qoder:s/t", Batch(messages, title="T", status="idle"), first_seq=0)
    thread = await index.thread("qoder:s/t")
    assert thread is not None
    assert (thread.message_count, thread.last_seq, thread.title, thread.complete) == (2, 2, "T", False)
    assert len((await index.search("second")).threads[0].hits) == 1


async def test_a_page_read_by_a_tool_marks_the_thread_partly_read(index: ThreadIndex) -> None:
    batch = Batch([Message(role="user", text="page three")], status="idle")
    await index.record_page("cms:e/t", batch, first_seq=40)
    assert [m.seq for m in await index.messages("cms:e/t")] == [41]
    coverage = await index.coverage(configured=["cms", "qoder"])
    assert coverage.providers[0].incomplete == 1
    assert coverage.gaps() == ["qoder: never indexed", "cms: 1 threads only partly read"]


async def test_a_re_read_tail_replaces_what_was_there(index: ThreadIndex) -> None:
    texts = ["a", "b", "c", "d"]
    await index.write(ThreadWrite(ref="dms:s", provider="dms", messages=index.records([_m(t) for t in texts], 0)))
    shorter = index.records([_m("c2")], 2)
    await index.write(ThreadWrite(ref="dms:s", provider="dms", messages=shorter, drop_after=3))
    assert [m.text for m in await index.messages("dms:s")] == ["a", "b", "c2"]
    relative = index.records([_m("x").model_copy(update={"seq": -1})], 0)
    await index.write(ThreadWrite(ref="dms:s", provider="dms", messages=relative, replace=True))
    assert [(m.seq, m.text) for m in await index.messages("dms:s")] == [(-1, "x")]


async def test_a_removed_thread_leaves_nothing_behind(index: ThreadIndex) -> None:
    await seed(index)
    assert await index.remove("rdsai:c4")
    assert not await index.remove("rdsai:c4")
    assert await index.thread("rdsai:c4") is None
    assert (await index.search("replication")).total == 0
    assert "ToolTimeout" not in {g.code for g in (await index.failures()).groups}


async def test_sync_progress_and_runs_are_kept_per_thread_and_provider(index: ThreadIndex) -> None:
    progress = Progress(resume={"state": {"page": "p2"}, "seq": 50, "first": "m51"}, complete=True, listed="fp")
    await index.write(ThreadWrite(ref="qoder:s/t", provider="qoder", status="running", running=True, progress=progress))
    state = (await index.threads("qoder"))["qoder:s/t"]
    assert (state.resume, state.complete, state.running, state.listed) == (progress.resume, True, True, "fp")
    started = state.synced_at
    assert started is not None
    await index.record_run("qoder", started, error="listing failed: 503", note="lists only recent sessions")
    cover = (await index.coverage("qoder")).providers[0]
    assert (cover.threads, cover.running, cover.last_error, cover.note) == (1, 1, "listing failed: 503", cover.note)
    assert cover.note == "lists only recent sessions"


def _m(text: str) -> Message:
    return Message(role="assistant", text=text)
