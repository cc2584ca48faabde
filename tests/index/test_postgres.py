"""What only the shared PostgreSQL backend has: its locale check, replicas starting together, its errors."""

from __future__ import annotations

import sys

import anyio
import psycopg
import pytest

from agent_threads.errors import ConfigError
from agent_threads.index import IndexConfig, IndexStoreError, open_index
from agent_threads.index.postgres import PostgresBackend, safe_url
from agent_threads.index.sql import schema

from .pgserver import PgServer


async def test_a_database_whose_locale_cannot_index_chinese_is_refused_with_what_is_required(
    postgres: PgServer,
) -> None:
    url = postgres.create_database(ctype="C")
    with pytest.raises(ConfigError) as raised:
        async with open_index(IndexConfig("postgres", url=url)):
            pass
    text = raised.value.for_model()
    assert "LC_CTYPE C" in text and "LC_CTYPE 'C.UTF-8'" in text
    with psycopg.connect(url) as conn:  # nothing was created
        assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'agent_threads'").fetchone() == (0,)


async def test_replicas_starting_at_once_migrate_once(postgres: PgServer) -> None:
    url = postgres.create_database()
    opened: list[PostgresBackend] = []

    async def start() -> None:
        opened.append(await PostgresBackend.open(url))

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(start)
    for backend in opened:
        await backend.close()
    with psycopg.connect(url) as conn:
        version = conn.execute("SELECT value FROM agent_threads.meta WHERE key = 'schema_version'").fetchone()
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'agent_threads'").fetchone()
    assert version == (str(schema.VERSION),)
    assert tables == (5,)  # meta, threads, messages, bodies, provider_runs


async def test_the_sync_lock_is_held_by_one_replica_at_a_time(postgres: PgServer) -> None:
    url = postgres.create_database()
    one, two = await PostgresBackend.open(url), await PostgresBackend.open(url)
    try:
        assert await one.try_lock("qoder", "replica-1", 60)
        assert await one.try_lock("qoder", "replica-1", 60)  # renewing
        assert not await two.try_lock("qoder", "replica-2", 60)
        assert await two.try_lock("dms", "replica-2", 60)  # another provider
        await one.unlock("qoder", "replica-1")
        assert await two.try_lock("qoder", "replica-2", 60)
    finally:
        await one.close()
        await two.close()


async def test_an_unreachable_database_is_a_clear_error_without_its_password(postgres: PgServer) -> None:
    url = f"postgresql://someone:pa55word-xyz@127.0.0.1:{postgres.port}/no_such_database"
    with pytest.raises(IndexStoreError) as raised:
        await PostgresBackend.open(url, timeout=5)
    text = raised.value.for_model()
    assert "cannot be used" in text and "postgresql://someone:***@127.0.0.1" in text
    assert "pa55word-xyz" not in text
    assert safe_url("postgresql://u:p@h/d") == "postgresql://u:***@h/d"


async def test_without_psycopg_the_postgres_url_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(ConfigError) as raised:
        await PostgresBackend.open("postgresql://u@127.0.0.1:1/d")
    assert "pip install 'agent-threads-mcp[postgres]'" in raised.value.for_model()
