"""Plans that read: failure groups, coverage, digests, drill-down pages and the sync state of threads."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ...transcript import Message
from ..model import Digest, FailureExample, FailureGroup, IndexedThread, ProviderCoverage, ProviderRun
from ..query import Filters
from ..records import ANSWER_ROLES, message_from
from . import Dialect, Plan, Row, Stmt, marks
from .search import filter_sql

_FAILURES = """WITH f AS MATERIALIZED (
    SELECT m.thread_id AS tid, m.seq AS seq, coalesce(m.time, t.sort_time) AS at, m.fail_code AS code,
        m.fail_pattern AS pattern, m.fail_message AS message
    FROM messages m JOIN threads t ON t.id = m.thread_id WHERE m.failure = 1 AND {where_m}
    UNION ALL
    SELECT t.id, t.fail_seq, coalesce(t.fail_time, t.sort_time), t.fail_code, t.fail_pattern, t.fail_message
    FROM threads t WHERE t.fail_code IS NOT NULL AND {where_t}),
g AS (SELECT code, pattern, count(*) AS n, count(DISTINCT tid) AS threads, min(at) AS first, max(at) AS last
    FROM f GROUP BY code, pattern),
page AS (SELECT g.*, count(*) OVER () AS total, row_number() OVER (
        ORDER BY threads DESC, n DESC, last DESC NULLS LAST, code{c}, pattern{c}) AS pos
    FROM g ORDER BY pos LIMIT ? OFFSET ?),
latest AS (SELECT f.*, row_number() OVER (PARTITION BY code, pattern, tid ORDER BY at DESC NULLS LAST, seq DESC) AS k
    FROM f),
ex AS (SELECT latest.*, row_number() OVER (
        PARTITION BY code, pattern ORDER BY at DESC NULLS LAST, tid, seq DESC) AS rn FROM latest WHERE k = 1)
SELECT p.total, p.code, p.pattern, p.n, p.threads, p.first, p.last, ex.tid, ex.seq, ex.at, ex.message, t.ref, t.title
FROM page p JOIN ex ON ex.code = p.code AND ex.pattern = p.pattern AND ex.rn <= 3 JOIN threads t ON t.id = ex.tid
ORDER BY p.pos, ex.rn"""
_ANSWER = f"""SELECT lead FROM messages WHERE thread_id = ? AND seq > ? AND role IN ({marks(ANSWER_ROLES)})
AND lead <> '' ORDER BY seq LIMIT 1"""


def failure_groups(d: Dialect, f: Filters, limit: int, offset: int) -> Plan[tuple[list[FailureGroup], int]]:
    where_m, params_m = filter_sql(d, f, "coalesce(m.time, t.sort_time)")
    where_t, params_t = filter_sql(d, f, "coalesce(t.fail_time, t.sort_time)")
    sql = _FAILURES.format(
        where_m=" AND ".join(where_m) or "1 = 1", where_t=" AND ".join(where_t) or "1 = 1", c=d.collate
    )
    rows = yield Stmt(sql, [*params_m, *params_t, limit, offset])
    groups: list[FailureGroup] = []
    for _, code, pattern, n, threads, first, last, tid, seq, at, message, ref, title in rows:
        if not groups or (groups[-1].code, groups[-1].pattern) != (code, pattern):
            answer = yield Stmt(_ANSWER, (tid, seq, *ANSWER_ROLES))
            group = FailureGroup(
                code=code, pattern=pattern, message=message or "", count=int(n), threads=int(threads),
                first_seen=d.read_time(first), last_seen=d.read_time(last), examples=[],
                answer=answer[0][0] if answer else None,
            )  # fmt: skip
            groups.append(group)
        groups[-1].examples.append(FailureExample(ref=ref, seq=seq, time=d.read_time(at), title=title))
    return groups, int(rows[0][0]) if rows else 0


_COVERAGE = """SELECT t.provider, count(*), coalesce(sum(t.message_count), 0), coalesce(sum(t.running), 0),
    coalesce(sum(1 - t.complete), 0), min(t.synced_at), max(t.synced_at)
FROM threads t {where} GROUP BY t.provider ORDER BY t.provider{c}"""
_RUNS = "SELECT provider, finished, error, note FROM provider_runs {where}"


def coverage(d: Dialect, provider: str | None) -> Plan[list[ProviderCoverage]]:
    where, params = ("WHERE t.provider = ?", [provider]) if provider else ("", [])
    rows = yield Stmt(_COVERAGE.format(where=where, c=d.collate), params)
    found = {
        p: ProviderCoverage(
            provider=p,
            threads=int(n),
            messages=int(msgs),
            running=int(run),
            incomplete=int(part),
            oldest_sync=d.read_time(old),
            newest_sync=d.read_time(new),
        )  # fmt: skip
        for p, n, msgs, run, part, old, new in rows
    }
    runs = yield Stmt(_RUNS.format(where=where.replace("t.", "")), params)
    for p, finished, error, note in runs:
        cov = found.setdefault(p, ProviderCoverage(provider=p))
        cov.last_run, cov.last_error, cov.note = d.read_time(finished), error, note
    return sorted(found.values(), key=lambda c: c.provider)


_RUN = "SELECT started, finished, error, note, since, complete FROM provider_runs WHERE provider = ?"


def last_run(d: Dialect, provider: str) -> Plan[ProviderRun | None]:
    rows = yield Stmt(_RUN, (provider,))
    if not rows:
        return None
    started, finished, error, note, since, complete = rows[0]
    return ProviderRun(
        provider=provider, started=d.read_time(started), finished=d.read_time(finished), error=error, note=note,
        since=d.read_time(since), complete=bool(complete),
    )  # fmt: skip


_DIGESTS = """SELECT t.ref, t.usage, t.message_count, t.tool_calls, t.failures, t.first_time, t.last_time,
    CASE WHEN t.fail_code IS NULL THEN 0 ELSE 1 END,
    (SELECT m.lead FROM messages m WHERE m.thread_id = t.id AND m.role IN ({roles}) AND m.lead <> ''
        ORDER BY m.seq DESC LIMIT 1)
FROM threads t WHERE t.ref IN ({refs})"""


def digests(d: Dialect, refs: Sequence[str]) -> Plan[dict[str, Digest]]:
    if not refs:
        return {}
    rows = yield Stmt(_DIGESTS.format(roles=marks(ANSWER_ROLES), refs=marks(refs)), [*ANSWER_ROLES, *refs])
    return {
        ref: Digest(
            ref=ref,
            messages=int(n),
            tool_calls=int(tools),
            failures=int(fails) + int(own),
            usage=usage,
            first_time=d.read_time(first),
            last_time=d.read_time(last),
            answer=_words(lead),
        )  # fmt: skip
        for ref, usage, n, tools, fails, first, last, own, lead in rows
    }


def _words(text: str | None, limit: int = 80) -> str | None:
    if not text:
        return None
    return text if len(text) <= limit else text[: text.rfind(" ", 0, limit) if " " in text[:limit] else limit] + "…"


def messages(ref: str, from_seq: int | None, limit: int) -> Plan[list[Message]]:
    sql = """SELECT b.body FROM bodies b JOIN threads t ON t.id = b.thread_id
    WHERE t.ref = ? AND b.seq >= ? ORDER BY b.seq LIMIT ?"""
    rows = yield Stmt(sql, (ref, from_seq if from_seq is not None else -(2**31), limit))
    return [message_from(body) for (body,) in rows]


_THREAD = """SELECT ref, provider, title, status, kind, created, updated, message_count, last_seq, resume, complete,
    running, listed, synced_at FROM threads WHERE {where}"""


def threads(d: Dialect, *, provider: str | None = None, ref: str | None = None) -> Plan[list[IndexedThread]]:
    where, params = ("provider = ?", [provider]) if provider is not None else ("ref = ?", [ref])
    rows = yield Stmt(_THREAD.format(where=where), params)
    return [_thread(d, row) for row in rows]


def _thread(d: Dialect, row: Row) -> IndexedThread:
    ref, provider, title, status, kind, created, updated, count, last, resume, complete, running, listed, at = row
    return IndexedThread(
        ref=ref, provider=provider, title=title, status=status, kind=kind, created=d.read_time(created),
        updated=d.read_time(updated), message_count=count, last_seq=last,
        resume=json.loads(resume) if resume else None, complete=bool(complete), running=bool(running),
        listed=listed, synced_at=d.read_time(at),
    )  # fmt: skip


def stats(d: Dialect) -> Plan[dict[str, Any]]:
    rows = yield Stmt("SELECT count(*), coalesce(sum(message_count), 0), count(DISTINCT provider) FROM threads")
    threads_, messages_, providers = rows[0]
    return {"backend": d.name, "threads": int(threads_), "messages": int(messages_), "providers": int(providers)}
