from __future__ import annotations

import anyio
from mcp import Client

from agent_threads.errors import NotFoundError
from agent_threads.http import Timeouts

from ..fakes import FAKE_TOKEN, FakeProvider, fake_server
from ..fakes import result_text as _text


async def test_an_unconfigured_provider_error_names_what_is_configured_and_what_is_missing() -> None:
    async with Client(fake_server(FakeProvider())) as client:
        result = await client.call_tool("list_threads", {"provider": "dataagent"})
    assert result.is_error
    assert "set X" in _text(result) and "Configured providers: qoder" in _text(result)


async def test_a_call_past_the_tool_deadline_is_a_clear_error() -> None:
    class Stuck(FakeProvider):
        async def read(self, ref, state, limit):  # type: ignore[no-untyped-def]
            await anyio.sleep_forever()

    async with Client(fake_server(Stuck(threads={"qoder:s/t": []}), timeouts=Timeouts(tool=0.05))) as client:
        with anyio.fail_after(5):
            result = await client.call_tool("get_thread_messages", {"thread": "qoder:s/t"})
    assert result.is_error and "Gave up after 0.05s" in _text(result)


async def test_a_vendor_error_quoting_a_credential_reaches_the_model_masked() -> None:
    class Leaky(FakeProvider):
        async def read(self, ref, state, limit):  # type: ignore[no-untyped-def]
            raise NotFoundError(f"token {FAKE_TOKEN} has no access", provider="qoder", status=404)

    async with Client(fake_server(Leaky())) as client:
        result = await client.call_tool("get_thread_messages", {"thread": "qoder:s/t"})
    assert result.is_error and FAKE_TOKEN not in _text(result) and "token *** has no access" in _text(result)
