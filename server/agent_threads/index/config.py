"""Which index, from the environment: ``AGENT_THREADS_INDEX=off`` disables it; ``AGENT_THREADS_INDEX_URL`` names a
PostgreSQL database (``postgresql://…``) or a SQLite file (a path or ``sqlite:///path``); by default the file is
``$AGENT_THREADS_STATE_DIR/index.sqlite3``. ``AGENT_THREADS_REFRESH_WINDOW`` (seconds, default 30; 0 always
refreshes): a search's refresh does not list again a provider whose last complete sync ended that recently."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..errors import ConfigError

if TYPE_CHECKING:
    from .store import ThreadIndex

FILE_NAME = "index.sqlite3"
OFF_HINT = "The thread index is off (AGENT_THREADS_INDEX=off); unset it to index and search threads."
_OFF = ("off", "0", "false", "no", "none", "disabled")
REFRESH_WINDOW_S = 30.0


@dataclass(frozen=True)
class IndexConfig:
    kind: Literal["sqlite", "postgres", "off"]
    path: Path | None = None
    url: str | None = None
    fresh_for: float = REFRESH_WINDOW_S
    """Seconds a provider's complete sync stays fresh enough that a search's refresh does not list it again."""


def index_config(env: Mapping[str, str], state_dir: Path) -> IndexConfig:
    """Raises:
    ConfigError: ``AGENT_THREADS_INDEX_URL`` is neither a PostgreSQL URL nor a file, or the refresh window is not
    a number of seconds."""
    if env.get("AGENT_THREADS_INDEX", "").strip().lower() in _OFF:
        return IndexConfig("off")
    window = _window(env.get("AGENT_THREADS_REFRESH_WINDOW", "").strip())
    url = env.get("AGENT_THREADS_INDEX_URL", "").strip()
    if not url:
        return IndexConfig("sqlite", path=state_dir / FILE_NAME, fresh_for=window)
    if url.startswith(("postgresql://", "postgres://")):
        return IndexConfig("postgres", url=url, fresh_for=window)
    if url.startswith("sqlite:///"):
        return IndexConfig("sqlite", path=Path(url.removeprefix("sqlite://")), fresh_for=window)
    if "://" in url:
        raise ConfigError(
            "AGENT_THREADS_INDEX_URL must be postgresql://…, sqlite:///path or a file path; "
            f"got a {url.split(':')[0]}: URL."
        )
    return IndexConfig("sqlite", path=Path(url).expanduser(), fresh_for=window)


def _window(raw: str) -> float:
    try:
        seconds = float(raw) if raw else REFRESH_WINDOW_S
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86_400:
        raise ConfigError(
            f"AGENT_THREADS_REFRESH_WINDOW must be a number of seconds from 0 to 86400; got {raw!r}.",
            hint="0 lists every provider again on each search's refresh; the default is 30.",
        )
    return seconds


@asynccontextmanager
async def open_index(config: IndexConfig, *, secrets: Sequence[str] = ()) -> AsyncIterator[ThreadIndex | None]:
    """The configured index, open for the block (None when it is off); closed after it.

    Raises:
        ConfigError: PostgreSQL asked for without psycopg, or a database locale that cannot index CJK text.
        IndexStoreError: the store cannot be opened.
    """
    if config.kind == "off":
        yield None
        return
    if config.kind == "postgres":
        from .postgres import PostgresBackend

        assert config.url is not None
        backend = await PostgresBackend.open(config.url)
    else:
        from .sqlite import SqliteBackend

        assert config.path is not None
        backend = await SqliteBackend.open(config.path)
    from .store import ThreadIndex

    index = ThreadIndex(backend, secrets=secrets)
    try:
        yield index
    finally:
        await index.close()
