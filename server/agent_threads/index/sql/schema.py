"""The index's tables, as numbered migrations per backend. Version N is reached by applying 1…N in order; a
store newer than ``VERSION`` is refused (a newer server wrote it).

threads   one row per thread: metadata, sync progress (``resume``, ``complete``, ``listed``), aggregates, and the
          thread's own failure (status failed, or unfinished) when its last turn has none of its own
messages  one row per (thread, seq), its id ``thread id × 2^24 + seq + 2^23``: role, time, part kinds (a bit
          mask), failure, the folded searchable text
bodies    the redacted message as JSON, per (thread, seq): apart, so that scans and joins read narrow rows
provider_runs  the last sync of each provider: when, what failed, what its listing leaves out, from when on it
          listed (``since``) and whether it read everything it listed (``complete``: what a refresh window trusts)
sync_locks     (SQLite) one sync per provider at a time; PostgreSQL uses advisory locks instead
"""

from __future__ import annotations

VERSION = 3

_SQLITE_THREADS = """CREATE TABLE threads (
    id INTEGER PRIMARY KEY, ref TEXT NOT NULL UNIQUE, provider TEXT NOT NULL,
    title TEXT, status TEXT, kind TEXT, created TEXT, updated TEXT, sort_time TEXT,
    message_count INTEGER NOT NULL DEFAULT 0, last_seq INTEGER, turn_seq INTEGER,
    first_time TEXT, last_time TEXT, resume TEXT, complete INTEGER NOT NULL DEFAULT 0,
    running INTEGER NOT NULL DEFAULT 0, listed TEXT, synced_at TEXT)"""
_SQLITE_MESSAGES = """CREATE TABLE messages (
    id INTEGER PRIMARY KEY, thread_id INTEGER NOT NULL, seq INTEGER NOT NULL, mid TEXT, time TEXT,
    role TEXT NOT NULL, author TEXT, kinds INTEGER NOT NULL DEFAULT 0, tools INTEGER NOT NULL DEFAULT 0, open TEXT,
    failure INTEGER NOT NULL DEFAULT 0, fail_code TEXT, fail_pattern TEXT, fail_message TEXT,
    lead TEXT NOT NULL DEFAULT '', fold TEXT NOT NULL, UNIQUE (thread_id, seq))"""
_SQLITE_BODIES = """CREATE TABLE bodies (thread_id INTEGER NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (thread_id, seq)) WITHOUT ROWID"""
_FTS_DELETE = "INSERT INTO messages_fts (messages_fts, rowid, fold) VALUES ('delete', old.id, old.fold);"
_FTS_INSERT = "INSERT INTO messages_fts (rowid, fold) VALUES (new.id, new.fold);"
_BACKFILL = """UPDATE threads SET (tool_calls, failures) =
    (SELECT coalesce(sum(tools), 0), coalesce(sum(failure), 0) FROM messages WHERE thread_id = threads.id)"""

SQLITE: list[list[str]] = [
    [
        _SQLITE_THREADS,
        "CREATE INDEX threads_provider ON threads (provider, sort_time)",
        _SQLITE_MESSAGES,
        _SQLITE_BODIES,
        "CREATE VIRTUAL TABLE messages_fts USING fts5(fold, content='messages', content_rowid='id', "
        "tokenize='trigram case_sensitive 1')",
        f"CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN {_FTS_INSERT} END",
        f"CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN {_FTS_DELETE} END",
        "CREATE TRIGGER messages_au AFTER UPDATE OF fold ON messages WHEN old.fold IS NOT new.fold "
        f"BEGIN {_FTS_DELETE} {_FTS_INSERT} END",
    ],
    [
        "ALTER TABLE threads ADD COLUMN usage TEXT",
        "ALTER TABLE threads ADD COLUMN fail_seq INTEGER",
        "ALTER TABLE threads ADD COLUMN fail_time TEXT",
        "ALTER TABLE threads ADD COLUMN fail_code TEXT",
        "ALTER TABLE threads ADD COLUMN fail_pattern TEXT",
        "ALTER TABLE threads ADD COLUMN fail_message TEXT",
        "ALTER TABLE threads ADD COLUMN tool_calls INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE threads ADD COLUMN failures INTEGER NOT NULL DEFAULT 0",
        _BACKFILL,
        "CREATE INDEX messages_failures ON messages (fail_code, fail_pattern) WHERE failure = 1",
        "CREATE TABLE provider_runs (provider TEXT PRIMARY KEY, started TEXT, finished TEXT, error TEXT, note TEXT)",
        "CREATE TABLE sync_locks (provider TEXT PRIMARY KEY, owner TEXT NOT NULL, expires TEXT NOT NULL)",
    ],
    [
        "ALTER TABLE provider_runs ADD COLUMN since TEXT",
        "ALTER TABLE provider_runs ADD COLUMN complete INTEGER NOT NULL DEFAULT 0",
    ],
]

_PG_THREADS = """CREATE TABLE threads (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ref TEXT NOT NULL UNIQUE, provider TEXT NOT NULL,
    title TEXT, status TEXT, kind TEXT, created TIMESTAMPTZ, updated TIMESTAMPTZ, sort_time TIMESTAMPTZ,
    message_count INTEGER NOT NULL DEFAULT 0, last_seq INTEGER, turn_seq INTEGER,
    first_time TIMESTAMPTZ, last_time TIMESTAMPTZ, resume TEXT, complete INTEGER NOT NULL DEFAULT 0,
    running INTEGER NOT NULL DEFAULT 0, listed TEXT, synced_at TIMESTAMPTZ)"""
_PG_MESSAGES = """CREATE TABLE messages (
    id BIGINT PRIMARY KEY, thread_id BIGINT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, mid TEXT, time TIMESTAMPTZ, role TEXT NOT NULL, author TEXT, kinds INTEGER NOT NULL DEFAULT 0,
    tools INTEGER NOT NULL DEFAULT 0, open TEXT, failure INTEGER NOT NULL DEFAULT 0, fail_code TEXT,
    fail_pattern TEXT, fail_message TEXT, lead TEXT NOT NULL DEFAULT '', fold TEXT NOT NULL,
    UNIQUE (thread_id, seq))"""
_PG_BODIES = """CREATE TABLE bodies (thread_id BIGINT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (thread_id, seq))"""

POSTGRES: list[list[str]] = [
    [
        _PG_THREADS,
        "CREATE INDEX threads_provider ON threads (provider, sort_time)",
        _PG_MESSAGES,
        _PG_BODIES,
        "CREATE INDEX messages_fold ON messages USING gin (fold gin_trgm_ops)",
    ],
    [
        "ALTER TABLE threads ADD COLUMN usage TEXT, ADD COLUMN fail_seq INTEGER, ADD COLUMN fail_time TIMESTAMPTZ, "
        "ADD COLUMN fail_code TEXT, ADD COLUMN fail_pattern TEXT, ADD COLUMN fail_message TEXT, "
        "ADD COLUMN tool_calls INTEGER NOT NULL DEFAULT 0, ADD COLUMN failures INTEGER NOT NULL DEFAULT 0",
        _BACKFILL,
        "CREATE INDEX messages_failures ON messages (fail_code, fail_pattern) WHERE failure = 1",
        "CREATE TABLE provider_runs (provider TEXT PRIMARY KEY, started TIMESTAMPTZ, finished TIMESTAMPTZ, "
        "error TEXT, note TEXT)",
    ],
    ["ALTER TABLE provider_runs ADD COLUMN since TIMESTAMPTZ, ADD COLUMN complete INTEGER NOT NULL DEFAULT 0"],
]
