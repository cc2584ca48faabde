"""Timeouts: connect, read, stream-idle and the whole-tool deadline are each configurable, and each one bites."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client

from agent_threads.app import build_server
from agent_threads.config import load_settings
from agent_threads.errors import ConfigError
from agent_threads.http import RetryPolicy, Timeouts
from agent_threads.providers import create
from agent_threads.sandbox import Sandbox

from .conftest import leaf, sandbox_settings

ENV = {
    "AGENT_THREADS_CONNECT_TIMEOUT": "1.5",
    "AGENT_THREADS_READ_TIMEOUT": "7",
    "AGENT_THREADS_STREAM_IDLE_TIMEOUT": "9",
    "AGENT_THREADS_TOOL_TIMEOUT": "30",
}


def test_each_timeout_is_read_from_its_environment_variable() -> None:
    settings = load_settings(ENV, home=Path("/nonexistent-home"))
    assert settings.timeouts == Timeouts(connect=1.5, read=7, stream_idle=9, tool=30)
    assert load_settings({}, home=Path("/nonexistent-home")).timeouts == Timeouts()


@pytest.mark.parametrize("name", sorted(ENV))
def test_a_timeout_that_is_not_seconds_is_a_config_error_naming_the_variable(name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: "soon"}, home=Path("/nonexistent-home"))


@pytest.mark.parametrize("value", ["nan", "0", "-1", "-0.5", "inf"])
@pytest.mark.parametrize("name", sorted(ENV))
def test_a_timeout_that_is_nan_zero_negative_or_infinite_is_refused_in_one_line_naming_the_variable(
    name: str, value: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({name: value}, home=Path("/nonexistent-home"))
    said = refused.value.for_model()
    assert said.startswith(f"{name} must be a number of seconds, more than 0") and "\n" not in said


async def test_every_provider_connects_and_reads_within_the_configured_timeouts_and_streams_within_stream_idle(
    sandbox: Sandbox,
) -> None:
    settings = sandbox_settings(sandbox, **ENV)
    for spec in settings.providers:
        provider = create(spec, settings.timeouts, RetryPolicy())
        async with provider.client:
            assert provider.client.timeout == httpx.Timeout(7, connect=1.5), spec.id
    assert settings.timeouts.stream() == httpx.Timeout(7, connect=1.5, read=9)


async def test_a_reply_slower_than_the_read_timeout_is_a_clear_connection_error_for_every_vendor(
    sandbox: Sandbox, fast_retries: RetryPolicy
) -> None:
    fast = build_server(sandbox_settings(sandbox), fast_retries)
    slow = build_server(sandbox_settings(sandbox, AGENT_THREADS_READ_TIMEOUT="0.1"), fast_retries)
    async with Client(fast) as lister, Client(slow) as client:
        for family in sandbox.ports:
            ref = await leaf(lister, family)
            sandbox.ctx.faults.add(family, "slow", times=None, delay=2.0)
            with anyio.fail_after(15):
                result = await client.call_tool("get_thread_messages", {"thread": ref})
            sandbox.ctx.faults.clear()
            text = "\n".join(c.text for c in result.content if c.type == "text")
            assert result.is_error and text.startswith(f"Error executing tool get_thread_messages: {family}:"), text
            assert "timed out" in text or "went silent" in text, text
