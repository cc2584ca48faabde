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
    """How a query's terms select messages: extra FROM text, WHERE conditions, and their parameters."""

    source: str
    where: list[str]
    params: list[Any]


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

    def match(self, terms: list[str]) -> Match:
        raise NotImplementedError


class SqliteDialect(Dialect):
    """FTS5 with the trigram tokenizer for terms of 3+ characters; ``instr`` over the same rows for shorter."""

    name = "sqlite"

    def time(self, value: datetime | None) -> Any:
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value else None

    def read_time(self, value: Any) -> datetime | None:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc) if value else None

    def match(self, terms: list[str]) -> Match:
        long = [t for t in terms if len(t) >= 3]
        where = ["instr(m.fold, ?) > 0" for t in terms if len(t) < 3]
        params: list[Any] = [t for t in terms if len(t) < 3]
        if not long:
            return Match("", where, params)
        phrase = " AND ".join('"' + t.replace('"', '""') + '"' for t in long)
        return Match("JOIN messages_fts f ON f.rowid = m.id", ["f.fold MATCH ?", *where], [phrase, *params])


class PostgresDialect(Dialect):
    """``LIKE`` on the folded text, served by a ``pg_trgm`` GIN index."""

    name = "postgres"
    least = "least"
    collate = ' COLLATE "C"'

    def read_time(self, value: Any) -> datetime | None:
        return value.astimezone(timezone.utc) if value is not None else None

    def match(self, terms: list[str]) -> Match:
        where = ["m.fold LIKE ? ESCAPE '\\'" for _ in terms]
        return Match("", where, [f"%{escape_like(t)}%" for t in terms])


def escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def one(rows: list[Row]) -> Row | None:
    return rows[0] if rows else None


def marks(values: Sequence[Any]) -> str:
    """``?, ?, ?`` for an IN list."""
    return ", ".join("?" for _ in values)
