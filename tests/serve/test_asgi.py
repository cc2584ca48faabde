"""The service over real loopback HTTP with a real MCP client: token, health probes, Host/Origin allow-lists."""

from __future__ import annotations

import logging
from dataclasses import replace

import httpx
import pytest
from mcp import Client

from agent_threads.config import Settings
from agent_threads.sandbox import Sandbox
from agent_threads.serve import ServiceOptions

from .conftest import MCP_HEADERS, TOKEN, TOOLS_LIST, mcp_client, sandbox_service

WITH_TOKEN = ServiceOptions(port=0, token=TOKEN)


async def test_a_tool_call_with_the_bearer_token_is_answered(sandbox: Sandbox) -> None:
    async with sandbox_service(sandbox, WITH_TOKEN) as (_, base), mcp_client(base) as client:
        result = await client.call_tool("list_providers", {})
    assert not result.is_error and result.structured_content["providers"]


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token-0123456789", f"Basic {TOKEN}", "Bearer"])
async def test_an_mcp_request_without_the_right_token_is_refused_with_401_and_a_bearer_challenge(
    sandbox: Sandbox, authorization: str | None
) -> None:
    headers = MCP_HEADERS | ({"authorization": authorization} if authorization else {})
    async with sandbox_service(sandbox, WITH_TOKEN) as (_, base), httpx.AsyncClient() as http:
        reply = await http.post(f"{base}/mcp", content=TOOLS_LIST, headers=headers)
        stream = await http.get(f"{base}/mcp", headers={"accept": "text/event-stream", **headers})
    assert reply.status_code == stream.status_code == 401
    assert reply.headers["www-authenticate"].startswith("Bearer")
    assert "tools" not in reply.text


async def test_the_mcp_client_without_a_token_gets_nothing(sandbox: Sandbox) -> None:
    async with sandbox_service(sandbox, WITH_TOKEN) as (_, base):
        with pytest.raises(Exception) as refused:
            async with mcp_client(base, token=None) as client:
                await client.call_tool("list_providers", {})
    assert "Unauthorized" in repr(refused.value)


async def test_health_probes_answer_without_a_token_and_reveal_no_configuration(sandbox: Sandbox) -> None:
    async with sandbox_service(sandbox, WITH_TOKEN) as (_, base), httpx.AsyncClient() as http:
        alive = await http.get(f"{base}/healthz")
        ready = await http.get(f"{base}/readyz")
    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    said = alive.text + ready.text + str(alive.headers) + str(ready.headers)
    for secret_or_config in [*sandbox.ports, *map(str, sandbox.ports.values()), "127.0.0.1", TOKEN]:
        assert secret_or_config not in said


async def test_health_probes_answer_head_and_refuse_other_methods(sandbox: Sandbox) -> None:
    async with sandbox_service(sandbox) as (_, base), httpx.AsyncClient() as http:
        head = await http.head(f"{base}/readyz")
        post = await http.post(f"{base}/healthz")
    assert (head.status_code, head.content) == (200, b"")
    assert post.status_code == 405 and post.headers["allow"] == "GET, HEAD"


async def test_readyz_is_503_while_no_provider_is_configured(sandbox: Sandbox) -> None:
    async with sandbox_service(sandbox, settings=Settings()) as (_, base), httpx.AsyncClient() as http:
        ready = await http.get(f"{base}/readyz")
        alive = await http.get(f"{base}/healthz")
    assert (ready.status_code, ready.json()) == (503, {"status": "not ready", "failing": ["providers"]})
    assert alive.status_code == 200


async def test_readyz_runs_every_check_the_server_registers_and_names_only_the_failing_kind(
    sandbox: Sandbox,
) -> None:
    async with sandbox_service(sandbox) as (service, base), httpx.AsyncClient() as http:
        readiness = service.app.readiness

        async def index_unreachable() -> bool:
            raise OSError("connection refused to postgresql://user:secret@db/threads")

        readiness.add("index", index_unreachable)
        failing = await http.get(f"{base}/readyz")
        readiness.discard("index")
        recovered = await http.get(f"{base}/readyz")
    assert (failing.status_code, failing.json()["failing"]) == (503, ["index"])
    assert "secret" not in failing.text and "postgresql" not in failing.text
    assert recovered.status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "localhost.evil.example", "127.0.0.1.nip.io:8765"])
async def test_a_foreign_host_header_is_refused_on_a_loopback_bind_even_with_the_token(
    sandbox: Sandbox, host: str
) -> None:
    headers = MCP_HEADERS | {"host": host, "authorization": f"Bearer {TOKEN}"}
    async with sandbox_service(sandbox, WITH_TOKEN) as (_, base), httpx.AsyncClient() as http:
        reply = await http.post(f"{base}/mcp", content=TOOLS_LIST, headers=headers)
    assert reply.status_code == 421


async def test_a_foreign_origin_is_refused_and_a_loopback_origin_is_not(sandbox: Sandbox) -> None:
    headers = MCP_HEADERS | {"authorization": f"Bearer {TOKEN}"}
    async with sandbox_service(sandbox, WITH_TOKEN) as (_, base), httpx.AsyncClient() as http:
        foreign = await http.post(f"{base}/mcp", content=TOOLS_LIST, headers=headers | {"origin": "https://evil.test"})
        local = await http.post(
            f"{base}/mcp", content=TOOLS_LIST, headers=headers | {"origin": "http://localhost:5173"}
        )
    assert foreign.status_code == 403
    assert local.status_code == 200 and "list_threads" in local.text


async def test_the_allow_lists_widen_to_the_names_given(sandbox: Sandbox) -> None:
    options = replace(WITH_TOKEN, allowed_hosts=("threads.example.com",), allowed_origins=("https://app.example.com",))
    headers = MCP_HEADERS | {"authorization": f"Bearer {TOKEN}", "host": "threads.example.com"}
    async with sandbox_service(sandbox, options) as (_, base), httpx.AsyncClient() as http:
        named = await http.post(
            f"{base}/mcp", content=TOOLS_LIST, headers=headers | {"origin": "https://app.example.com"}
        )
        loopback = await http.post(f"{base}/mcp", content=TOOLS_LIST, headers=headers | {"host": "localhost"})
    assert named.status_code == 200
    assert loopback.status_code == 421  # an explicit list replaces the loopback names


async def test_a_star_allows_any_host_and_origin(sandbox: Sandbox) -> None:
    options = replace(WITH_TOKEN, allowed_hosts=("*",), allowed_origins=("*",))
    headers = MCP_HEADERS | {"authorization": f"Bearer {TOKEN}", "host": "anything.test", "origin": "https://x.test"}
    async with sandbox_service(sandbox, options) as (_, base), httpx.AsyncClient() as http:
        reply = await http.post(f"{base}/mcp", content=TOOLS_LIST, headers=headers)
    assert reply.status_code == 200


async def test_each_request_writes_one_access_line_with_the_tool_and_never_the_token(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with sandbox_service(sandbox, WITH_TOKEN) as (_, base):
        async with mcp_client(base) as client:
            await client.call_tool("list_providers", {})
        async with httpx.AsyncClient() as http:
            await http.post(
                f"{base}/mcp", content=TOOLS_LIST, headers=MCP_HEADERS | {"authorization": "Bearer not-the-token"}
            )
            await http.get(f"{base}/healthz?token=query-string-secret")
    server_side = [r for r in caplog.records if r.name.startswith(("agent_threads", "uvicorn", "mcp.server"))]
    lines = [r.getMessage() for r in server_side if r.name == "agent_threads.access"]
    everything = "\n".join(r.getMessage() for r in server_side)
    call = [line for line in lines if "rpc=tools/call" in line]
    assert len(call) == 1 and call[0].startswith("POST /mcp rpc=tools/call tool=list_providers status=200 ms=")
    assert any(line.startswith("POST /mcp rpc=- tool=- status=401") for line in lines)
    assert any(line.startswith("GET /healthz rpc=- tool=- status=200") for line in lines)
    assert TOKEN not in everything and "authorization" not in everything.lower()
    assert "query-string-secret" not in everything


async def test_a_client_connects_through_the_sdk_with_default_settings(sandbox: Sandbox) -> None:
    async with sandbox_service(sandbox) as (_, base), Client(f"{base}/mcp") as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert "get_thread_messages" in names
