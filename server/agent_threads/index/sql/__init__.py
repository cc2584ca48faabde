"""The SQL of the thread index, written once for both backends as plans: generators that yield statements and
receive their rows. A backend only drives a plan inside one transaction (SQLite in a worker thread, PostgreSQL
on a pooled connection), so both run the same queries with the same ranking rules; what differs between them
(how a term is matched, how a time is stored) is a ``Dialect``."""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

T = TypeVar("T")
Row = tuple[Any, ...]


@dataclass(frozen=True)
class Stmt:
    """One statement with ``?`` placeholders; ``many`` runs it once per parameter row."""

    sql: str
    params: Sequence[Any] = ()
    many: Sequence[Sequence[Any]] | None = None


Plan = Generator[Stmt, list[Row], T]
PlanFactory = Callable[[], Plan[T]]


@dataclass(frozen=True)
class Match:
    """How a query's terms select messages: the SELECT list (``mid``, ``tid``), FROM, WHERE and parameters.
    A ``lean`` match reads neither the message nor the thread row (filters on them cannot be added)."""

    select: str
    source: str
    where: list[str]
    params: list[Any]
    lean: bool = False


MESSAGE_SPAN = 1 << 24
"""A message's id is its thread's id times this, plus its seq (offset to be positive): the id alone names the
thread, so a full-text match can be grouped by thread without reading the message."""
_FULL_SELECT = "m.id AS mid, m.thread_id AS tid"
_JOINED = "messages m JOIN threads t ON t.id = m.thread_id"


class Dialect:
    """What differs between the backends' SQL. Subclasses override the hooks."""

    name = "sql"
    least = "min"
    collate = ""
    """Appended to text ORDER BY keys so both order by code point."""

    def time(self, value: datetime | None) -> Any:
        return value

    def read_time(self, value: Any) -> datetime | None:
        return value

    def match(self, terms: list[str], *, joined: bool) -> Match:
        """Messages containing every term; ``joined``: with the thread ``t`` and message ``m`` rows to filter on."""
        raise NotImplementedError


class SqliteDialect(Dialect):
    """FTS5 with the trigram tokenizer for terms of 3+ characters; ``instr`` over the same rows for shorter."""

    name = "sqlite"

    def time(self, value: datetime | None) -> Any:
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value else None

    def read_time(self, value: Any) -> datetime | None:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc) if value else None

    def match(self, terms: list[str], *, joined: bool) -> Match:
        long = [t for t in terms if len(t) >= 3]
        short = [t for t in terms if len(t) < 3]
        where = ["instr(m.fold, ?) > 0" for _ in short]
        phrase = " AND ".join('"' + t.replace('"', '""') + '"' for t in long)
        if long and not short and not joined:
            select = f"f.rowid AS mid, f.rowid / {MESSAGE_SPAN} AS tid"
            return Match(select, "messages_fts f", ["f.fold MATCH ?"], [phrase], lean=True)
        if not long:
            return Match(_FULL_SELECT, _JOINED, where, short)
        source = "messages_fts f JOIN messages m ON m.id = f.rowid JOIN threads t ON t.id = m.thread_id"
        return Match(_FULL_SELECT, source, ["f.fold MATCH ?", *where], [phrase, *short])


class PostgresDialect(Dialect):
    """``LIKE`` on the folded text, served by a ``pg_trgm`` GIN index; ``strpos`` for terms under 3 characters,
    which the index cannot serve (a scan beats a walk of the whole index)."""

    name = "postgres"
    least = "least"
    collate = ' COLLATE "C"'

    def read_time(self, value: Any) -> datetime | None:
        return value.astimezone(timezone.utc) if value is not None else None

    def match(self, terms: list[str], *, joined: bool) -> Match:
        where = ["m.fold LIKE ? ESCAPE '\\'" if len(t) >= 3 else "strpos(m.fold, ?) > 0" for t in terms]
        params = [f"%{escape_like(t)}%" if len(t) >= 3 else t for t in terms]
        return Match(_FULL_SELECT, _JOINED if joined else "messages m", where, params, lean=not joined)


def escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def one(rows: list[Row]) -> Row | None:
    return rows[0] if rows else None


def marks(values: Sequence[Any]) -> str:
    """``?, ?, ?`` for an IN list."""
    return ", ".join("?" for _ in values)
