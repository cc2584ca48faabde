"""Which index the environment asks for."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from agent_threads.errors import ConfigError
from agent_threads.index import IndexConfig, index_config, open_index

STATE = Path("/state")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, IndexConfig("sqlite", path=STATE / "index.sqlite3")),
        ({"AGENT_THREADS_INDEX": "off"}, IndexConfig("off")),
        ({"AGENT_THREADS_INDEX": "OFF", "AGENT_THREADS_INDEX_URL": "postgresql://h/db"}, IndexConfig("off")),
        (
            {"AGENT_THREADS_INDEX_URL": "postgresql://u:p@h:5432/db"},
            IndexConfig("postgres", url="postgresql://u:p@h:5432/db"),
        ),
        ({"AGENT_THREADS_INDEX_URL": "postgres://h/db"}, IndexConfig("postgres", url="postgres://h/db")),
        (
            {"AGENT_THREADS_INDEX_URL": "sqlite:///var/lib/at/index.db"},
            IndexConfig("sqlite", path=Path("/var/lib/at/index.db")),
        ),
        ({"AGENT_THREADS_INDEX_URL": "/data/index.sqlite3"}, IndexConfig("sqlite", path=Path("/data/index.sqlite3"))),
    ],
)
def test_the_environment_picks_the_index(env: dict[str, str], expected: IndexConfig) -> None:
    assert index_config(env, STATE) == expected


def test_an_unknown_url_scheme_is_refused() -> None:
    with pytest.raises(ConfigError, match="postgresql://"):
        index_config({"AGENT_THREADS_INDEX_URL": "mysql://h/db"}, STATE)


async def test_an_index_turned_off_writes_nothing_and_loads_no_database_driver(tmp_path: Path) -> None:
    async with open_index(index_config({"AGENT_THREADS_INDEX": "off"}, tmp_path)) as index:
        assert index is None
    assert list(tmp_path.iterdir()) == []


def test_the_embedded_index_does_not_import_the_postgres_driver() -> None:
    import subprocess

    code = "import sys, agent_threads.index, agent_threads.index.sync; print('psycopg' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
