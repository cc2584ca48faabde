"""Building blocks of the DMS Data Agent sandbox's data, in the wire's own form: GetChatContent events (snake_case;
each gets its checkpoint, its index, and a timestamp, epoch seconds as a string, when appended), a session with
its history and artifacts, and the generated very long session (``ctx.options["dms.big_thread_events"]``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

T0 = int(datetime(2026, 5, 18, 3, 40, tzinfo=timezone.utc).timestamp())
Event = dict[str, Any]


def start() -> Event:
    return {"event_type": "CHAT_START", "content": "", "content_type": "str", "level": 20}


def data(text: str, category: str | None = None, level: int = 20) -> Event:
    event = {"event_type": "DATA", "content": text, "content_type": "str", "level": level}
    return event | ({"category": category} if category else {})


def json_data(category: str, value: Any, level: int = 30) -> Event:
    content = json.dumps(value, ensure_ascii=False)
    return {"event_type": "DATA", "content": content, "content_type": "json", "category": category, "level": level}


def deltas(text: str, size: int = 24, category: str | None = None) -> list[Event]:
    chunks = [text[i : i + size] for i in range(0, len(text), size)]
    return [
        {"event_type": "DELTA", "content": c, "content_type": "str", "level": 20}
        | ({"category": category} if category else {})
        for c in chunks
    ]


def finish(outcome: dict[str, Any] | None = None) -> Event:
    if outcome is None:
        return {"event_type": "CHAT_FINISH", "content": "", "content_type": "str", "level": 20}
    return {
        "event_type": "CHAT_FINISH",
        "content": json.dumps(outcome, ensure_ascii=False),
        "content_type": "json",
        "level": 20,
    }


def plan(title: str, *steps: tuple[str, str]) -> Event:
    return json_data("PLAN", {"title": title, "steps": [{"title": t, "status": s} for t, s in steps]})


@dataclass
class DmsSession:
    id: str
    title: str
    created: int
    agent_id: str = "agent_7f3a"
    language: str = "ENGLISH"
    mode: str = "ANALYSIS"
    status: str = "FINISHED"
    user_id: str = "2046301918"
    messages: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    events: list[Event] = field(default_factory=list[Event])
    artifacts: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])

    def turn(self, question: str, at: int, reply: list[Event], *, status: str = "SUCCESS", ends: bool = True) -> str:
        """A user message at ``at`` (epoch s) and the agent's reply turn, one second per event after it (``ends``
        False: a turn still being written, without its ``CHAT_FINISH``)."""
        message_id = f"{self.id.replace('sess_', 'msg_', 1)}_{len(self.messages) + 1:03d}"
        self.messages.append({"Id": message_id, "Content": question, "SendTime": at * 1000, "Status": status})
        finished = not ends or (bool(reply) and reply[-1]["event_type"] == "CHAT_FINISH")
        body = reply if finished else [*reply, finish()]
        for i, event in enumerate([start(), *body]):
            self.events.append(event | {"checkpoint": len(self.events), "timestamp": str(at + 1 + i)})
        return message_id

    def artifact(self, name: str, kind: str, status: str, description: str, at: int, took: int = 30) -> None:
        times = {
            "ReceiveTime": str(at),
            "StartTime": str(at + 1),
            "FinishTime": str(at + took) if status == "SUCCESS" else "",
        }
        aid = f"{self.id.replace('sess_', 'art_', 1)}_{len(self.artifacts) + 1}"
        self.artifacts.append(
            {"Id": aid, "Name": name, "Type": kind, "Status": status, "Description": description} | times
        )

    def summary(self) -> dict[str, Any]:
        config = {"Mode": self.mode, "Language": self.language, "CustomAgentStage": "prod", "EnableSearch": False}
        return {
            "SessionId": self.id,
            "AgentId": self.agent_id,
            "AgentStatus": "RUNNING" if self.status == "RUNNING" else "IDLE",
            "SessionStatus": self.status,
            "Title": self.title,
            "File": "",
            "UserId": self.user_id,
            "CreateTime": self.created * 1000,
            "Saved": False,
            "FavoriteInWorkspace": False,
            "SessionConfig": config,
        }


def big_session(events: int) -> DmsSession:
    """A session with about ``events`` GetChatContent events, ten per turn."""
    s = DmsSession("sess_big_thread_0001", f"Big session ({events} events)", T0 - 30 * 86400)
    for n in range(max(1, events // 10)):
        at = s.created + 60 * n
        s.turn(
            f"Step {n + 1}: refresh the daily KPI table and report changes.",
            at,
            [
                plan(f"Refresh {n + 1}", ("Refresh", "DONE")),
                *deltas(
                    f"Refresh {n + 1} done: {n % 7} metrics changed; "
                    f"revenue {'up' if n % 2 else 'down'} {n % 5}.{n % 10}% day over day.",
                    size=16,
                ),
            ],
        )
    return s
