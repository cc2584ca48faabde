"""The search plan: messages that match every term and the filters, grouped by thread.

Ranking, the same on every backend: a message scores the occurrences of each term in it (at most 5 per term);
a thread ranks by its best message, then by recency (the vendor's updated time, else its newest message),
then by ref; within a thread the best few messages are shown, the later first on a tie.
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


def _conditions(d: Dialect, q: SearchQuery) -> tuple[list[str], list[Any]]:
    where, params = filter_sql(d, q.filters, "coalesce(m.time, t.sort_time)")
    if q.statuses:
        where.append(f"lower(t.status) IN ({marks(q.statuses)})")
        params.extend(s.lower() for s in q.statuses)
    if q.roles:
        where.append(f"m.role IN ({marks(q.roles)})")
        params.extend(q.roles)
    if q.kinds:
        where.append("(m.kinds & ?) <> 0")
        params.append(q.kinds)
    if q.errors_only:
        where.append("(m.failure = 1 OR t.fail_seq = m.seq)")
    return where, params


def _score(d: Dialect, terms: list[str]) -> str:
    each = [f"{d.least}((length(m.fold) - length(replace(m.fold, ?, ''))) / {len(t)}, {_PER_TERM})" for t in terms]
    return " + ".join(each) or "0"


_SQL = """WITH hit AS MATERIALIZED (
    SELECT m.id AS mid, m.thread_id AS tid, m.seq AS seq, {score} AS score
    FROM messages m {source} JOIN threads t ON t.id = m.thread_id WHERE {where}),
ranked AS (SELECT tid, max(score) AS best, count(*) AS n FROM hit GROUP BY tid),
page AS (SELECT r.tid, r.n, count(*) OVER () AS total,
        row_number() OVER (ORDER BY r.best DESC, t.sort_time DESC NULLS LAST, t.ref{collate}) AS pos
    FROM ranked r JOIN threads t ON t.id = r.tid ORDER BY pos LIMIT ? OFFSET ?),
top AS (SELECT h.mid, h.tid, h.seq, row_number() OVER (PARTITION BY h.tid ORDER BY h.score DESC, h.seq DESC) AS rn
    FROM hit h WHERE h.tid IN (SELECT tid FROM page))
SELECT p.total, p.n, t.ref, t.provider, t.title, t.status, t.sort_time, t.running,
    x.seq, m.role, m.time, m.body, m.fail_code, m.fail_pattern, t.fail_seq, t.fail_code, t.fail_pattern
FROM page p JOIN threads t ON t.id = p.tid JOIN top x ON x.tid = p.tid AND x.rn <= ?
JOIN messages m ON m.id = x.mid ORDER BY p.pos, x.rn"""


def search(d: Dialect, q: SearchQuery) -> Plan[tuple[list[ThreadHits], int]]:
    """One page of threads with their best hits, and how many threads match in all."""
    match = d.match(q.terms)
    where, params = _conditions(d, q)
    sql = _SQL.format(
        score=_score(d, q.terms),
        source=match.source,
        where=" AND ".join(match.where + where) or "1 = 1",
        collate=d.collate,
    )
    rows = yield Stmt(sql, [*q.terms, *match.params, *params, q.limit, q.offset, q.per_thread])
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
