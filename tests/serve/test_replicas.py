"""Two replicas of the HTTP service as a team runs them: separate processes, one shared PostgreSQL index, one
cursor key, one sandbox cloud as the vendors. A client may reach either on each call and sees one service."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
from anyio.abc import Process
from mcp import Client

from agent_threads.http import RetryPolicy
from agent_threads.index import IndexConfig, ThreadIndex, open_index
from agent_threads.index.sync import sync
from agent_threads.providers import create
from agent_threads.sandbox import Sandbox

from ..conftest import sandbox_settings
from ..fakes import page_cursor, result_text
from ..index.conftest import postgres
from ..index.pgserver import PgServer
from .conftest import TOKEN, ServerProcess, clean_env, mcp_client, server_process

__all__ = ["postgres"]
CURSOR_KEY = "replicas-share-this-cursor-key-0123456789abcdef"
THREAD = "qoder:sess_019e0000000000000000000000000d01/sthr_019e00000000000000000000000d0c01"
"""A long thread: several pages."""


def _env(tmp_path: Path, sandbox: Sandbox, url: str, name: str, **extra: str) -> dict[str, str]:
    shared = {"AGENT_THREADS_INDEX_URL": url, "AGENT_THREADS_CURSOR_KEY": CURSOR_KEY, "AGENT_THREADS_HTTP_TOKEN": TOKEN}
    own = {"AGENT_THREADS_STATE_DIR": str(tmp_path / name / "state"), "AGENT_THREADS_LOG_LEVEL": "INFO"}
    return clean_env(tmp_path / name, **sandbox.env()) | shared | own | extra


@asynccontextmanager
async def replicas(tmp_path: Path, sandbox: Sandbox, url: str, **extra: str) -> AsyncIterator[list[Client]]:
    """Two server processes started at once (both migrate the new database), a client for each."""
    command = [sys.executable, "-m", "agent_threads", "--transport", "http", "--port", "0"]
    async with anyio.create_task_group() as tg, AsyncExitStack() as stack:  # processes stop before collectors
        servers: list[ServerProcess] = []
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            env = _env(tmp_path, sandbox, url, name, **extra)
            process = await anyio.open_process(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=env)
            await stack.enter_async_context(process)
            stack.push_async_callback(_stop, process)
            servers.append(ServerProcess(process))
            tg.start_soon(servers[-1].collect)
        bases = [(await s.wait_for(r"serving MCP at (http://\S+)/mcp")).group(1) for s in servers]
        yield [await stack.enter_async_context(mcp_client(base)) for base in bases]


async def _stop(process: Process) -> None:
    if process.returncode is None:
        process.kill()
    await process.wait()


async def _call(client: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result_text(result)
    return result.structured_content or {}


async def _pages(clients: Sequence[Client], tool: str, args: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every page of a tool's answer (text and structured content, if any), the n-th page asked of
    ``clients[n % len(clients)]`` with the cursor the page before gave; the cursors themselves left out (each
    replica seals its own)."""
    pages: list[tuple[str, dict[str, Any]]] = []
    cursor: str | None = None
    with anyio.fail_after(120):
        while len(pages) < 50:
            result = await clients[len(pages) % len(clients)].call_tool(
                tool, args | ({"cursor": cursor} if cursor else {})
            )
            assert not result.is_error, result_text(result)
            found = dict(result.structured_content or {})
            text, cursor = result_text(result), found.pop("next_cursor", None) or page_cursor(result)
            pages.append((text.replace(cursor, "CURSOR") if cursor else text, found))
            if cursor is None:
                break
    return pages


async def test_a_client_alternating_between_replicas_pages_searches_and_finds_failures_as_on_one(
    tmp_path: Path, sandbox: Sandbox, postgres: PgServer
) -> None:
    async with replicas(tmp_path, sandbox, postgres.create_database()) as (a, b):
        before = await _call(b, "search_threads", {"query": "orders", "refresh": False})
        assert before["total"] == 0
        await _call(a, "search_threads", {"query": "orders"})  # a's refresh syncs every provider
        asked: dict[str, tuple[str, dict[str, Any]]] = {
            "thread": ("get_thread_messages", {"thread": THREAD, "limit": 40}),
            "search": ("search_threads", {"query": "orders", "limit": 2, "refresh": False}),
            "failures": ("find_failures", {"limit": 2, "refresh": False}),
        }
        for what, (tool, args) in asked.items():
            alone, alternating, other = [await _pages(clients, tool, args) for clients in ([a], [a, b], [b])]
            assert len(alone) >= 3, what
            assert alternating == alone == other, what
        synced_by_a = await _call(b, "search_threads", {"query": "orders", "refresh": False})
        assert synced_by_a["total"] > 0


async def test_two_replicas_syncing_at_once_neither_duplicate_nor_lose_a_message(
    tmp_path: Path, sandbox: Sandbox, postgres: PgServer
) -> None:
    url = postgres.create_database()
    async with replicas(tmp_path, sandbox, url, AGENT_THREADS_REFRESH_WINDOW="0") as clients:
        notes: list[str] = []

        async def refresh(client: Client) -> None:
            result = await client.call_tool("search_threads", {"query": "orders"})
            assert not result.is_error, result_text(result)
            notes.append(result_text(result).splitlines()[1])

        with anyio.fail_after(120):
            async with anyio.create_task_group() as tg:
                for client in clients:
                    tg.start_soon(refresh, client)
    assert all(note.startswith("refreshed: ") and "not refreshed" not in note for note in notes), notes
    async with open_index(IndexConfig("postgres", url=url)) as shared, reference(tmp_path, sandbox) as alone:
        assert shared is not None
        assert await _counts(shared) == await _counts(alone)


@asynccontextmanager
async def reference(tmp_path: Path, sandbox: Sandbox) -> AsyncIterator[ThreadIndex]:
    """The same vendors synced once, by one process, into an index of its own."""
    settings = sandbox_settings(sandbox, AGENT_THREADS_STATE_DIR=str(tmp_path / "reference"))
    vendors = [create(p, settings.timeouts, RetryPolicy()) for p in settings.providers]
    async with open_index(IndexConfig("sqlite", path=tmp_path / "reference" / "index.sqlite3")) as index:
        assert index is not None
        try:
            await sync(index, vendors)
        finally:
            for vendor in vendors:
                await vendor.client.aclose()
        yield index


async def _counts(index: ThreadIndex) -> dict[str, tuple[int, bool]]:
    """Per thread: its messages and whether it was read to its end (DataAgent's listing is each process's own
    catalog, so it is left out)."""
    found: dict[str, tuple[int, bool]] = {}
    for provider in ("qoder", "cms", "starops", "dms", "rdsai"):
        found |= {ref: (t.message_count, t.complete) for ref, t in (await index.threads(provider)).items()}
    assert found
    return found


async def test_readyz_names_the_index_when_its_database_is_gone_and_nothing_else(
    tmp_path: Path, sandbox: Sandbox, postgres: PgServer
) -> None:
    url = postgres.create_database()
    (tmp_path / "a").mkdir()
    async with server_process(env=_env(tmp_path, sandbox, url, "a")) as server, httpx.AsyncClient() as http:
        ready = await http.get(f"{server.url}/readyz")
        await _drop(postgres, url)
        gone = await http.get(f"{server.url}/readyz")
        alive = await http.get(f"{server.url}/healthz")
    assert ready.status_code == 200 and alive.status_code == 200
    assert (gone.status_code, gone.json()) == (503, {"status": "not ready", "failing": ["index"]})
    for hidden in ("postgres", "127.0.0.1", str(postgres.port), url.rsplit("/", 1)[1], TOKEN):
        assert hidden not in gone.text + str(gone.headers)


async def test_a_replica_that_cannot_reach_the_index_at_start_serves_but_is_not_ready(
    tmp_path: Path, sandbox: Sandbox, postgres: PgServer
) -> None:
    url = postgres.create_database()
    await _drop(postgres, url)
    (tmp_path / "a").mkdir()
    async with server_process(env=_env(tmp_path, sandbox, url, "a")) as server, httpx.AsyncClient() as http:
        gone = await http.get(f"{server.url}/readyz")
        async with mcp_client(server.url) as client:
            listed = await client.call_tool("list_threads", {"provider": "dms"})
            search = await client.call_tool("search_threads", {"query": "orders"})
    assert (gone.status_code, gone.json()["failing"]) == (503, ["index"])
    assert not listed.is_error and search.is_error and "could not be opened" in result_text(search)


async def _drop(server: PgServer, url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    async with await psycopg.AsyncConnection.connect(server.url(), autocommit=True) as conn:
        await conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
