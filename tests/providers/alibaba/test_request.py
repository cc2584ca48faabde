"""Requests to the Alibaba products as the SDKs send them: endpoints, the signing channel, RPC and ROA shapes."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import assume, given
from hypothesis import strategies as st

from agent_threads import http
from agent_threads.auth.acs3 import Acs3Auth
from agent_threads.http import RetryPolicy, Timeouts
from agent_threads.providers.alibaba.request import acs3_channel, base_url, roa_path, roa_request, rpc_request
from agent_threads.providers.base import ProviderSettings
from agent_threads.sandbox.alibaba.app import match_path

KEY_ID = "LTAI5tAbCdEfGhIjKlMn0000"
CREDS = {"access_key_id": KEY_ID, "access_key_secret": "not-a-real-secret"}


def _settings(**kw: Any) -> ProviderSettings:
    return ProviderSettings("starops", "starops", credentials=CREDS, **kw)


def test_the_default_endpoint_fills_in_the_region() -> None:
    assert (
        base_url(_settings(region="cn-beijing"), "https://starops.{region}.aliyuncs.com")
        == "https://starops.cn-beijing.aliyuncs.com"
    )
    assert base_url(_settings(), "starops.{region}.aliyuncs.com") == "https://starops.cn-hangzhou.aliyuncs.com"


def _channel() -> http.Channel:
    return acs3_channel(_settings(), Timeouts(), RetryPolicy(), "https://starops.{region}.aliyuncs.com")


def test_an_endpoint_override_is_used_as_given() -> None:
    settings = _settings(endpoint="http://127.0.0.1:8999/", region="cn-beijing")
    assert base_url(settings, "https://starops.{region}.aliyuncs.com") == "http://127.0.0.1:8999"


async def test_a_client_signs_with_the_configured_key() -> None:
    async with acs3_channel(_settings(), Timeouts(), RetryPolicy(), "https://cms.aliyuncs.com").client as client:
        request = rpc_request(client, "ListThings", "2025-01-01", {})
        assert isinstance(client.auth, Acs3Auth) and client.auth.access_key_id == KEY_ID
        assert str(request.url) == "https://cms.aliyuncs.com/"


async def test_an_rpc_request_puts_every_parameter_in_the_query_and_sends_no_body() -> None:
    async with acs3_channel(
        _settings(), Timeouts(), RetryPolicy(), "https://dms.{region}.aliyuncs.com"
    ).client as client:
        params = {"PageSize": 10, "IsSaved": True, "SessionConfig": {"Language": "中文"}, "Title": None}
        request = rpc_request(client, "ListDataAgentSession", "2025-04-14", params)
    assert request.method == "POST" and request.url.path == "/" and request.content == b""
    assert dict(request.url.params) == {"PageSize": "10", "IsSaved": "true", "SessionConfig": '{"Language":"中文"}'}
    assert (request.headers["x-acs-action"], request.headers["x-acs-version"]) == ("ListDataAgentSession", "2025-04-14")


async def test_roa_path_segments_are_percent_encoded_like_the_sdk() -> None:
    async with _channel().client as client:
        segments = ["digitalEmployee", "emp 1", "thread", "a/b c~*中", "data"]
        request = roa_request(
            client, "GET", segments, "GetThreadData", "2026-04-28", {"maxResults": 100, "nextToken": "x y/+="}
        )
    assert (
        request.url.raw_path
        == b"/digitalEmployee/emp%201/thread/a%2Fb%20c~%2A%E4%B8%AD/data?maxResults=100&nextToken=x+y%2F%2B%3D"
    )


async def test_a_roa_json_body_is_compact_utf8_with_its_content_type() -> None:
    async with _channel().client as client:
        request = roa_request(
            client, "POST", "/chat", "CreateChat", "2026-04-28", json_body={"action": "create", "v": "你好"}
        )
    assert request.content == '{"action":"create","v":"你好"}'.encode()
    assert request.headers["content-type"] == "application/json; charset=utf-8"


@given(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40))
def test_any_id_survives_the_encoded_path_on_the_wire_and_the_sandbox_decoding(segment: str) -> None:
    assume(segment not in (".", ".."))  # refs refuse these: URLs would fold them away
    path = roa_path(["digitalEmployee", segment, "thread", "t/1", "data"])
    assert httpx.URL("http://127.0.0.1:1" + path).raw_path.decode() == path
    assert match_path("/digitalEmployee/{name}/thread/{threadId}/data", path) == {"name": segment, "threadId": "t/1"}
