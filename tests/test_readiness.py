"""Readiness checks: registered by the server's lifespan, run together, a failure named by kind only."""

from __future__ import annotations

import anyio
from mcp import Client

from agent_threads.app import build_server
from agent_threads.config import Settings
from agent_threads.readiness import Readiness
from agent_threads.sandbox import Sandbox

from .conftest import sandbox_settings


async def test_a_check_that_answers_false_raises_or_hangs_is_failing() -> None:
    readiness = Readiness(timeout=0.05)

    async def yes() -> bool:
        return True

    async def no() -> bool:
        return False

    async def broken() -> bool:
        raise OSError("db down")

    async def hangs() -> bool:
        await anyio.sleep_forever()
        return True

    for name, check in {"a": yes, "d": no, "c": broken, "b": hangs}.items():
        readiness.add(name, check)
    with anyio.fail_after(5):
        assert await readiness.failing() == ["b", "c", "d"]
    readiness.discard("d")
    readiness.discard("never-added")
    with anyio.fail_after(5):
        assert await readiness.failing() == ["b", "c"]


async def test_the_server_supplies_its_providers_check_while_it_runs(sandbox: Sandbox) -> None:
    ready, empty = Readiness(), Readiness()
    async with Client(build_server(sandbox_settings(sandbox), readiness=ready)):
        assert await ready.failing() == []
    async with Client(build_server(Settings(), readiness=empty)):
        assert await empty.failing() == ["providers"]
    assert await empty.failing() == []  # once the server stopped, its check is gone
