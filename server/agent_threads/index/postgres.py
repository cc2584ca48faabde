"""The shared backend: PostgreSQL through psycopg 3 (async) and a connection pool, for a team's replicas.

Tables live in the schema ``agent_threads``; the server creates and migrates them under an advisory lock, so
replicas starting at once migrate once. Content search uses ``pg_trgm`` GIN indexes, which extract trigrams
from Chinese and Japanese text only under a UTF-8 database with a UTF-8 ``LC_CTYPE`` (e.g. ``C.UTF-8``):
another locale is refused at start with what is required. One sync per provider at a time: a session-level
advisory lock held on a pooled connection (released if the replica dies). psycopg is imported only here, and
this module only when a ``postgresql://`` URL is configured.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

import anyio
from typing_extensions import LiteralString

from ..errors import ConfigError
from .model import IndexStoreError
from .sql import Dialect, Plan, PlanFactory, PostgresDialect, Row, Stmt, schema

if TYPE_CHECKING:
    from psycopg import AsyncConnection
    from psycopg_pool import AsyncConnectionPool

T = TypeVar("T")
SCHEMA = "agent_threads"
_PROBE = "磁盘扩容"
_REQUIRED = (
    "Create the database with UTF-8 encoding and a UTF-8 locale, e.g. CREATE DATABASE agent_threads "
    "ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0."
)


def safe_url(url: str) -> str:
    """The URL without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class PostgresBackend:
    dialect: Dialect = PostgresDialect()

    def __init__(self, pool: AsyncConnectionPool[Any], url: str) -> None:
        self.pool = pool
        self.where = safe_url(url)
        self._url = url
        self._locks: dict[str, str] = {}
        self._lock_conn: AsyncConnection[Any] | None = None
        self._guard = anyio.Lock()

    @classmethod
    async def open(
        cls, url: str, *, version: int = schema.VERSION, max_size: int = 4, timeout: int = 10
    ) -> PostgresBackend:
        """Connect, check the locale, create or migrate the schema.

        Raises:
            ConfigError: psycopg is not installed, or the database's locale cannot index CJK text.
            IndexStoreError: the database cannot be reached or written.
        """
        try:
            import psycopg
            from psycopg_pool import AsyncConnectionPool
        except ImportError as e:
            raise ConfigError(
                "AGENT_THREADS_INDEX_URL names a PostgreSQL database, but psycopg is not installed.",
                hint="Install the extra: pip install 'agent-threads-mcp[postgres]'.",
            ) from e
        pool = AsyncConnectionPool(
            url, min_size=1, max_size=max_size, open=False, configure=_configure, kwargs={"autocommit": True}
        )
        backend = cls(pool, url)
        try:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=timeout) as conn:
                await _configure(conn)  # one connection first: a wrong URL fails at once, with the server's words
                await backend._migrate(conn, version)
            await pool.open(wait=True, timeout=timeout)
        except psycopg.Error as e:
            await pool.close()
            raise backend.store_error(e) from e
        except (ConfigError, IndexStoreError):
            await pool.close()
            raise
        return backend

    async def _migrate(self, conn: AsyncConnection[Any], version: int) -> None:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('agent_threads.schema'))")
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            await _check_locale(conn)
            await conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            row = await (await conn.execute("SELECT value FROM meta WHERE key = 'schema_version'")).fetchone()
            current = int(row[0]) if row else 0
            if current > schema.VERSION:
                raise IndexStoreError(
                    f"The shared thread index at {self.where} has schema version {current}; this server knows up "
                    f"to {schema.VERSION}.",
                    hint="Upgrade agent-threads-mcp on every replica.",
                )
            for number in range(current + 1, version + 1):
                for statement in schema.POSTGRES[number - 1]:
                    await conn.execute(cast(LiteralString, statement))
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(max(current, version)),),
            )

    async def run(self, plan: PlanFactory[T], *, write: bool = False) -> T:
        import psycopg

        try:
            async with self.pool.connection() as conn, conn.transaction():
                return await _drive(conn, plan())
        except psycopg.Error as e:
            raise self.store_error(e) from e

    def store_error(self, e: Exception) -> IndexStoreError:
        state = getattr(getattr(e, "diag", None), "sqlstate", None)
        detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return IndexStoreError(
            f"The shared thread index at {self.where} cannot be used: {detail}"
            + (f" (SQLSTATE {state})" if state else "")
        )

    async def try_lock(self, provider: str, owner: str, ttl: float) -> bool:
        import psycopg

        async with self._guard:
            held = self._locks.get(provider)
            if held is not None:
                return held == owner
            try:
                conn = await self._locker()
                query = "SELECT pg_try_advisory_lock(hashtext(%s))"
                row = await (await conn.execute(query, (_lock_key(provider),))).fetchone()
            except psycopg.Error as e:
                raise self.store_error(e) from e
            if row and row[0]:
                self._locks[provider] = owner
            return self._locks.get(provider) == owner

    async def _locker(self) -> AsyncConnection[Any]:
        """The one session that holds this process's sync locks (they end with it, e.g. if the process dies)."""
        import psycopg

        if self._lock_conn is None or self._lock_conn.closed:
            self._lock_conn = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
        return self._lock_conn

    async def unlock(self, provider: str, owner: str) -> None:
        async with self._guard:
            if self._locks.get(provider) != owner or self._lock_conn is None:
                return
            del self._locks[provider]
            await self._lock_conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (_lock_key(provider),))

    async def close(self) -> None:
        if self._lock_conn is not None:
            await self._lock_conn.close()  # ends the session: its locks go with it
        self._locks.clear()
        await self.pool.close()


def _lock_key(provider: str) -> str:
    return f"agent_threads.sync:{provider}"


async def _configure(conn: AsyncConnection[Any]) -> None:
    await conn.execute(f"SET search_path TO {SCHEMA}, public")


async def _check_locale(conn: AsyncConnection[Any]) -> None:
    query = (
        "SELECT cardinality(show_trgm(%s)), current_setting('server_encoding'), "
        "(SELECT datctype FROM pg_database WHERE datname = current_database())"
    )
    row = await (await conn.execute(query, (_PROBE,))).fetchone()
    trigrams, encoding, ctype = row if row else (0, "?", "?")
    if not trigrams or encoding != "UTF8":
        raise ConfigError(
            f"The PostgreSQL database for the thread index has encoding {encoding} and LC_CTYPE {ctype}: pg_trgm "
            "extracts no trigrams from Chinese or Japanese text there, so their substrings could not be searched.",
            hint=_REQUIRED,
        )


async def _drive(conn: AsyncConnection[Any], plan: Plan[T]) -> T:
    try:
        stmt = next(plan)
        while True:
            stmt = plan.send(await _execute(conn, stmt))
    except StopIteration as stop:
        return stop.value


async def _execute(conn: AsyncConnection[Any], stmt: Stmt) -> list[Row]:
    sql = cast(LiteralString, stmt.sql.replace("%", "%%").replace("?", "%s"))
    async with conn.cursor() as cur:
        if stmt.many is not None:
            await cur.executemany(sql, cast(Sequence[Sequence[Any]], stmt.many))
            return []
        await cur.execute(sql, tuple(stmt.params))
        return list(await cur.fetchall()) if cur.description else []
