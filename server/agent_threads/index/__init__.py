"""The thread index: every thread the server has synced or read, searchable across providers, stored redacted.

Backends (one ``Backend`` protocol; all SQL lives in ``index/sql`` and the two backend modules):
embedded SQLite (FTS5, trigram tokenizer) in ``$AGENT_THREADS_STATE_DIR/index.sqlite3``, or a shared PostgreSQL
(``pg_trgm``) named by ``AGENT_THREADS_INDEX_URL=postgresql://…`` (the ``postgres`` extra); ``AGENT_THREADS_INDEX=off``
turns it off. Both run the same SQL plans, so a query answers the same on either.

Opening::

    config = index_config(env, settings.state_dir)        # IndexConfig("sqlite" | "postgres" | "off", …)
    async with open_index(config, secrets=app.secrets()) as index:   # ThreadIndex | None (off)
        ...

``ThreadIndex`` (``store.py``), every method async, raising ``IndexStoreError`` when the store fails:

    search(query=None, *, provider=None, since=None, until=None, status=None, roles=None, kinds=None,
           errors_only=False, limit=10, offset=0, configured=()) -> SearchPage
        threads (ref, title, status, time, running, matches, digest) each with its best hits (seq, role, time,
        snippet with «matches», failure signature); total, next_offset, coverage
    failures(*, provider=None, since=None, until=None, limit=10, offset=0, configured=()) -> FailurePage
        groups (code, pattern, signature, message, count, threads, first/last seen, ≤3 examples ref + seq,
        the first line answered afterwards), most threads affected first; total, next_offset, coverage
    coverage(provider=None, configured=()) -> Coverage      per provider: threads, messages, running, partly
        read, oldest/newest sync, last run's error, what the listing leaves out; ``describe()``, ``gaps()``
    digest(ref) -> Digest | None; digests(refs) -> dict[ref, Digest]      ``Digest.line()`` is the one-liner
    messages(ref, from_seq=None, limit=50) -> list[Message]   stored messages (redacted, no vendor extras)
    thread(ref) -> IndexedThread | None; threads(provider) -> dict[ref, IndexedThread]    sync state
    records(messages, first_seq) -> list[MessageRecord]; write(ThreadWrite); remove(ref) -> bool
    record_page(ref, batch, *, first_seq)    write-through of one vendor page a tool read (record_pages: several)
    record_run(provider, started, *, error, note, since, complete); last_run(provider) -> ProviderRun | None
    sync_lock(provider, owner, *, wait); stats()

``index.sync.sync(index, providers, SyncOptions(since, deadline, concurrency, page_size, …), progress)`` ->
``SyncSummary`` (per provider: new / changed / unchanged / skipped / removed, failed with reasons,
not_refreshed when the deadline hit, error) reads only what changed, through the ``Provider`` protocol; with
``fresh_for`` it does not list a provider whose last complete sync (by any process) ended that recently.

Query semantics (``query.py``): every word of the query (a quoted span is one) must occur as a literal,
case-insensitive substring; search syntax is plain text. Ranking (``sql/search.py``): threads by how many of
their messages match, then recency; hits by occurrences, then recency. Paging is by ``offset``: a tool wraps
``next_offset`` in its own cursor. Failures and signatures: ``agent_threads.failures``.

How the server is meant to use it: the lifespan opens the index once (``open_index``) next to the HTTP clients;
``search_threads`` / ``find_failures`` call ``sync`` with a ``deadline`` (20 s) and an MCP progress callback when
``refresh`` is set (``fresh_for`` = ``IndexConfig.fresh_for``, the refresh window), then ``search`` / ``failures``
with ``configured`` = the configured provider ids, rendering ``coverage.describe()`` always (and "no match in N
threads" when ``total`` is 0); every page a tool, resource or export reads goes to ``record_page`` off the reply's
path, where an ``IndexStoreError`` is logged and swallowed; ``get_thread_messages(from_seq=…)`` serves
``messages(ref, from_seq)`` when ``thread(ref)`` is complete and its ``listed`` fingerprint matches the vendor's
listing, else reads the vendor; ``list_threads`` appends ``digests(refs)[ref].line()`` for indexed threads.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names load on first use: the server's start-up pays only for what it touches
    from .config import IndexConfig, index_config, open_index
    from .model import (
        Coverage,
        Digest,
        FailureExample,
        FailureGroup,
        FailurePage,
        Hit,
        IndexedThread,
        IndexStoreError,
        ProviderCoverage,
        ProviderRun,
        SearchPage,
        ThreadHits,
    )
    from .store import ThreadIndex
    from .sync import SyncOptions, SyncProgress, SyncSummary

_HOME = {
    **dict.fromkeys(("IndexConfig", "index_config", "open_index"), "config"),
    **dict.fromkeys(
        ("Coverage", "Digest", "FailureExample", "FailureGroup", "FailurePage", "Hit", "IndexedThread")
        + ("IndexStoreError", "ProviderCoverage", "ProviderRun", "SearchPage", "ThreadHits"),
        "model",
    ),
    "ThreadIndex": "store",
    **dict.fromkeys(("SyncOptions", "SyncProgress", "SyncSummary"), "sync"),
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{home}", __name__), name)


__all__ = [
    "Coverage",
    "Digest",
    "FailureExample",
    "FailureGroup",
    "FailurePage",
    "Hit",
    "IndexConfig",
    "IndexStoreError",
    "IndexedThread",
    "ProviderCoverage",
    "ProviderRun",
    "SearchPage",
    "SyncOptions",
    "SyncProgress",
    "SyncSummary",
    "ThreadHits",
    "ThreadIndex",
    "index_config",
    "open_index",
]
