"""Both backends: concurrent writers, migration from an older schema, and the same answers from each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio

from agent_threads.index import IndexConfig, ThreadIndex, open_index
from agent_threads.index.postgres import PostgresBackend
from agent_threads.index.records import ThreadWrite
from agent_threads.index.sql import Plan, Stmt
from agent_threads.index.sqlite import SqliteBackend
from agent_threads.transcript import Message

from .conftest import SECRET, Store
from .corpus import seed
from .pgserver import PgServer


def texts(prefix: str, n: int, start: int = 0) -> list[Message]:
    return [Message(role="user" if i % 2 else "assistant", text=f"{prefix} line {i}") for i in range(start, start + n)]


async def test_two_writers_on_one_store_lose_nothing_and_duplicate_nothing(store: Store) -> None:
    async with store.open() as first, store.open() as second:

        async def writer(index: ThreadIndex, name: str) -> None:
            for i in range(15):
                records = index.records(texts(f"{name} thread {i}", 3), 0)
                await index.write(ThreadWrite(ref=f"qoder:{name}/{i}", provider="qoder", messages=records))
            for start in range(0, 30, 5):  # both write the same thread, overlapping seqs
                records = index.records(texts("shared", 10, start), start)
                await index.write(ThreadWrite(ref="qoder:shared/t", provider="qoder", messages=records))

        async with anyio.create_task_group() as group:
            group.start_soon(writer, first, "one")
            group.start_soon(writer, second, "two")
        assert (await first.stats())["threads"] == 31
        shared = await second.messages("qoder:shared/t", limit=100)
        assert [m.seq for m in shared] == list(range(1, 36))
        assert (await first.search("thread")).total == 30


V1_THREAD = "INSERT INTO threads (ref, provider, title, status, complete) VALUES ('dms:old', 'dms', 'Old', 'failed', 1)"
V1_MESSAGE = """INSERT INTO messages (id, thread_id, seq, role, kinds, tools, lead, fold)
SELECT id * 16777216 + 1 + 8388608, id, 1, 'user', 1, 2, 'kept across the upgrade', 'kept across the upgrade'
FROM threads WHERE ref = 'dms:old'"""
V1_BODY = """INSERT INTO bodies (thread_id, seq, body)
SELECT id, 1, '{"seq": 1, "role": "user", "text": "kept across the upgrade"}' FROM threads WHERE ref = 'dms:old'"""


def v1_rows() -> Plan[None]:
    yield Stmt(V1_THREAD)
    yield Stmt(V1_MESSAGE)
    yield Stmt(V1_BODY)


async def test_an_index_of_the_first_schema_is_migrated_with_its_data(store: Store) -> None:
    if store.config.kind == "postgres":
        assert store.config.url is not None
        old: Any = await PostgresBackend.open(store.config.url, version=1)
    else:
        assert store.config.path is not None
        old = await SqliteBackend.open(store.config.path, version=1)
    await old.run(v1_rows, write=True)
    await old.close()
    async with store.open() as index:
        page = await index.search("upgrade")
        assert [(t.ref, t.hits[0].seq) for t in page.threads] == [("dms:old", 1)]
        assert (await index.failures()).groups == []  # the thread's own failure is new: known from its next write
        await index.write(ThreadWrite(ref="dms:old", provider="dms"))
        assert [g.code for g in (await index.failures()).groups] == ["status:failed"]
        digest = await index.digest("dms:old")
        assert digest is not None and (digest.messages, digest.tool_calls) == (1, 2)  # counted by the migration
        assert [m.text for m in await index.messages("dms:old")] == ["kept across the upgrade"]


def comparable(value: Any) -> Any:
    """A result without what differs by nature between two stores (sync times, where it lives)."""
    dumped = value.model_dump(mode="json")
    for provider in dumped["coverage"]["providers"]:
        del provider["oldest_sync"], provider["newest_sync"]
    return dumped


async def test_both_backends_answer_the_same(postgres: PgServer, tmp_path: Path) -> None:
    lite = IndexConfig("sqlite", path=tmp_path / "index.sqlite3")
    shared = IndexConfig("postgres", url=postgres.create_database())
    queries: list[dict[str, Any]] = [
        {"query": q} for q in ("磁盘扩容", "扩容", "replication lag", "executesql", "the", "-x", '"', "table", "zzz")
    ]
    queries += [{"errors_only": True}, {"roles": ["user"], "limit": 2, "offset": 2}, {"kinds": ["event"]}]
    answers: list[list[Any]] = []
    for config in (lite, shared):
        async with open_index(config, secrets=(SECRET,)) as index:
            assert index is not None
            await seed(index)
            found = [comparable(await index.search(**q)) for q in queries]
            found += [comparable(await index.failures(limit=2, offset=o)) for o in (0, 2)]
            found.append(await index.digests(["qoder:s1/t1", "dms:s2", "nope"]))
            found.append([m.model_dump() for m in await index.messages("rdsai:c4")])
            answers.append(found)
    assert answers[0] == answers[1]
