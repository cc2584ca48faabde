"""The suite-wide secret scan (conftest.no_secret_leaks) is itself a check that can fail."""

from __future__ import annotations

from .conftest import leaks, register_secret


def test_the_scan_finds_a_configured_secret_and_a_signed_header() -> None:
    secret = register_secret("scan-me-secret-42")
    assert leaks(["ok", f"error: {secret} rejected"]) == ["scan…"]
    assert leaks(["Authorization: Bearer abc"]) == ["authorization: bearer "]
    assert leaks(["error: ***"]) == []
