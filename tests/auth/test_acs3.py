"""ACS3-HMAC-SHA256 against the known-answer vectors checked with the official SDK (alibaba.md §8)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from itertools import count

import httpx

from agent_threads.auth.acs3 import (
    EMPTY_SHA256,
    Acs3Auth,
    canonical_request,
    sign,
    string_to_sign,
)

DATE = datetime(2026, 1, 1, tzinfo=timezone.utc)
NONCE = "0123456789abcdef0123456789abcdef"
MINIMAL_SIGNED = "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"


def _auth(token: str | None = None) -> Acs3Auth:
    return Acs3Auth("test-ak", "test-secret", token, clock=lambda: DATE, nonce=lambda: NONCE)


def _signed(auth: Acs3Auth, request: httpx.Request) -> httpx.Request:
    return next(auth.sync_auth_flow(request))


def _minimal_headers(host: str, action: str, version: str) -> dict[str, str]:
    return {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": "2026-01-01T00:00:00Z",
        "x-acs-signature-nonce": NONCE,
        "x-acs-content-sha256": EMPTY_SHA256,
    }


def test_the_rpc_vector_signs_to_the_sdk_signature() -> None:
    headers = _minimal_headers("rdsai.aliyuncs.com", "GetMessages", "2025-05-07")
    canonical = canonical_request("POST", "/", [("Limit", "10"), ("ConversationId", "conv-1")], headers, EMPTY_SHA256)
    assert (
        sign("test-secret", string_to_sign(canonical))
        == "d6697b52ca6f32f10aca691c0637d945ea46565c5c91960337cd9d4b6b3acc92"
    )


def test_the_roa_vector_encodes_a_space_in_the_query_as_percent_20() -> None:
    headers = _minimal_headers("starops.cn-beijing.aliyuncs.com", "GetThreadData", "2026-04-28")
    path = "/digitalEmployee/test/thread/thread_id01/data"
    canonical = canonical_request("GET", path, [("maxResults", "100"), ("nextToken", "a b")], headers, EMPTY_SHA256)
    assert "\nmaxResults=100&nextToken=a%20b\n" in canonical
    assert (
        sign("test-secret", string_to_sign(canonical))
        == "8b1a5beb0ead659914dc4c4902824c53311dac467f2ac8cabbd783aab376b647"
    )


def test_the_full_sdk_request_with_every_header_signed_matches_the_recorded_string_to_sign() -> None:
    headers = _minimal_headers("127.0.0.1:8999", "GetMessages", "2025-05-07") | {
        "accept": "application/json",
        "user-agent": "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
        "x-acs-credentials-provider": "static_ak",
    }
    canonical = canonical_request("POST", "/", [("ConversationId", "conv-1"), ("Limit", "10")], headers, EMPTY_SHA256)
    to_sign = string_to_sign(canonical)
    assert to_sign == "ACS3-HMAC-SHA256\n237faa381550b3a4bf4a7ed359c710e0b47372e367a974f728667e67de9886c8"
    assert sign("test-secret", to_sign) == "144e257aa14db6aec103eb64ef0163889ef018922b4f7fe48b08af7b1a01a59b"


def test_the_auth_reproduces_the_rpc_vector_on_a_real_request() -> None:
    request = httpx.Request(
        "POST",
        "https://rdsai.aliyuncs.com/",
        params={"ConversationId": "conv-1", "Limit": "10"},
        headers={"x-acs-action": "GetMessages", "x-acs-version": "2025-05-07"},
    )
    signed = _signed(_auth(), request)
    assert signed.headers["Authorization"] == (
        f"ACS3-HMAC-SHA256 Credential=test-ak,SignedHeaders={MINIMAL_SIGNED},"
        "Signature=d6697b52ca6f32f10aca691c0637d945ea46565c5c91960337cd9d4b6b3acc92"
    )
    assert signed.headers["x-acs-content-sha256"] == EMPTY_SHA256
    assert signed.headers["x-acs-date"] == "2026-01-01T00:00:00Z"


def test_the_auth_reproduces_the_roa_vector_whatever_the_wire_encoding_of_the_query() -> None:
    request = httpx.Request(
        "GET",
        "https://starops.cn-beijing.aliyuncs.com/digitalEmployee/test/thread/thread_id01/data?maxResults=100&nextToken=a+b",
        headers={"x-acs-action": "GetThreadData", "x-acs-version": "2026-04-28"},
    )
    signed = _signed(_auth(), request)
    assert signed.headers["Authorization"].endswith(
        "Signature=8b1a5beb0ead659914dc4c4902824c53311dac467f2ac8cabbd783aab376b647"
    )


def test_a_json_body_is_hashed_and_its_content_type_signed() -> None:
    body = b'{"action":"create"}'
    request = httpx.Request(
        "POST",
        "https://starops.cn-hangzhou.aliyuncs.com/chat",
        content=body,
        headers={
            "content-type": "application/json; charset=utf-8",
            "x-acs-action": "CreateChat",
            "x-acs-version": "2026-04-28",
        },
    )
    signed = _signed(_auth(), request)
    assert "SignedHeaders=content-type;host;" in signed.headers["Authorization"]
    assert signed.headers["x-acs-content-sha256"] == hashlib.sha256(body).hexdigest()


def test_an_sts_token_adds_the_key_id_and_token_headers_and_signs_both() -> None:
    request = httpx.Request(
        "POST", "https://rdsai.aliyuncs.com/", headers={"x-acs-action": "GetMessages", "x-acs-version": "2025-05-07"}
    )
    signed = _signed(_auth("sts-token-xyz"), request)
    assert signed.headers["x-acs-security-token"] == "sts-token-xyz"
    assert signed.headers["x-acs-accesskey-id"] == "test-ak"
    assert (
        "SignedHeaders=host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-date;"
        "x-acs-security-token;x-acs-signature-nonce;x-acs-version," in signed.headers["Authorization"]
    )


def test_each_signing_pass_takes_a_fresh_nonce_and_date() -> None:
    nonces = (f"nonce-{i}" for i in count())
    seconds = count()
    auth = Acs3Auth(
        "test-ak", "test-secret", clock=lambda: DATE.replace(second=next(seconds)), nonce=lambda: next(nonces)
    )
    request = httpx.Request(
        "GET", "https://cms.aliyuncs.com/digital-employee", headers={"x-acs-action": "ListDigitalEmployees"}
    )
    first = dict(_signed(auth, request).headers)
    second = dict(_signed(auth, request).headers)
    assert (first["x-acs-signature-nonce"], second["x-acs-signature-nonce"]) == ("nonce-0", "nonce-1")
    assert (first["x-acs-date"], second["x-acs-date"]) == ("2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z")
    assert first["authorization"] != second["authorization"]


def test_the_host_header_keeps_a_non_default_port() -> None:
    request = httpx.Request(
        "GET", "http://127.0.0.1:8999/digital-employee", headers={"x-acs-action": "ListDigitalEmployees"}
    )
    assert _signed(_auth(), request).headers["host"] == "127.0.0.1:8999"


def test_the_auth_repr_never_shows_the_secret() -> None:
    assert "test-secret" not in repr(_auth()) and "test-ak" in repr(_auth())
