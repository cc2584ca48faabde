"""TC3-HMAC-SHA256 against the request the official SDK recorded (tencent-qoder.md §1.6)."""

from __future__ import annotations

import httpx

from agent_threads.auth.tc3 import (
    TC3Auth,
    canonical_request,
    credential_scope,
    scope_date,
    sign,
    string_to_sign,
)

RECORDED_BODY = b'{"InstanceId": "ins-abc123", "SessionId": "sess-1"}'
RECORDED_TS = 1795311045
RECORDED_SIGNATURE = "07fb67d63717dda52608ae7e98dadfb35f59b322bd495fe358111d70025574f2"
RECORDED_CANONICAL = (
    "POST\n/\n\ncontent-type:application/json\nhost:127.0.0.1:18080\n\ncontent-type;host\n"
    "f1fca6acd889b39f871444cf9f8cfd0302acfa8702a91c43e63386625e3bac34"
)
RECORDED_TO_SIGN = (
    "TC3-HMAC-SHA256\n1795311045\n2026-11-22/dataagent/tc3_request\n"
    "52949182b1af5b27fefac3f9f8d767bc5aafa93b2a1c89565c016681956dff31"
)


def _recorded_request() -> httpx.Request:
    return httpx.Request(
        "POST",
        "http://127.0.0.1:18080/",
        content=RECORDED_BODY,
        headers={"Content-Type": "application/json", "X-TC-Action": "GetSessionDetails", "X-TC-Version": "2025-05-13"},
    )


def _recorded_auth(**overrides: object) -> TC3Auth:
    options: dict[str, object] = {
        "service": "dataagent",
        "region": "ap-guangzhou",
        "language": "zh-CN",
        "signed_headers": ("content-type", "host"),
        "clock": lambda: float(RECORDED_TS),
        "nonce": lambda: "ee642c6e-f7b1-4f1f-afaa-81198288346e",
    }
    options.update(overrides)
    return TC3Auth("AKIDEXAMPLEEXAMPLE", "SECRETEXAMPLEEXAMPLE", "STS-TOKEN-EXAMPLE", **options)  # type: ignore[arg-type]


def _signed(auth: TC3Auth, request: httpx.Request) -> httpx.Request:
    return next(auth.sync_auth_flow(request))


def test_canonical_request_and_string_to_sign_match_the_recorded_sdk_call() -> None:
    headers = {"content-type": "application/json", "host": "127.0.0.1:18080"}
    canonical = canonical_request("POST", "/", "", headers, RECORDED_BODY)
    assert canonical == RECORDED_CANONICAL
    assert string_to_sign(RECORDED_TS, credential_scope(RECORDED_TS, "dataagent"), canonical) == RECORDED_TO_SIGN


def test_the_recorded_get_session_details_request_is_reproduced_header_for_header() -> None:
    request = _signed(_recorded_auth(), _recorded_request())
    assert request.headers["Authorization"] == (
        "TC3-HMAC-SHA256 Credential=AKIDEXAMPLEEXAMPLE/2026-11-22/dataagent/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={RECORDED_SIGNATURE}"
    )
    expected = {
        "Host": "127.0.0.1:18080",
        "Content-Type": "application/json",
        "X-TC-Action": "GetSessionDetails",
        "X-TC-Timestamp": "1795311045",
        "X-TC-Version": "2025-05-13",
        "X-TC-Region": "ap-guangzhou",
        "X-TC-Token": "STS-TOKEN-EXAMPLE",
        "X-TC-Language": "zh-CN",
        "X-TC-TraceId": "ee642c6e-f7b1-4f1f-afaa-81198288346e",
        "Content-Length": "51",
    }
    assert {k: request.headers[k] for k in expected} == expected
    assert request.content == RECORDED_BODY


def test_the_sts_token_is_sent_but_not_signed() -> None:
    with_token = _signed(_recorded_auth(), _recorded_request())
    without = _signed(
        TC3Auth(
            "AKIDEXAMPLEEXAMPLE",
            "SECRETEXAMPLEEXAMPLE",
            service="dataagent",
            signed_headers=("content-type", "host"),
            clock=lambda: float(RECORDED_TS),
        ),
        _recorded_request(),
    )
    assert "X-TC-Token" not in without.headers
    assert with_token.headers["Authorization"] == without.headers["Authorization"]


def test_the_default_signs_the_action_too_and_language_is_english() -> None:
    request = _signed(
        _recorded_auth(signed_headers=("content-type", "host", "x-tc-action"), language="en-US"), _recorded_request()
    )
    assert "SignedHeaders=content-type;host;x-tc-action," in request.headers["Authorization"]
    assert RECORDED_SIGNATURE not in request.headers["Authorization"]
    assert TC3Auth("a", "b", service="dataagent").language == "en-US"


def test_the_scope_date_comes_from_the_same_timestamp_as_the_header_across_midnight() -> None:
    just_before = 1795391999  # 2026-11-22T23:59:59Z
    request = _signed(_recorded_auth(clock=lambda: just_before + 0.9), _recorded_request())
    assert request.headers["X-TC-Timestamp"] == str(just_before)
    assert "/2026-11-22/dataagent/" in request.headers["Authorization"]
    assert scope_date(just_before + 1) == "2026-11-23"


def test_every_attempt_is_signed_with_a_fresh_timestamp() -> None:
    ticks = iter([1000.0, 1007.0])
    auth = _recorded_auth(clock=lambda: next(ticks))
    request = _recorded_request()
    first = _signed(auth, request).headers["Authorization"]
    second = _signed(auth, request)
    assert second.headers["X-TC-Timestamp"] == "1007"
    assert second.headers["Authorization"] != first


def test_sign_covers_the_exact_body_bytes() -> None:
    request = _recorded_request()
    other = httpx.Request(
        "POST",
        "http://127.0.0.1:18080/",
        content=b'{"InstanceId":"ins-abc123","SessionId":"sess-1"}',
        headers=request.headers,
    )
    args = ("AKIDEXAMPLEEXAMPLE", "SECRETEXAMPLEEXAMPLE", "dataagent", RECORDED_TS)
    assert sign(*args, request, ("content-type", "host")) != sign(*args, other, ("content-type", "host"))


def test_the_auth_repr_hides_the_secret_key() -> None:
    assert "SECRETEXAMPLE" not in repr(_recorded_auth())
