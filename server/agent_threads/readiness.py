"""Readiness: named async checks that the server's lifespan registers (providers now, the thread index when it
opens) and the HTTP service's ``/readyz`` runs. A check answers True when its part can serve requests."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import anyio

log = logging.getLogger("agent_threads")

Check = Callable[[], Awaitable[bool]]


class Readiness:
    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self._checks: dict[str, Check] = {}

    def add(self, name: str, check: Check) -> None:
        """Register (or replace) the check called ``name``."""
        self._checks[name] = check

    def discard(self, name: str) -> None:
        self._checks.pop(name, None)

    async def failing(self) -> list[str]:
        """Names of the checks that answered False, raised or took longer than ``timeout``, in name order."""
        failed: list[str] = []
        async with anyio.create_task_group() as tg:
            for name, check in self._checks.items():
                tg.start_soon(self._run, name, check, failed)
        return sorted(failed)

    async def _run(self, name: str, check: Check, failed: list[str]) -> None:
        ok = False
        with anyio.move_on_after(self.timeout):
            try:
                ok = await check()
            except Exception as e:  # a probe's answer, never a crash: whatever went wrong means "not ready"
                log.warning("readiness check %r failed: %s", name, type(e).__name__)
        if not ok:
            failed.append(name)
