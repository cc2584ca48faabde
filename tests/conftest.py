"""Shared fixtures: the anyio backend, the sandbox cloud on loopback, servers built against it."""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import settings
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.types import TextContent

from agent_threads.app import build_server
from agent_threads.config import Settings, load_settings
from agent_threads.http import RetryPolicy
from agent_threads.providers.base import Provider, State
from agent_threads.refs import ThreadRef, parse_ref
from agent_threads.sandbox import Credentials, Sandbox, SandboxContext
from agent_threads.tools.context import AppContext
from agent_threads.transcript import Message, StreamEvent, TurnEnd

SECRETS: set[str] = {
    Credentials().qoder_pat,
    Credentials().alibaba_key_secret,
    Credentials().tencent_secret_key,
    Credentials().alibaba_key_id,
    Credentials().tencent_secret_id,
}
"""Every credential a test hands the server. No tool output or log line may ever contain one."""
_LOGGERS = ("agent_threads", "httpx", "mcp", "uvicorn")  # httpcore logs no header values, only noise

settings.register_profile("ci", max_examples=10_000, deadline=None, derandomize=True, print_blob=True)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI", "").lower() in ("true", "1") else "dev")
)
"""Hypothesis: deterministic and thorough in CI (CI=true); quicker locally; HYPOTHESIS_PROFILE picks either."""


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


class FakeClock:
    """Time that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await anyio.lowlevel.checkpoint()


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
    settings = load_settings(sandbox.env() | env, home=Path("/nonexistent-home"))  # no real credential files
    return replace(settings, providers=tuple(p for p in settings.providers if p.family in sandbox.ports))


@pytest.fixture
def sandbox_server(sandbox: Sandbox, fast_retries: RetryPolicy) -> MCPServer[AppContext]:
    return build_server(sandbox_settings(sandbox), fast_retries)


@pytest.fixture
def cloud_families() -> list[str] | None:
    """The vendors ``cloud`` serves (None: all); a test module narrows it by overriding this fixture."""
    return None


@pytest.fixture
def cloud_options() -> dict[str, Any]:
    """The sandbox knobs ``cloud`` starts with (``SandboxContext.options``); a module overrides them likewise."""
    return {}


@pytest.fixture
async def cloud(cloud_families: list[str] | None, cloud_options: dict[str, Any]) -> AsyncIterator[Sandbox]:
    """The sandbox cloud for ``cloud_families`` only, started with ``cloud_options``."""
    async with Sandbox(SandboxContext(options=cloud_options), families=cloud_families).running() as running:
        yield running


async def read_all(provider: Provider, ref: str | ThreadRef, limit: int = 100) -> tuple[list[Message], int]:
    """Every message of a thread, following the provider's own cursor, and how many pages it took."""
    thread = parse_ref(ref) if isinstance(ref, str) else ref
    messages: list[Message] = []
    state: State | None = None
    for pages in range(1, 10_001):
        batch = await provider.read(thread, state, limit)
        messages += batch.messages
        if batch.next_state is None:
            return messages, pages
        state = batch.next_state
    raise AssertionError(f"{thread}: paging never ended")


async def list_all(provider: Provider, parent: ThreadRef | None = None, limit: int = 20) -> list[str]:
    """The refs of every entry a listing shows, following its cursor to the end."""
    refs: list[str] = []
    state: State | None = None
    for _ in range(10_000):
        listing = await provider.list_threads(parent, state, limit)
        refs.extend(t.ref for t in listing.threads)
        if listing.next_state is None:
            return refs
        state = listing.next_state
    raise AssertionError("listing never ended")


async def follow_turn(
    provider: Provider, ref: str | ThreadRef, message: str | None = None, checkpoint: str | None = None
) -> list[StreamEvent]:
    """The stream events of one follow of a thread, up to its TurnEnd (bounded in time)."""
    events: list[StreamEvent] = []
    with anyio.fail_after(10):
        async with provider.stream(parse_ref(ref) if isinstance(ref, str) else ref, message, checkpoint) as stream:
            async for event in stream:
                events.append(event)
                if isinstance(event, TurnEnd):
                    break
    return events


class ToolFailed(Exception):
    """A tool call that answered with an error; ``text`` is what the model would read."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


async def read_all_tool(client: Client, ref: str, **args: Any) -> tuple[list[dict[str, Any]], int]:
    """Every message of a thread through get_thread_messages (``format="json"``), and how many calls it took.
    Raises ToolFailed with the error text when a call fails."""
    messages: list[dict[str, Any]] = []
    cursor: str | None = None
    for calls in range(1, 10_001):
        result = await client.call_tool(
            "get_thread_messages", {"thread": ref, "cursor": cursor, "format": "json", **args}
        )
        if result.is_error:
            raise ToolFailed("\n".join(c.text for c in result.content if isinstance(c, TextContent)))
        content = result.structured_content or {}
        messages.extend(content["messages"])
        cursor = content.get("next_cursor")
        if cursor is None:
            return messages, calls
    raise AssertionError(f"{ref}: paging never ended")


async def leaf(client: Client, provider: str) -> str:
    """A readable thread of a provider, from list_threads: the first leaf, else the first entry inside a container."""
    listing = await client.call_tool("list_threads", {"provider": provider, "limit": 5})
    threads: list[dict[str, Any]] = (listing.structured_content or {}).get("threads", [])
    assert threads, f"the sandbox serves no thread for {provider}"
    entry = next((t for t in threads if not t.get("children")), threads[0])
    if entry.get("children"):
        inner = await client.call_tool("list_threads", {"provider": provider, "parent": entry["ref"], "limit": 5})
        return str((inner.structured_content or {})["threads"][0]["ref"])
    return str(entry["ref"])


def register_secret(value: str) -> str:
    """Add a test credential to the leak scan; returns it for convenience."""
    SECRETS.add(value)
    return value


@pytest.fixture(autouse=True)
def no_secret_leaks(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Scans every tool result a test's MCP client receives, and every log line, for the configured secrets."""
    for name in _LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    outputs: list[str] = []
    call_tool = Client.call_tool

    async def recording(self: Client, *args: Any, **kwargs: Any) -> Any:
        result = await call_tool(self, *args, **kwargs)
        outputs.append(result.model_dump_json())
        return result

    monkeypatch.setattr(Client, "call_tool", recording)
    yield
    leaked = leaks(outputs + [record.getMessage() for record in caplog.records])
    assert not leaked, f"secret material reached a tool output or log: {leaked}"


def leaks(texts: list[str]) -> list[str]:
    """Configured secrets (shown shortened) and signed Authorization values found in any of the texts."""
    blob = "\n".join(texts)
    found = [secret[:4] + "…" for secret in sorted(SECRETS) if secret in blob]
    lowered = blob.lower()
    return found + [
        m for m in ("authorization: bearer ", "authorization: acs3-", "authorization: tc3-") if m in lowered
    ]
