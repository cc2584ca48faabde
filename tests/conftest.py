"""Shared fixtures: the anyio backend, the sandbox cloud on loopback, servers built against it."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from agent_threads.app import build_server
from agent_threads.config import Settings, load_settings
from agent_threads.http import RetryPolicy
from agent_threads.sandbox import Sandbox


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Every ``async def test_*`` runs under anyio without a marker of its own."""
    inner = getattr(getattr(obj, "hypothesis", None), "inner_test", obj)
    if name.startswith("test_") and inspect.iscoroutinefunction(inner):
        pytest.mark.anyio(obj)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class NoSleep:
    """A retry sleep that records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def no_sleep() -> NoSleep:
    return NoSleep()


@pytest.fixture
def fast_retries(no_sleep: NoSleep) -> RetryPolicy:
    return RetryPolicy(sleep=no_sleep, jitter=lambda: 0.0)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox().running() as running:
        yield running


def sandbox_settings(sandbox: Sandbox, **env: str) -> Settings:
    """Settings for exactly the providers the sandbox serves (never a real vendor)."""
    settings = load_settings(sandbox.env() | env)
    return replace(settings, providers=tuple(p for p in settings.providers if p.family in sandbox.ports))


@pytest.fixture
def sandbox_server(sandbox: Sandbox, fast_retries: RetryPolicy):  # type: ignore[no-untyped-def]
    return build_server(sandbox_settings(sandbox), fast_retries)
