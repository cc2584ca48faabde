"""Waiting until a server child is done with its background work (the index's writes) before timing it."""

from __future__ import annotations

from pathlib import Path

import anyio

from agent_threads.writethrough import GATHER

QUIET = 2 * GATHER + 0.1
"""Seconds without CPU that mean a server is done: its write-through writes a thread only once its reading paused
(up to twice ``GATHER``)."""


async def idle(*pids: int, still: float = 0.3, limit: float = 60) -> None:
    """Wait until these processes use no CPU for ``still`` seconds (at most ``limit``)."""

    def cpu() -> int:
        return sum(
            sum(int(x) for x in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:13]) for pid in pids
        )

    with anyio.move_on_after(limit):
        last = cpu()
        while True:
            await anyio.sleep(still)
            now = cpu()
            if now == last:
                return
            last = now
