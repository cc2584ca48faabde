"""The embedded backend: one SQLite file (FTS5, trigram tokenizer), shared safely by several server processes.

WAL with a busy timeout lets two processes (two hosts on one laptop) read and write the same file; every write
is one ``BEGIN IMMEDIATE`` transaction, and writes of this process are serialized. Blocking calls run in worker
threads. The file is created 0600. A file that is not a database or is truncated is moved aside and rebuilt
with a warning; a full disk or a read-only file is an ``IndexStoreError`` (reads of what is there go on).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import struct
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TypeVar

import anyio
import anyio.to_thread

from .backend import drive
from .model import IndexStoreError
from .sql import Dialect, PlanFactory, Row, SqliteDialect, Stmt, schema, writes

T = TypeVar("T")
log = logging.getLogger("agent_threads.index")
BUSY_TIMEOUT_S = 10.0
_HEADER = b"SQLite format 3\x00"
_CORRUPT = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_STORE_ERRORS = {
    13: "the disk is full",
    8: "the file is read-only",
    14: "the file cannot be opened",
    3: "no permission",
}
_READERS = 4


class SqliteBackend:
    dialect: Dialect = SqliteDialect()

    def __init__(self, path: Path, clock: Callable[[], datetime]) -> None:
        self.path = path
        self.where = str(path)
        self.clock = clock
        self._writer: sqlite3.Connection | None = None
        self._readers: list[sqlite3.Connection] = []
        self._write_lock = anyio.Lock()
        self._limiter = anyio.CapacityLimiter(_READERS + 1)

    @classmethod
    async def open(cls, path: Path, *, version: int = schema.VERSION, clock: Callable[[], datetime] | None = None):
        """Open (creating, migrating, or rebuilding a corrupt file) the index at ``path``.

        Raises:
            IndexStoreError: the file cannot be created or written, or a newer server wrote it.
        """
        backend = cls(path, clock or (lambda: datetime.now(timezone.utc)))
        await anyio.to_thread.run_sync(backend._open, version, limiter=backend._limiter)
        return backend

    def _open(self, version: int) -> None:
        try:
            _prepare(self.path)
            if _damaged(self.path):
                self._move_aside("it is truncated or not a database")
            self._writer = self._migrated(version)
        except sqlite3.DatabaseError as e:
            if _code(e) not in _CORRUPT:
                raise self._store_error(e) from e
            self._move_aside(str(e))
            self._writer = self._migrated(version)

    def _migrated(self, version: int) -> sqlite3.Connection:
        conn = self._connect()
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # a damaged schema page raises here
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        if current > schema.VERSION:
            conn.close()
            raise IndexStoreError(
                f"The thread index {self.path} has schema version {current}; this server knows up to {schema.VERSION}.",
                hint="Upgrade agent-threads-mcp, or delete the file to rebuild the index.",
            )
        for number in range(current + 1, version + 1):
            conn.execute("BEGIN IMMEDIATE")
            for statement in schema.SQLITE[number - 1]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        return conn

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    def _move_aside(self, reason: str) -> None:
        self._close_all()
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                source.replace(f"{aside}{suffix}")
        log.warning("thread index %s was unreadable (%s): moved to %s and rebuilt", self.path, reason, aside)
        _prepare(self.path)

    async def run(self, plan: PlanFactory[T], *, write: bool = False) -> T:
        if write:
            async with self._write_lock:
                return await anyio.to_thread.run_sync(self._run, plan, True, limiter=self._limiter)
        return await anyio.to_thread.run_sync(self._run, plan, False, limiter=self._limiter)

    def _run(self, plan: PlanFactory[T], write: bool) -> T:
        try:
            return self._transaction(plan, write)
        except sqlite3.DatabaseError as e:
            if _code(e) not in _CORRUPT:
                raise self._store_error(e) from e
            self._move_aside(str(e))
            self._writer = self._migrated(schema.VERSION)
            return self._transaction(plan, write)

    def _transaction(self, plan: PlanFactory[T], write: bool) -> T:
        conn = self._writer if write else (self._readers.pop() if self._readers else self._connect())
        assert conn is not None, "the index is closed"
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            result = drive(plan(), lambda stmt: _execute(conn, stmt))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            if not write:
                self._readers.append(conn)
        return result

    def _store_error(self, e: sqlite3.DatabaseError) -> IndexStoreError:
        what = _STORE_ERRORS.get(_code(e) or 0, str(e))
        return IndexStoreError(f"The thread index {self.path} cannot be used: {what} ({e}).")

    async def try_lock(self, provider: str, owner: str, ttl: float) -> bool:
        now = self.clock()
        return await self.run(
            lambda: writes.lock(self.dialect, provider, owner, now, now + timedelta(seconds=ttl)), write=True
        )

    async def unlock(self, provider: str, owner: str) -> None:
        await self.run(lambda: writes.unlock(provider, owner), write=True)

    async def close(self) -> None:
        async with self._write_lock:
            await anyio.to_thread.run_sync(self._close_all, limiter=self._limiter)

    def _close_all(self) -> None:
        for conn in [*self._readers, *([self._writer] if self._writer else [])]:
            conn.close()
        self._readers.clear()
        self._writer = None


def _execute(conn: sqlite3.Connection, stmt: Stmt) -> list[Row]:
    if stmt.many is not None:
        conn.executemany(stmt.sql, stmt.many)
        return []
    return conn.execute(stmt.sql, tuple(stmt.params)).fetchall()


def _prepare(path: Path) -> None:
    """The state dir (0700) and an empty file (0600) before SQLite creates one with the process umask."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def _damaged(path: Path) -> bool:
    """A file that does not start as a database, or is shorter than its header says (checked only with no WAL
    beside it, since pages may still sit there)."""
    size = path.stat().st_size
    if size == 0:
        return False
    with path.open("rb") as f:
        head = f.read(100)
    if len(head) < 100 or not head.startswith(_HEADER):
        return True
    page_size = struct.unpack(">H", head[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    pages = struct.unpack(">I", head[28:32])[0]
    wal = Path(f"{path}-wal")
    return not (wal.exists() and wal.stat().st_size) and size < pages * page_size


def _code(e: sqlite3.DatabaseError) -> int | None:
    code = getattr(e, "sqlite_errorcode", None)  # Python 3.11+
    if code is not None:
        return int(code) & 0xFF
    text = str(e).lower()
    for needle, value in (("malformed", 11), ("not a database", 26), ("disk is full", 13), ("readonly", 8)):
        if needle in text:
            return value
    return None
