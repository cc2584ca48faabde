"""The Host/Origin allow-list matching and the bearer check, decision by decision."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from agent_threads.serve import ServiceOptions
from agent_threads.serve.guard import Guard, host_allowed, origin_allowed
from agent_threads.serve.options import LOOPBACK_HOSTS, LOOPBACK_ORIGINS

from .conftest import TOKEN


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("localhost:8765", True),
        ("127.0.0.1", True),
        ("[::1]:9000", True),
        ("LOCALHOST:1", True),
        ("evil.example", False),
        ("localhost.evil.example", False),
        ("127.0.0.1.nip.io", False),
        ("", False),
    ],
)
def test_loopback_names_are_allowed_on_any_port_and_nothing_else(host: str, allowed: bool) -> None:
    assert host_allowed(host, LOOPBACK_HOSTS) is allowed


def test_an_entry_with_a_port_allows_only_that_port() -> None:
    assert host_allowed("threads:8443", ("threads:8443",))
    assert not host_allowed("threads:8444", ("threads:8443",))
    assert host_allowed("anything.at.all:1", ("*",))


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://localhost:5173", True),
        ("https://127.0.0.1", True),
        ("http://[::1]:3000", True),
        ("https://evil.test", False),
        ("http://localhost.evil.test", False),
        ("null", False),
        ("file://", False),
    ],
)
def test_loopback_origins_are_allowed_and_others_are_not(origin: str, allowed: bool) -> None:
    assert origin_allowed(origin, LOOPBACK_ORIGINS) is allowed


def test_an_origin_entry_must_match_the_scheme_too() -> None:
    assert origin_allowed("https://app.example.com", ("https://app.example.com",))
    assert not origin_allowed("http://app.example.com", ("https://app.example.com",))
    assert origin_allowed("null", ("*",))


def _refusal(options: ServiceOptions, **headers: str) -> int | None:
    response = Guard(options).refusal(Headers(headers={"host": "localhost:8765", **headers}))
    return None if response is None else response.status_code


def test_the_token_is_checked_after_the_host_and_origin() -> None:
    options = ServiceOptions(token=TOKEN)
    assert _refusal(options, authorization=f"Bearer {TOKEN}") is None
    assert _refusal(options, authorization=f"bearer {TOKEN}") is None
    assert _refusal(options) == 401
    assert _refusal(options, authorization=f"Bearer {TOKEN}x") == 401
    assert _refusal(options, authorization=f"Bearer {TOKEN}", host="evil.test") == 421
    assert _refusal(options, authorization=f"Bearer {TOKEN}", origin="https://evil.test") == 403


def test_without_a_token_only_the_allow_lists_apply() -> None:
    assert _refusal(ServiceOptions()) is None
    assert _refusal(ServiceOptions(), host="evil.test") == 421
