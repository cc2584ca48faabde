"""The local catalog of DataAgent sessions this server has read or started (Tencent has no list action).

One JSON file in the state dir, shared by every account (each entry carries ``<provider id>@<endpoint>``),
written atomically (temporary file + rename) and best-effort: a catalog that cannot be written never fails
a read. Refs given in ``AGENT_THREADS_DATAAGENT_REFS`` (``seed_refs``) are listed too, without being written.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import anyio

from ...errors import UsageError
from ...refs import parse_ref

log = logging.getLogger("agent_threads.providers.dataagent")
FILE_NAME = "dataagent-sessions.json"
MAX_ENTRIES = 1000


@dataclass(frozen=True)
class Entry:
    account: str
    instance: str
    session: str | None = None
    title: str | None = None
    status: str | None = None
    updated: str | None = None
    seen: str | None = None

    @property
    def key(self) -> tuple[str, str, str | None]:
        return self.account, self.instance, self.session


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def seed_entries(account: str, refs: str) -> list[Entry]:
    """Entries for comma- or space-separated ``dataagent:<instance>[/<session>]`` refs; bad ones are logged."""
    entries = []
    for text in refs.replace(",", " ").split():
        try:
            ref = parse_ref(text)
        except UsageError:
            log.warning("ignoring AGENT_THREADS_DATAAGENT_REFS entry %r: not a dataagent ref", text[:80])
            continue
        if ref.family == "dataagent":
            entries.append(Entry(account, ref.parts[0], ref.parts[1] if len(ref.parts) > 1 else None))
    return entries


class Catalog:
    def __init__(
        self, path: Path | None, account: str, seeds: Iterable[Entry] = (), clock: Callable[[], str] = _now
    ) -> None:
        self.path = path
        self.account = account
        self._seeds = list(seeds)
        self._clock = clock
        self._written: dict[tuple[str, str, str | None], Entry] = {}
        self._saving = anyio.Lock()  # a save reads, merges and rewrites the file: one at a time, none lost

    def entries(self) -> list[Entry]:
        """Seeds and recorded entries of this account, most recently active first."""
        found = {e.key: e for e in self._seeds}
        found.update({e.key: e for e in self._load() if e.account == self.account})
        return sorted(found.values(), key=lambda e: e.updated or e.seen or "", reverse=True)

    async def note(self, instance: str, session: str, **fields: str | None) -> None:
        """Record a session (title, status, updated); never raises, writes only when something changed."""
        known = self._written.get((self.account, instance, session)) or Entry(self.account, instance, session)
        changed = replace(known, **{k: v for k, v in fields.items() if v is not None})
        if changed == known and known.key in self._written:
            return
        entry = replace(changed, seen=self._clock())
        self._written[entry.key] = entry
        if self.path is not None:
            async with self._saving:
                await anyio.to_thread.run_sync(self._save, self.path, entry)

    def _load(self) -> list[Entry]:
        if self.path is None or not self.path.is_file():
            return []
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return [Entry(**_known_fields(item)) for item in raw.get("sessions", []) if isinstance(item, dict)]
        except (OSError, ValueError, TypeError, AttributeError) as e:
            log.debug("dataagent catalog %s unreadable, ignored: %s", self.path, type(e).__name__)
            return []

    def _save(self, path: Path, entry: Entry) -> None:
        merged = {e.key: e for e in self._load()}
        merged[entry.key] = replace(merged.get(entry.key, entry), **_set_fields(entry))
        kept = sorted(merged.values(), key=lambda e: e.seen or "", reverse=True)[:MAX_ENTRIES]
        try:
            _atomic_write(path, {"version": 1, "sessions": [asdict(e) for e in kept]})
        except OSError as e:
            log.debug("dataagent catalog %s not written: %s", path, type(e).__name__)


def _known_fields(item: dict[str, Any]) -> dict[str, Any]:
    names = Entry.__dataclass_fields__
    return {k: v for k, v in item.items() if k in names and (v is None or isinstance(v, str))}


def _set_fields(entry: Entry) -> dict[str, Any]:
    return {k: v for k, v in asdict(entry).items() if v is not None}


def _atomic_write(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, ensure_ascii=False, indent=1)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise
