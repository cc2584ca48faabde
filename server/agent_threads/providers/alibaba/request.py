"""Requests to the Alibaba Cloud products (cms/starops, dms, rdsai): the ACS3-signing channel of an account, RPC
calls (every parameter in the query) and ROA calls (a resource path, a compact JSON body), as the SDKs send them."""

from __future__ import annotations

from typing import Any

import httpx

from ... import http
from ...auth.acs3 import Acs3Auth
from ...http import Timeouts, url_path
from ...wire import compact_json
from ..base import ProviderSettings
from .credentials import DEFAULT_REGION
from .errors import checker


def base_url(settings: ProviderSettings, default_endpoint: str) -> str:
    """The base URL: the configured override (a full URL), else ``default_endpoint`` with ``{region}`` filled in."""
    if settings.endpoint:
        return settings.endpoint.rstrip("/")
    url = default_endpoint.format(region=settings.region or DEFAULT_REGION)
    return url if url.startswith(("http://", "https://")) else f"https://{url}"


def acs3_channel(
    settings: ProviderSettings, timeouts: Timeouts, policy: http.RetryPolicy, default_endpoint: str
) -> http.Channel:
    """An ACS3-signing channel for one account, checking replies the Alibaba way. ``default_endpoint`` may hold
    ``{region}``."""
    creds = settings.credentials
    auth = Acs3Auth(creds["access_key_id"], creds["access_key_secret"], creds.get("security_token") or None)
    url = base_url(settings, default_endpoint)
    client = http.make_client(url, auth, timeouts, headers={"accept": "application/json"})
    return http.Channel(settings.id, client, checker(settings.id), policy, timeouts)


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return compact_json(value)
    return str(value)


def query_params(params: dict[str, Any] | None) -> dict[str, str]:
    """Query values as the SDK sends them: None dropped, bools lowercase, lists and dicts as compact JSON."""
    return {k: _query_value(v) for k, v in (params or {}).items() if v is not None}


def rpc_request(client: httpx.AsyncClient, action: str, version: str, params: dict[str, Any]) -> httpx.Request:
    """An RPC call: ``POST /`` with every parameter in the query and an empty body (alibaba.md caveat 3)."""
    headers = {"x-acs-action": action, "x-acs-version": version}
    return client.build_request("POST", "/", params=query_params(params), headers=headers)


def roa_path(path: str | list[str]) -> str:
    """A ROA path: a string is used as is (already encoded); a list holds raw segments, each percent-encoded."""
    if isinstance(path, str):
        return path
    return "/" + url_path(*path)


def roa_request(
    client: httpx.AsyncClient,
    method: str,
    path: str | list[str],
    action: str,
    version: str,
    query: dict[str, Any] | None = None,
    json_body: Any = None,
) -> httpx.Request:
    """A ROA call: resource path, query parameters, optional compact-JSON body (signed with its content type)."""
    headers = {"x-acs-action": action, "x-acs-version": version}
    content: bytes | None = None
    if json_body is not None:
        content = compact_json(json_body).encode()
        headers["content-type"] = "application/json; charset=utf-8"
    return client.build_request(method, roa_path(path), params=query_params(query), headers=headers, content=content)
