"""Building blocks of the Qoder sandbox's data: session and thread objects, an event-log builder, and the
generated long session (``ctx.options["qoder.big_thread_events"]`` events, each built on demand from its index).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, overload

from .state import Event, Log, Record, at, event_id, stamp

AGENT = {
    "id": "agent_019f0000000000000000000000000c01",
    "type": "agent",
    "name": "Qoder Coordinator",
    "model": "qoder-max",
    "version": 3,
}
RESEARCH = {
    "id": "agent_019f0000000000000000000000000c02",
    "type": "agent",
    "name": "Research Agent",
    "model": "qoder-plus",
    "version": 1,
}


@dataclass
class SessionData:
    """A session as the sandbox serves it: its object, its threads (coordinator first) and its event log."""

    obj: Event
    threads: list[Event]
    log: Log
    cn_style: bool = False
    """Older docs / CN mirror: event pages carry no ``next_page`` even when ``has_more`` is true."""
    twist: str = ""
    """A hostile session's twist (``hostile`` module): forged, cycle, empty or endless."""


class Builder:
    """Appends events seven seconds apart, giving each its positional id."""

    def __init__(self, tag: int, start: datetime) -> None:
        self.tag = tag
        self.start = start
        self.records: list[Record] = []

    def add(
        self, type_: str, home: str | None, *, views: tuple[str, ...] = (), session: bool = True, **fields: Any
    ) -> str:
        """Add an event whose own thread is ``home``; ``views`` are other threads that list it too."""
        eid = event_id(self.tag, len(self.records))
        event: Event = {"id": eid, "type": type_, **({"session_thread_id": home} if home else {}), **fields}
        event["processed_at"] = at(self.start, 7 * len(self.records))
        self.records.append(Record(event, frozenset(t for t in (home, *views) if t), session))
        return eid

    def log(self) -> Log:
        views: dict[str | None, list[int]] = {None: []}
        for pos, rec in enumerate(self.records):
            if rec.in_session:
                views[None].append(pos)
            for thread in rec.threads:
                views.setdefault(thread, []).append(pos)
        return Log(self.tag, self.records, dict(views))


def blocks(*texts: str) -> list[Event]:
    return [{"type": "text", "text": t} for t in texts]


def session_obj(sid: str, title: str, created: datetime, agent: Event = AGENT, status: str = "idle") -> Event:
    return {
        "id": sid,
        "type": "session",
        "agent": agent,
        "agent_id": agent["id"],
        "environment_id": "env_019f0000000000000000000000000e01",
        "status": status,
        "title": title,
        "metadata": {},
        "resources": [],
        "vault_ids": [],
        "memory_store_ids": [],
        "environment_variables": {},
        "stats": {"active_seconds": 182.4, "duration_seconds": 640.0},
        "archived_at": None,
        "created_at": stamp(created),
        "updated_at": at(created, 600),
    }


def thread_obj(
    sid: str, tid: str, agent: Event, created: datetime, *, parent: str | None = None, by_tool: str | None = None
) -> Event:
    return {
        "id": tid,
        "type": "session_thread",
        "session_id": sid,
        "parent_thread_id": parent,
        "agent": agent,
        "agent_id": agent["id"],
        "agent_version": agent["version"],
        "name": agent["name"],
        "role": "coordinator" if parent is None else "subagent",
        "status": "idle",
        "stop_reason": {"type": "end_turn"},
        "created_by_tool_use_id": by_tool,
        "stats": {"active_seconds": 40.2, "duration_seconds": 95.0, "startup_seconds": 1.3},
        "archived_at": None,
        "created_at": stamp(created),
        "updated_at": at(created, 300),
    }


# ---- session D: a generated long thread for benchmarks --------------------------------------------------

SID_D, COORD_D = "sess_019e0000000000000000000000000d01", "sthr_019e00000000000000000000000d0c01"
T_D = datetime(2026, 5, 20, 0, 0, tzinfo=timezone.utc)
_CYCLE = (
    "user.message",
    "session.status_running",
    "agent.thinking",
    "agent.tool_use",
    "agent.tool_result",
    "agent.message",
    "session.status_idle",
)


class Generated(Sequence[Record]):
    """``size`` events of repeating turns, built on demand from the index alone."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, i: int) -> Record: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Record]: ...
    def __getitem__(self, i: int | slice) -> Record | Sequence[Record]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.size))]
        if not 0 <= i < self.size:
            raise IndexError(i)
        return Record(self._event(i), frozenset({COORD_D}))

    def _event(self, i: int) -> Event:
        turn, step = divmod(i, len(_CYCLE))
        type_ = _CYCLE[step]
        event: Event = {"id": event_id(4, i), "type": type_, "session_thread_id": COORD_D, "processed_at": at(T_D, i)}
        if type_ == "user.message":
            event["content"] = f"Step {turn}: check shard {turn % 97} and report its row count."
        elif type_ == "agent.thinking":
            event["thinking"] = f"Shard {turn % 97} needs a count query."
        elif type_ == "agent.tool_use":
            event |= {"name": "Bash", "input": {"command": f"psql -c 'select count(*) from shard_{turn % 97}'"}}
        elif type_ == "agent.tool_result":
            event |= {
                "tool_use_id": event_id(4, i - 1),
                "is_error": False,
                "content": [{"type": "text", "text": f"{1000 + turn * 7} rows"}],
            }
        elif type_ == "agent.message":
            event["content"] = [
                {"type": "text", "text": f"Shard {turn % 97} holds {1000 + turn * 7} rows. 第 {turn} 步完成。"}
            ]
        elif type_ == "session.status_idle":
            event["stop_reason"] = {"type": "end_turn"}
        return event


def big_session(count: int) -> SessionData:
    everything = range(count)
    log = Log(4, Generated(count), {None: everything, COORD_D: everything})
    return SessionData(
        session_obj(SID_D, "Long-running shard audit", T_D), [thread_obj(SID_D, COORD_D, AGENT, T_D)], log
    )
