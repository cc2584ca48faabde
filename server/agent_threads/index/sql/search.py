"""The search plan: messages that match every term and the filters, grouped by thread.

Ranking, the same on every backend: a thread ranks by how many of its messages match, then by recency (the
vendor's updated time, else its newest message), then by ref; with no terms, by recency alone. Within a thread
the best few messages are shown: most occurrences of the terms first (at most 5 counted per term), then the
later. Counting per thread needs only which thread a match is in, which the message id tells (see
``MESSAGE_SPAN``): the full text of a message is read only for the threads on the page.
"""

from __future__ import annotations

from typing import Any

from ..model import Hit, ThreadHits
from ..query import Filters, SearchQuery, snippet
from ..records import message_from, search_text
from . import Dialect, Plan, Row, Stmt, marks

_PER_TERM = 5


def filter_sql(d: Dialect, f: Filters, at: str) -> tuple[list[str], list[Any]]:
    """Conditions on the thread ``t`` and the time expression ``at``."""
    where: list[str] = []
    params: list[Any] = []
    for cond, value in (("t.provider = ?", f.provider), (f"{at} >= ?", f.since), (f"{at} < ?", f.until)):
        if value is not None:
            where.append(cond)
            params.append(d.time(value) if not isinstance(value, str) else value)
    return where, params


def _message_filters(d: Dialect, q: SearchQuery) -> tuple[list[str], list[Any]]:
    """Conditions that need the message row (and its thread's, for a message without a time)."""
    where, params = filter_sql(d, Filters(None, q.filters.since, q.filters.until), "coalesce(m.time, t.sort_time)")
    if q.roles:
        where.append(f"m.role IN ({marks(q.roles)})")
        params.extend(q.roles)
    if q.kinds:
        where.append("(m.kinds & ?) <> 0")
        params.append(q.kinds)
    if q.errors_only:
        where.append("(m.failure = 1 OR t.fail_seq = m.seq)")
    return where, params


def _thread_filters(q: SearchQuery) -> tuple[list[str], list[Any]]:
    where, params = (["t.provider = ?"], [q.filters.provider]) if q.filters.provider else ([], [])
    if q.statuses:
        where.append(f"lower(t.status) IN ({marks(q.statuses)})")
        params.extend(s.lower() for s in q.statuses)
    return where, params


def _score(d: Dialect, terms: list[str]) -> str:
    each = [f"{d.least}((length(m.fold) - length(replace(m.fold, ?, ''))) / {len(t)}, {_PER_TERM})" for t in terms]
    return " + ".join(each) or "0"


_SQL = """WITH hit AS MATERIALIZED (SELECT {select} FROM {source} WHERE {where}),
ranked AS (SELECT tid, count(*) AS n FROM hit GROUP BY tid),
page AS (SELECT r.tid, r.n, count(*) OVER () AS total,
        row_number() OVER (ORDER BY {rank}t.sort_time DESC NULLS LAST, t.ref{collate}) AS pos
    FROM ranked r JOIN threads t ON t.id = r.tid WHERE {thread_where} ORDER BY pos LIMIT ? OFFSET ?),
top AS (SELECT m.id AS mid, m.thread_id AS tid, m.seq AS seq,
        row_number() OVER (PARTITION BY m.thread_id ORDER BY {score} DESC, m.seq DESC) AS rn
    FROM hit h JOIN messages m ON m.id = h.mid WHERE h.tid IN (SELECT tid FROM page))
SELECT p.total, p.n, t.ref, t.provider, t.title, t.status, t.sort_time, t.running,
    x.seq, m.role, m.time, b.body, m.fail_code, m.fail_pattern, t.fail_seq, t.fail_code, t.fail_pattern
FROM page p JOIN threads t ON t.id = p.tid JOIN top x ON x.tid = p.tid AND x.rn <= ?
JOIN messages m ON m.id = x.mid JOIN bodies b ON b.thread_id = m.thread_id AND b.seq = m.seq ORDER BY p.pos, x.rn"""


def search(d: Dialect, q: SearchQuery) -> Plan[tuple[list[ThreadHits], int]]:
    """One page of threads with their best hits, and how many threads match in all."""
    message_where, message_params = _message_filters(d, q)
    match = d.match(q.terms, joined=bool(message_where) or not q.terms)
    thread_where, thread_params = _thread_filters(q)
    sql = _SQL.format(
        select=match.select,
        source=match.source,
        where=" AND ".join(match.where + message_where) or "1 = 1",
        rank="r.n DESC, " if q.terms else "",
        thread_where=" AND ".join(thread_where) or "1 = 1",
        collate=d.collate,
        score=_score(d, q.terms),
    )
    params = [*match.params, *message_params, *thread_params, q.limit, q.offset, *q.terms, q.per_thread]
    rows = yield Stmt(sql, params)
    return _group(d, rows, q.terms), int(rows[0][0]) if rows else 0


def _group(d: Dialect, rows: list[Row], terms: list[str]) -> list[ThreadHits]:
    threads: list[ThreadHits] = []
    for _, n, ref, provider, title, status, when, running, *hit in rows:
        if not threads or threads[-1].ref != ref:
            threads.append(
                ThreadHits(
                    ref=ref,
                    provider=provider,
                    title=title,
                    status=status,
                    time=d.read_time(when),
                    running=bool(running),
                    matches=int(n),
                    hits=[],
                )  # fmt: skip
            )
        threads[-1].hits.append(_hit(d, hit, terms))
    return threads


def _hit(d: Dialect, row: list[Any], terms: list[str]) -> Hit:
    seq, role, when, body, code, pattern, thread_seq, thread_code, thread_pattern = row
    if code is None and thread_seq == seq:
        code, pattern = thread_code, thread_pattern
    failure = (f"{code}: {pattern}" if pattern else code) if code else None
    text = search_text(message_from(body))
    return Hit(seq=seq, role=role, time=d.read_time(when), snippet=snippet(text, terms), failure=failure)
