"""The embedded file: permissions, sharing between processes, damage, a full disk, a read-only store."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from agent_threads.index import IndexConfig, IndexStoreError, open_index
from agent_threads.index.records import ThreadWrite
from agent_threads.index.sql import Plan, Stmt
from agent_threads.index.store import ThreadIndex
from agent_threads.index.sync import sync
from agent_threads.transcript import Message

from .corpus import seed
from .fakes import ScriptedProvider

CHILD = """
import sys, anyio
from pathlib import Path
from agent_threads.index import IndexConfig, open_index
from agent_threads.index.records import ThreadWrite
from agent_threads.transcript import Message

async def main() -> None:
    async with open_index(IndexConfig("sqlite", path=Path(sys.argv[1]))) as index:
        for i in range(int(sys.argv[2])):
            records = index.records([Message(role="user", text=f"child wrote {i}")], 0)
            await index.write(ThreadWrite(ref=f"qoder:child/{i}", provider="qoder", messages=records))

anyio.run(main)
"""


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "index.sqlite3"


async def write_text(index: ThreadIndex, ref: str, text: str) -> None:
    await index.write(
        ThreadWrite(ref=ref, provider=ref.split(":")[0], messages=index.records([Message(role="user", text=text)], 0))
    )


def pragma(*statements: str) -> Plan[list[object]]:
    found: list[object] = []
    for statement in statements:
        rows = yield Stmt(statement)
        found.extend(r[0] for r in rows)
    return found


async def test_the_file_is_private_and_in_wal_mode(path: Path) -> None:
    async with open_index(IndexConfig("sqlite", path=path)) as index:
        assert index is not None
        assert await index.backend.run(lambda: pragma("PRAGMA journal_mode", "PRAGMA user_version")) == ["wal", 3]
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


async def test_two_processes_write_one_file_at_once(path: Path) -> None:
    async with open_index(IndexConfig("sqlite", path=path)) as index:
        assert index is not None
        child = await anyio.open_process([sys.executable, "-c", CHILD, str(path), "150"], stderr=subprocess.PIPE)
        written = 0
        with anyio.fail_after(120):
            while child.returncode is None or written < 20:  # keep writing for as long as the child does
                await write_text(index, f"qoder:parent/{written}", f"parent wrote {written}")
                written += 1
            await child.wait()
        assert child.returncode == 0, (await child.stderr.receive()).decode() if child.stderr else ""
        assert (await index.search("child wrote")).total == 150
        assert (await index.search("parent wrote")).total == written
        assert (await index.stats())["threads"] == 150 + written


async def test_a_file_that_is_not_a_database_is_moved_aside_and_rebuilt(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not an index\n" * 500)
    async with open_index(IndexConfig("sqlite", path=path)) as index:
        assert index is not None
        await write_text(index, "dms:s", "after the rebuild")
        assert (await index.search("rebuild")).total == 1
    aside = [p for p in path.parent.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not an index")
    assert "moved to" in caplog.text and "rebuilt" in caplog.text


async def test_a_truncated_file_is_rebuilt(path: Path) -> None:
    async with open_index(IndexConfig("sqlite", path=path)) as index:
        assert index is not None
        await seed(index)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    async with open_index(IndexConfig("sqlite", path=path)) as index:
        assert index is not None
        assert (await index.search()).total == 0
        await seed(index)
        assert (await index.search("扩容")).total == 1


async def test_a_damaged_page_found_by_a_search_rebuilds_the_index(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_index(IndexConfig("sqlite", path=path)) as index:
        assert index is not None
        await seed(index)
    data = bytearray(path.read_bytes())
    data[4096 * 2 :] = b"\xff" * (len(data) - 4096 * 2)  # keep the header and schema page, damage the rest
    path.write_bytes(bytes(data))
    async with open_index(IndexConfig("sqlite", path=path)) as index:
        assert index is not None
        page = await index.search("replication")
        assert page.total == 0
        await write_text(index, "dms:s", "written after the damage")
        assert (await index.search("damage")).total == 1
    assert "rebuilt" in caplog.text


async def test_a_full_disk_fails_writes_clearly_while_searches_go_on(path: Path) -> None:
    async with open_index(IndexConfig("sqlite", path=path)) as index:
        assert index is not None
        await seed(index)
        await index.backend.run(lambda: _cap_size(), write=True)
        with pytest.raises(IndexStoreError, match="the disk is full") as raised:
            await write_text(index, "dms:big", "x" * 200_000)
        assert "Reading threads from the vendors still works" in raised.value.for_model()
        assert (await index.search("扩容")).total == 1


def _cap_size() -> Plan[None]:
    rows = yield Stmt("PRAGMA page_count")
    yield Stmt(f"PRAGMA max_page_count = {rows[0][0]}")


async def test_a_read_only_store_fails_writes_clearly_while_searches_go_on(path: Path) -> None:
    async with open_index(IndexConfig("sqlite", path=path)) as index:
        assert index is not None
        await seed(index)
        await index.backend.run(lambda: pragma("PRAGMA query_only = 1"), write=True)
        with pytest.raises(IndexStoreError, match="read-only"):
            await write_text(index, "dms:new", "not written")
        assert (await index.search("扩容")).total == 1


async def test_a_file_from_a_newer_server_is_refused_not_rewritten(path: Path) -> None:
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(IndexStoreError, match="schema version 99"):
        async with open_index(IndexConfig("sqlite", path=path)):
            pass
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 99


async def test_a_sync_into_a_full_disk_reports_it_and_returns(path: Path) -> None:
    vendor = ScriptedProvider()
    vendor.add("s/big", ["x" * 50_000 + str(i) for i in range(20)])
    async with open_index(IndexConfig("sqlite", path=path)) as index:
        assert index is not None
        await index.backend.run(lambda: _cap_size(), write=True)
        result = (await sync(index, [vendor])).providers[0]
        assert result.error is not None and "the disk is full" in result.error
        assert result.not_refreshed == ["qoder:s/big"]
