"""The thread index's commands: ``sync``, ``search QUERY``, ``failures`` and ``index migrate|stats``.

Each opens the configured index (``AGENT_THREADS_INDEX_URL``, else the state dir's SQLite file) and the
configured providers, prints to stdout, and reports progress on stderr when that is a terminal. ``search`` and
``failures`` refresh the index first, as the tools do (``--no-refresh`` skips it). An interrupted sync resumes
where it stopped on the next run. Heavy modules load only when a command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..config import Settings
    from ..index import SyncProgress, ThreadIndex
    from ..providers.base import Provider

COMMANDS = ("sync", "search", "failures", "index")
ROLES = ("user", "assistant", "agent", "tool", "system", "event")
Configured = Callable[[argparse.Namespace], AbstractAsyncContextManager["Settings"]]


def add_commands(commands: Any, add_common: Callable[..., None]) -> None:
    """The index commands, under the main parser's subcommands."""
    sync = commands.add_parser("sync", help="bring the thread index up to date with the vendors")
    _scope(sync, add_common)
    search = commands.add_parser("search", help="search every indexed thread (refreshes the index first)")
    _scope(search, add_common)
    search.add_argument("query", nargs="?", help="words that must all occur in a message; quote a phrase")
    search.add_argument("--until", metavar="7d|DATE", help="only before this time")
    search.add_argument("--status", help="only threads with this status (e.g. failed)")
    search.add_argument("--role", action="append", choices=ROLES, help="only messages of this role (repeatable)")
    search.add_argument("--kind", action="append", metavar="KIND", help="only messages with this part kind")
    search.add_argument("--errors-only", action="store_true", help="only messages that carry a failure")
    failures = commands.add_parser("failures", help="failures grouped by cause, most threads affected first")
    _scope(failures, add_common)
    failures.add_argument("--until", metavar="7d|DATE", help="only before this time")
    for p in (search, failures):
        p.add_argument("--limit", type=int, default=10, help="threads or groups to show (default 10)")
        p.add_argument("--offset", type=int, default=0, help="skip this many (the next page)")
        p.add_argument("--no-refresh", action="store_true", help="answer from the index as it is")
    index = commands.add_parser("index", help="the thread index itself: migrate or stats")
    add_common(index, top=False)
    index.add_argument("action", choices=["migrate", "stats"], help="migrate: bring its schema up to date; stats")


def _scope(p: argparse.ArgumentParser, add_common: Callable[..., None]) -> None:
    add_common(p, top=False)
    p.add_argument("--provider", action="append", metavar="ID", help="only this provider (repeatable)")
    p.add_argument("--since", metavar="7d|DATE", help="only from this time on: a span back (30m, 12h, 7d) or a date")


async def run(args: argparse.Namespace, configured: Configured) -> None:
    from ..errors import ConfigError
    from ..index import open_index
    from ..render_index import INDEX_OFF

    async with configured(args) as settings:
        if settings.index.kind == "off":
            raise ConfigError(INDEX_OFF)
        secrets = tuple(v for p in settings.providers for v in p.credentials.values())
        async with open_index(settings.index, secrets=secrets) as index, _providers(settings, args) as providers:
            assert index is not None
            await {"sync": _sync, "search": _search, "failures": _failures, "index": _index}[args.command](
                args, index, providers
            )


class _providers:  # noqa: N801 - used as a context manager, like a function
    """The configured providers a command asked for (all by default), their clients closed afterwards."""

    def __init__(self, settings: Settings, args: argparse.Namespace) -> None:
        self.settings, self.wanted = settings, list(getattr(args, "provider", None) or [])
        self.stack = AsyncExitStack()

    async def __aenter__(self) -> list[Provider]:
        from .. import providers
        from ..errors import ConfigError
        from ..http import RetryPolicy

        ids = [p.id for p in self.settings.providers]
        unknown = [w for w in self.wanted if w not in ids]
        if unknown:
            raise ConfigError(f"Provider {unknown[0]!r} is not configured.", hint=f"Configured: {', '.join(ids)}.")
        built: list[Provider] = []
        for spec in (p for p in self.settings.providers if not self.wanted or p.id in self.wanted):
            built.append(providers.create(spec, self.settings.timeouts, RetryPolicy()))
            self.stack.push_async_callback(built[-1].client.aclose)
        return built

    async def __aexit__(self, *exc: object) -> None:
        await self.stack.aclose()


def _times(args: argparse.Namespace) -> dict[str, Any]:
    """``--since`` and ``--until`` as times (None where not given). Raises UsageError."""
    from ..times import moment

    return {k: moment(v) if (v := getattr(args, k, None)) else None for k in ("since", "until")}


async def _refresh(index: ThreadIndex, providers: Sequence[Provider], since: Any, deadline: float | None) -> str:
    from ..index.sync import SyncOptions, sync

    summary = await sync(index, providers, SyncOptions(since=since, deadline=deadline), _bar())
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[K")
    return summary.text()


def _bar() -> Callable[[SyncProgress], Any] | None:
    """A one-line progress bar on stderr, when it is a terminal."""
    if not sys.stderr.isatty():
        return None
    totals: dict[str, tuple[int, int]] = {}

    async def show(event: SyncProgress) -> None:
        totals[event.provider] = (event.done, event.total)
        done, total = (sum(x) for x in zip(*totals.values()))
        filled = int(30 * done / total) if total else 30
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {event.provider}\x1b[K")
        sys.stderr.flush()

    return show


async def _sync(args: argparse.Namespace, index: ThreadIndex, providers: list[Provider]) -> None:
    _print(await _refresh(index, providers, _times(args)["since"], None))


async def _search(args: argparse.Namespace, index: ThreadIndex, providers: list[Provider]) -> None:
    from ..finding import search_blocks
    from ..render_index import search_head

    when = _times(args)
    if not args.no_refresh:
        _print(await _refresh(index, providers, when["since"], None), err=True)
    page = await index.search(
        args.query, provider=_one(args.provider), since=when["since"], until=when["until"], status=args.status,
        roles=args.role, kinds=args.kind, errors_only=args.errors_only, limit=args.limit, offset=args.offset,
        configured=[p.id for p in providers],
    )  # fmt: skip
    lines = [line for block in search_blocks(page) for line in block]
    _print("\n".join([search_head(args.query, page, args.offset, len(page.threads)), *lines, _tail(page)]))


async def _failures(args: argparse.Namespace, index: ThreadIndex, providers: list[Provider]) -> None:
    from ..finding import failure_blocks
    from ..render_index import failures_head

    when = _times(args)
    if not args.no_refresh:
        _print(await _refresh(index, providers, when["since"], None), err=True)
    page = await index.failures(
        provider=_one(args.provider), since=when["since"], until=when["until"], limit=args.limit,
        offset=args.offset, configured=[p.id for p in providers],
    )  # fmt: skip
    lines = [line for block in failure_blocks(page, args.offset) for line in block]
    _print("\n".join([failures_head(page, args.offset, len(page.groups)), *lines, _tail(page)]))


def _tail(page: Any) -> str:
    from ..render_index import coverage_text

    more = f"\nmore: --offset {page.next_offset}" if page.next_offset is not None else ""
    return coverage_text(page.coverage, page.total) + more


async def _index(args: argparse.Namespace, index: ThreadIndex, providers: list[Provider]) -> None:
    from ..index.sql.schema import VERSION

    if args.action == "migrate":
        _print(f"index at {index.where}: schema version {VERSION}, up to date")
        return
    _print("\n".join(f"{k}: {v}" for k, v in (await index.stats()).items()))


def _one(wanted: list[str] | None) -> str | None:
    from ..errors import UsageError

    if wanted and len(wanted) > 1:
        raise UsageError("search and failures take one --provider (or none for all).")
    return wanted[0] if wanted else None


def _print(text: str, *, err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    stream.write(text + "\n")
    stream.flush()
