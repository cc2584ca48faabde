"""The sandbox's independent ACS3 verifier and its RPC/ROA dispatch answer as the Alibaba gateway does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from starlette.requests import Request

from agent_threads.auth.acs3 import Acs3Auth
from agent_threads.sandbox import SandboxContext
from agent_threads.sandbox.alibaba.app import match_path, roa_app, rpc_app
from agent_threads.sandbox.alibaba.wire import ApiError, error_reply
from agent_threads.sandbox.core import ASGIApp, Fault

CTX_CREDS = SandboxContext().creds
VERSION = "2025-05-07"


def _rpc(ctx: SandboxContext, seen: list[dict[str, str]]) -> ASGIApp:
    async def echo(params: dict[str, str]) -> dict[str, Any]:
        seen.append(params)
        return {"Data": params}

    async def refuse(params: dict[str, str]) -> dict[str, Any]:
        raise ApiError(400, "InvalidParameter", "Limit must be 1-100.")

    return rpc_app(ctx, "rdsai", VERSION, {"Echo": echo, "Refuse": refuse})


def _client(
    app: ASGIApp,
    *,
    secret: str = CTX_CREDS.alibaba_key_secret,
    key: str = CTX_CREDS.alibaba_key_id,
    token: str | None = None,
    clock: Callable[[], datetime] | None = None,
) -> httpx.AsyncClient:
    options: dict[str, Any] = {"clock": clock} if clock else {}
    auth = Acs3Auth(key, secret, token, **options)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://sandbox.test", auth=auth)


def _signed(client: httpx.AsyncClient, request: httpx.Request) -> httpx.Request:
    """The request as the client's signer sends it."""
    assert client.auth is not None
    return next(client.auth.sync_auth_flow(request))


def _call(client: httpx.AsyncClient, action: str = "Echo", version: str = VERSION, **params: str) -> httpx.Request:
    return client.build_request("POST", "/", params=params, headers={"x-acs-action": action, "x-acs-version": version})


async def test_a_well_signed_rpc_call_reaches_its_handler_with_decoded_parameters() -> None:
    seen: list[dict[str, str]] = []
    async with _client(_rpc(SandboxContext(), seen)) as client:
        response = await client.send(_call(client, Query="磁盘 usage?/+=", Limit="10"))
    assert response.status_code == 200, response.text
    assert seen == [{"Query": "磁盘 usage?/+=", "Limit": "10"}]
    assert response.json()["RequestId"]


async def test_a_wrong_secret_is_rejected_with_signature_does_not_match() -> None:
    async with _client(_rpc(SandboxContext(), []), secret="wrong-secret") as client:
        response = await client.send(_call(client))
    body = response.json()
    assert (response.status_code, body["Code"]) == (400, "SignatureDoesNotMatch")
    assert body["RequestId"] and "server string to sign is:ACS3-HMAC-SHA256\n" in body["Message"]


def _raw(app: ASGIApp) -> httpx.AsyncClient:
    """A client that sends requests exactly as given (no auth)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://sandbox.test")


async def test_a_request_changed_after_signing_is_rejected() -> None:
    app = _rpc(SandboxContext(), [])
    async with _client(app) as client, _raw(app) as raw:
        signed = _signed(client, _call(client, Limit="10"))
        tampered = httpx.Request("POST", str(signed.url).replace("Limit=10", "Limit=99"), headers=signed.headers)
        response = await raw.send(tampered)
    assert response.json()["Code"] == "SignatureDoesNotMatch"


async def test_an_unknown_access_key_is_not_found() -> None:
    async with _client(_rpc(SandboxContext(), []), key="LTAIunknown000000000") as client:
        response = await client.send(_call(client))
    assert (response.status_code, response.json()["Code"]) == (404, "InvalidAccessKeyId.NotFound")


async def test_a_date_older_than_fifteen_minutes_is_expired() -> None:
    def stale() -> datetime:
        return datetime.now(timezone.utc) - timedelta(minutes=16)

    async with _client(_rpc(SandboxContext(), []), clock=stale) as client:
        response = await client.send(_call(client))
    assert (response.status_code, response.json()["Code"]) == (400, "InvalidTimeStamp.Expired")


async def test_a_replayed_nonce_is_refused() -> None:
    app = _rpc(SandboxContext(), [])
    async with _client(app) as client, _raw(app) as raw:
        signed = _signed(client, _call(client))
        first = await raw.send(signed)
        again = await raw.send(signed)
    assert first.status_code == 200
    assert again.json()["Code"] == "SignatureNonceUsed"


async def test_an_unsigned_request_is_an_incomplete_signature() -> None:
    async with _raw(_rpc(SandboxContext(), [])) as raw:
        response = await raw.post("/", headers={"x-acs-action": "Echo", "x-acs-version": VERSION})
    assert (response.status_code, response.json()["Code"]) == (400, "IncompleteSignature")


async def test_an_acs_header_left_out_of_the_signature_is_an_incomplete_signature() -> None:
    app = _rpc(SandboxContext(), [])
    async with _client(app) as client, _raw(app) as raw:
        signed = _signed(client, _call(client))
        signed.headers["x-acs-extra"] = "added later"
        response = await raw.send(signed)
    assert response.json()["Code"] == "IncompleteSignature"


async def test_an_sts_token_must_match_the_one_issued() -> None:
    ctx = SandboxContext(options={"alibaba.security_token": "sts-issued"})
    async with _client(_rpc(ctx, []), token="sts-issued") as good, _client(_rpc(ctx, []), token="sts-forged") as bad:
        assert (await good.send(_call(good))).status_code == 200
        assert (await bad.send(_call(bad))).json()["Code"] == "InvalidSecurityToken.Malformed"


async def test_another_api_version_is_invalid() -> None:
    async with _client(_rpc(SandboxContext(), [])) as client:
        response = await client.send(_call(client, version="2020-01-01"))
    assert (response.status_code, response.json()["Code"]) == (400, "InvalidVersion")


async def test_an_unknown_action_is_not_found_and_a_handler_error_keeps_the_envelope() -> None:
    async with _client(_rpc(SandboxContext(), [])) as client:
        missing = await client.send(_call(client, action="Nope"))
        refused = await client.send(_call(client, action="Refuse"))
    assert (missing.status_code, missing.json()["Code"]) == (404, "InvalidApi.NotFound")
    assert (refused.status_code, refused.json()["Code"], refused.json()["Message"]) == (
        400,
        "InvalidParameter",
        "Limit must be 1-100.",
    )


async def test_a_roa_route_gets_its_path_segments_decoded_with_an_encoded_slash_kept_inside() -> None:
    async def thread(request: Request, params: dict[str, str]) -> dict[str, Any]:
        return {"params": params}

    app = roa_app(
        SandboxContext(), "starops", "2026-04-28", [("GET", "/digitalEmployee/{name}/thread/{threadId}", thread)]
    )
    async with _client(app) as client:
        path = "/digitalEmployee/emp%201/thread/a%2Fb%20c~%2A%E4%B8%AD"
        response = await client.get(path, headers={"x-acs-action": "GetThread", "x-acs-version": "2026-04-28"})
        unknown = await client.get("/nowhere", headers={"x-acs-action": "GetThread", "x-acs-version": "2026-04-28"})
    assert response.json()["params"] == {"name": "emp 1", "threadId": "a/b c~*中"}
    assert response.json()["requestId"]
    assert (unknown.status_code, unknown.json()["code"]) == (404, "InvalidApi.NotFound")


def test_path_templates_match_whole_segments_only() -> None:
    assert match_path("/a/{x}/c", "/a/b%2Fd/c") == {"x": "b/d"}
    assert match_path("/a/{x}/c", "/a/b/d/c") is None
    assert match_path("/a/{x}", "/b/c") is None


def test_a_throttle_fault_answers_throttling_user_with_retry_after_in_milliseconds() -> None:
    status, headers, body = error_reply(Fault("throttle", retry_after=1.5))
    assert (status, headers["x-acs-retry-after"]) == (400, "1500")
    assert b'"Code":"Throttling.User"' in body and b'"RequestId"' in body


def test_a_server_error_fault_answers_service_unavailable() -> None:
    status, _, body = error_reply(Fault("server_error"))
    assert status == 503 and b'"Code":"ServiceUnavailable"' in body
