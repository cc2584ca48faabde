"""Plans that change the index: a thread write (upserts keyed by ref and by (thread, seq), so writers racing on
one thread neither duplicate nor lose rows), removal, sync-run notes and SQLite's lock rows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ... import failures
from ..model import IndexStoreError, ProviderRun
from ..records import MessageRecord, ThreadWrite
from . import MESSAGE_SPAN, Dialect, Plan, Row, Stmt

_UPSERT_THREAD = """INSERT INTO threads
    (ref, provider, title, status, kind, created, updated, running, usage, synced_at)
VALUES (?, ?, ?, ?, ?, ?, ?, coalesce(CAST(? AS INTEGER), 0), ?, ?)
ON CONFLICT (ref) DO UPDATE SET title = coalesce(excluded.title, threads.title),
    status = coalesce(excluded.status, threads.status), kind = coalesce(excluded.kind, threads.kind),
    created = coalesce(excluded.created, threads.created), updated = coalesce(excluded.updated, threads.updated),
    running = coalesce(CAST(? AS INTEGER), threads.running), usage = coalesce(excluded.usage, threads.usage),
    synced_at = coalesce(excluded.synced_at, threads.synced_at)
RETURNING id"""
_UPSERT_MESSAGE = """INSERT INTO messages (id, thread_id, seq, mid, time, role, author, kinds, tools, open, failure,
    fail_code, fail_pattern, fail_message, lead, fold)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (thread_id, seq) DO UPDATE SET mid = excluded.mid, time = excluded.time, role = excluded.role,
    author = excluded.author, kinds = excluded.kinds, tools = excluded.tools, open = excluded.open,
    failure = excluded.failure, fail_code = excluded.fail_code, fail_pattern = excluded.fail_pattern,
    fail_message = excluded.fail_message, lead = excluded.lead, fold = excluded.fold"""
_UPSERT_BODY = """INSERT INTO bodies (thread_id, seq, body) VALUES (?, ?, ?)
ON CONFLICT (thread_id, seq) DO UPDATE SET body = excluded.body"""
_AGGREGATES = """UPDATE threads SET (message_count, last_seq, first_time, last_time, tool_calls, failures) =
    (SELECT count(*), max(seq), min(time), max(time), coalesce(sum(tools), 0), coalesce(sum(failure), 0)
    FROM messages WHERE thread_id = ?) WHERE id = ?"""
_TURN = """UPDATE threads SET turn_seq = (SELECT max(seq) FROM messages WHERE thread_id = ? AND role = 'user'),
    sort_time = coalesce(updated, last_time, created) WHERE id = ?"""
_LAST_TURN = """SELECT m.seq, m.failure, m.open FROM messages m JOIN threads t ON t.id = m.thread_id
WHERE m.thread_id = ? AND m.seq >= coalesce(t.turn_seq, t.last_seq - 500) ORDER BY m.seq"""
_THREAD_FAILURE = """UPDATE threads SET fail_seq = ?, fail_code = ?, fail_pattern = ?, fail_message = ?,
    fail_time = (SELECT time FROM messages WHERE thread_id = ? AND seq = ?) WHERE id = ?"""


def write(d: Dialect, w: ThreadWrite, now: datetime) -> Plan[None]:
    """Upsert the thread and its messages, then bring its aggregates and its own failure up to date."""
    running = None if w.running is None else int(w.running)
    meta = (w.ref, w.provider, w.title, w.status, w.kind, d.time(w.created), d.time(w.updated))
    rows = yield Stmt(_UPSERT_THREAD, (*meta, running, w.usage, d.time(now) if w.synced else None, running))
    tid = rows[0][0]
    if w.replace or w.drop_after is not None:
        yield from _drop(tid, None if w.replace else w.drop_after)
    if w.messages:
        ordered = sorted(w.messages, key=lambda m: m.seq)
        yield Stmt(_UPSERT_MESSAGE, many=[_message_row(d, tid, m) for m in ordered])
        yield Stmt(_UPSERT_BODY, many=[(tid, m.seq, m.body) for m in ordered])
    if w.progress is not None:
        resume = json.dumps(w.progress.resume, default=str) if w.progress.resume is not None else None
        update = "UPDATE threads SET resume = ?, complete = ?, listed = coalesce(?, listed) WHERE id = ?"
        yield Stmt(update, (resume, int(w.progress.complete), w.progress.listed, tid))
    yield Stmt(_AGGREGATES, (tid, tid))
    yield Stmt(_TURN, (tid, tid))
    yield from _thread_failure(tid)


def _drop(tid: int, after: int | None) -> Plan[None]:
    """Drop a thread's messages (those after seq ``after`` when given)."""
    tail, params = (" AND seq > ?", (tid, after)) if after is not None else ("", (tid,))
    for table in ("bodies", "messages"):
        yield Stmt(f"DELETE FROM {table} WHERE thread_id = ?{tail}", params)


def _thread_failure(tid: int) -> Plan[None]:
    status = (yield Stmt("SELECT status FROM threads WHERE id = ?", (tid,)))[0][0]
    turn = [failures.TurnMessage(seq, bool(failed), open_) for seq, failed, open_ in (yield Stmt(_LAST_TURN, (tid,)))]
    found = failures.thread_failure(status, turn)
    seq, failure = found if found else (None, None)
    params = (failure.code, failure.pattern, failure.message) if failure else (None, None, None)
    yield Stmt(_THREAD_FAILURE, (seq, *params, tid, seq, tid))


def _message_row(d: Dialect, tid: int, m: MessageRecord) -> tuple[Any, ...]:
    f = m.failure
    fail = (1, f.code, f.pattern, f.message) if f else (0, None, None, None)
    if not -MESSAGE_SPAN // 2 <= m.seq < MESSAGE_SPAN // 2:
        raise IndexStoreError(f"Message #{m.seq} is beyond the {MESSAGE_SPAN // 2:,} a thread index keeps per thread.")
    head = (tid * MESSAGE_SPAN + m.seq + MESSAGE_SPAN // 2, tid, m.seq, m.mid, d.time(m.time), m.role, m.author)
    head = (*head, m.kinds, m.tools, m.open)
    return (*head, *fail, m.lead, m.fold)


def remove(ref: str) -> Plan[bool]:
    rows = yield Stmt("SELECT id FROM threads WHERE ref = ?", (ref,))
    if not rows:
        return False
    yield from _drop(rows[0][0], None)
    yield Stmt("DELETE FROM threads WHERE id = ?", (rows[0][0],))
    return True


_RUN = """INSERT INTO provider_runs (provider, started, finished, error, note, since, complete)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (provider) DO UPDATE SET started = excluded.started, finished = excluded.finished,
    error = excluded.error, note = excluded.note, since = excluded.since, complete = excluded.complete"""


def record_run(d: Dialect, run: ProviderRun) -> Plan[None]:
    yield Stmt(
        _RUN,
        (run.provider, d.time(run.started), d.time(run.finished), run.error, run.note, d.time(run.since),
         int(run.complete)),
    )  # fmt: skip


_LOCK = """INSERT INTO sync_locks (provider, owner, expires) VALUES (?, ?, ?)
ON CONFLICT (provider) DO UPDATE SET owner = excluded.owner, expires = excluded.expires
WHERE sync_locks.expires < ? OR sync_locks.owner = excluded.owner"""


def lock(d: Dialect, provider: str, owner: str, now: datetime, until: datetime) -> Plan[bool]:
    """Take (or renew) the provider's sync lease unless another owner holds an unexpired one."""
    yield Stmt(_LOCK, (provider, owner, d.time(until), d.time(now)))
    rows: Sequence[Row] = yield Stmt("SELECT owner FROM sync_locks WHERE provider = ?", (provider,))
    return bool(rows) and rows[0][0] == owner


def unlock(provider: str, owner: str) -> Plan[None]:
    yield Stmt("DELETE FROM sync_locks WHERE provider = ? AND owner = ?", (provider, owner))
