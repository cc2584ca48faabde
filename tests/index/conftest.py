"""Both backends from one suite: ``store`` is a fresh SQLite file or a fresh database on a real PostgreSQL that
this session starts on loopback. Without PostgreSQL installed its cases skip, except under CI=true, where they
fail."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent_threads.index import IndexConfig, ThreadIndex, open_index

from .pgserver import PgServer, bindir, running_postgres

CI = os.environ.get("CI", "").lower() in ("true", "1")
SECRET = "planted-credential-7f3a9c"
"""A configured credential the index must never store."""


@pytest.fixture(scope="session")
def postgres() -> Iterator[PgServer]:
    found = bindir()
    if found is None:
        reason = "PostgreSQL is not installed (no initdb; Debian: apt-get install postgresql)"
        if CI:
            pytest.fail(f"{reason}: CI must run the PostgreSQL cases")
        pytest.skip(reason)
    with running_postgres(found) as server:
        yield server


@dataclass
class Store:
    """One index store under test; ``open()`` may be called more than once (two processes, a restart)."""

    backend: str
    config: IndexConfig
    server: PgServer | None = None

    @asynccontextmanager
    async def open(self, secrets: tuple[str, ...] = (SECRET,)) -> AsyncIterator[ThreadIndex]:
        async with open_index(self.config, secrets=secrets) as index:
            assert index is not None
            yield index


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "sqlite":
        return Store("sqlite", IndexConfig("sqlite", path=tmp_path / "state" / "index.sqlite3"))
    server: PgServer = request.getfixturevalue("postgres")
    return Store("postgres", IndexConfig("postgres", url=server.create_database()), server)


@pytest.fixture
async def index(store: Store) -> AsyncIterator[ThreadIndex]:
    async with store.open() as opened:
        yield opened
