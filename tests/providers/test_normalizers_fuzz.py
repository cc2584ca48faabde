"""Normalizer fuzzing: arbitrary JSON as a vendor's replies never crashes its provider.

Each example decodes fuzzer bytes into one reply (``fuzz_json``: shaped by the vendor's wire models, any value
free to be anything) and serves it, in memory through ``agent_threads.http.TRANSPORT``, as every reply of one
call, ``list_threads`` or (twice as often) ``read``; event-stream routes get it as SSE frames. The call must
return or raise an ``AgentThreadsError``. The vendors run side by side, one process per core: with the "ci"
profile (CI=true, tests/conftest.py) that is 10,000 examples per vendor.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import multiprocessing
import os
import pkgutil
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from agent_threads.errors import AgentThreadsError
from agent_threads.http import TRANSPORT, RetryPolicy, Timeouts
from agent_threads.providers import create
from agent_threads.providers.base import Provider, ProviderSettings
from agent_threads.providers.dataagent.provider import DataAgentProvider
from agent_threads.ratelimit import RateLimiter
from agent_threads.refs import parse_ref

from .fuzz_json import Decoder, Grammar

MODULES = {
    "qoder": ["qoder"],
    "cms": ["cms", "alibaba"],
    "dms": ["dms", "alibaba"],
    "rdsai": ["rdsai", "alibaba"],
    "dataagent": ["dataagent"],
}
"""Where each vendor's grammar comes from (a package stands for all its modules). cms stands for starops too."""
ENVELOPE = {"dataagent": "Response"}
STATEFUL = {"dataagent"}
HEAVIEST_FIRST = ["cms", "rdsai", "dms", "qoder", "dataagent"]
"""Submission order: the last vendor to start is a quick one, so the cores finish close together."""
CALLS: dict[str, list[tuple[str, str | None]]] = {
    "qoder": [("list", None), ("list", "qoder:sess_1"), ("read", "qoder:sess_1"), ("read", "qoder:sess_1/sthr_1")],
    "cms": [("list", None), ("list", "cms:bot"), ("read", "cms:bot/thread_1"), ("read", "cms:bot/thread_1")],
    "dms": [("list", None), ("read", "dms:sess_1"), ("read", "dms:sess_1")],
    "rdsai": [("list", None), ("read", "rdsai:conv_1"), ("read", "rdsai:conv_1")],
    "dataagent": [("list", "dataagent:inst_1"), ("read", "dataagent:inst_1/s_1"), ("read", "dataagent:inst_1/s_1")],
}
"""The calls an example makes one of: listing (top level or inside a container) or, more often, reading."""
CREDENTIALS = {"qoder": {"token": "fuzz-pat"}, "dataagent": {"secret_id": "AKIDfuzz", "secret_key": "fuzz-key"}}
ALIBABA = {"access_key_id": "LTAIfuzz", "access_key_secret": "fuzz-secret"}


@dataclass
class Replies:
    """Answers every request with the current example's reply; event-stream routes get it as SSE frames."""

    status: int
    body: Any

    def __call__(self, request: httpx.Request) -> httpx.Response:
        stream = request.headers.get("x-acs-action") == "GetChatContent" or "stream" in request.url.path
        if stream or request.headers.get("accept") == "text/event-stream":
            items = self.body if isinstance(self.body, list) else [self.body]
            frames = "".join(f"data: {json.dumps(item, ensure_ascii=False)}\n\n" for item in items)
            return httpx.Response(self.status, headers={"content-type": "text/event-stream"}, text=frames)
        return httpx.Response(self.status, json=self.body)


def _modules(name: str) -> list[str]:
    """A module, or every module of a package."""
    module = importlib.import_module(name)
    if not hasattr(module, "__path__"):
        return [name]
    return [name] + [f"{name}.{m.name}" for m in pkgutil.iter_modules(module.__path__)]


def _provider(family: str) -> Provider:
    spec = ProviderSettings(family, family, "http://fuzz.invalid", "cn-hangzhou", CREDENTIALS.get(family, ALIBABA))
    policy = RetryPolicy(max_retries=0)
    if family == "dataagent":  # no rate limit and no catalog file: this is about parsing
        return DataAgentProvider(spec, Timeouts(), policy, limiter=RateLimiter(rate=10**9))
    return create(spec, Timeouts(), policy)


class Vendor:
    """One vendor under fuzzing: its grammar, the reply every request gets, and one provider for all examples,
    except for DataAgent, which remembers what it reads (its catalog) and so gets a fresh one each time."""

    def __init__(self, family: str, loop: asyncio.AbstractEventLoop) -> None:
        self.family, self.loop = family, loop
        self.grammar = Grammar([m for name in MODULES[family] for m in _modules(f"agent_threads.providers.{name}")])
        self.replies = Replies(200, None)
        self.shared = None if family in STATEFUL else self._provider()

    def _provider(self) -> Provider:
        token = TRANSPORT.set(httpx.MockTransport(self.replies))
        try:
            return _provider(self.family)
        finally:
            TRANSPORT.reset(token)

    def example(self, data: bytes) -> None:
        decoder = Decoder(data, self.grammar, ENVELOPE.get(self.family))
        call = CALLS[self.family][decoder.pick(len(CALLS[self.family]))]
        self.replies.status, self.replies.body = decoder.reply()
        answered = False
        try:
            self.loop.run_until_complete(self._call(*call))
            answered = True
        finally:
            if not answered:  # only a failing example pays for showing its reply
                status, body = self.replies.status, self.replies.body
                note(f"{call[0]} {call[1] or 'top level'}; every reply HTTP {status}: {body!r}")

    async def _call(self, op: str, raw: str | None) -> None:
        provider = self.shared or self._provider()
        ref = parse_ref(raw) if raw else None
        try:
            if op == "list" or ref is None:
                await provider.list_threads(ref, None, 20)
            else:
                await provider.read(ref, None, 20)
        except AgentThreadsError:
            pass  # a mapped failure is an answer; anything else escapes and fails the example
        finally:
            if provider is not self.shared:
                await provider.client.aclose()

    def close(self) -> None:
        if self.shared is not None:
            self.loop.run_until_complete(self.shared.client.aclose())


def fuzz(family: str, examples: int, derandomize: bool) -> int:
    """One vendor's fuzzing (in a worker process); raises what hypothesis found, else returns the examples run."""
    # One loop for every example, run from this thread: anyio.run or a portal per example costs a third more,
    # and the time is what lets 10,000 examples per vendor fit CI's minute.
    loop = asyncio.new_event_loop()
    vendor, ran = Vendor(family, loop), [0]

    @settings(max_examples=examples, derandomize=derandomize, deadline=None, suppress_health_check=HealthCheck.all())
    @given(st.binary(min_size=4, max_size=16))
    def check(data: bytes) -> None:
        ran[0] += 1
        vendor.example(data)

    try:
        check()
    finally:
        vendor.close()
        loop.close()
    return ran[0]


def _profile() -> settings:
    """The hypothesis profile loaded by tests/conftest.py."""
    profile = settings.default
    assert profile is not None
    return profile


def _selected(session: pytest.Session) -> list[str]:
    here = [item for item in session.items if item.nodeid.startswith(__name__.replace(".", "/") + ".py")]
    return [str(item.callspec.params["family"]) for item in here if isinstance(item, pytest.Function)]


@pytest.fixture(scope="module")
def fuzzing(request: pytest.FixtureRequest) -> Iterator[dict[str, Future[int]]]:
    """Every selected vendor's fuzzing started at once, one process per core."""
    profile = _profile()
    families = sorted(_selected(request.session) or MODULES, key=HEAVIEST_FIRST.index)
    workers = max(1, min(len(families), os.cpu_count() or 1))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield {f: pool.submit(fuzz, f, profile.max_examples, profile.derandomize) for f in families}


@pytest.mark.parametrize("family", list(MODULES))
def test_any_json_reply_ends_in_a_result_or_a_project_error_never_a_crash(
    family: str, fuzzing: dict[str, Future[int]]
) -> None:
    ran = fuzzing[family].result()
    assert ran >= _profile().max_examples, f"{family}: only {ran} examples ran"
