from __future__ import annotations

import re
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import EmbeddedResource, TextContent, TextResourceContents

from agent_threads.app import build_server
from agent_threads.config import Settings
from agent_threads.errors import ServerError
from agent_threads.providers.base import Batch, ProviderSettings, State
from agent_threads.refs import ThreadRef
from agent_threads.resources import thread_uri

from .fakes import FakeProvider, fake_factory, sample_messages

SETTINGS = Settings(providers=(ProviderSettings("qoder", "qoder"),))


def _server(fake: FakeProvider) -> Any:
    return build_server(SETTINGS, factory=fake_factory({"qoder": fake}))


async def _read(client: Client, uri: str) -> str:
    result = await client.read_resource(uri)
    content = result.contents[0]
    assert isinstance(content, TextResourceContents)
    return content.text


async def test_threads_are_offered_as_a_resource_template_with_the_ref_in_the_uri() -> None:
    async with Client(_server(FakeProvider())) as client:
        templates = (await client.list_resource_templates()).resource_templates
    assert [(t.name, t.uri_template, t.mime_type) for t in templates] == [("thread", "thread://{+ref}", "text/plain")]


async def test_a_thread_resource_is_the_whole_thread_one_line_per_message() -> None:
    fake = FakeProvider(threads={"qoder:s1/t1": sample_messages(30)}, page_size_cap=7)
    async with Client(_server(fake)) as client:
        text = await _read(client, "thread://qoder:s1/t1")
    lines = text.splitlines()
    assert lines[0] == "qoder:s1/t1 · Fake thread · idle · times UTC"
    assert [line.split(": ", 1)[1] for line in lines if line.startswith("#")] == [f"message {i}" for i in range(30)]
    assert lines[-1] == "end of thread"


async def test_a_long_thread_is_cut_at_the_budget_and_get_thread_messages_continues_right_after() -> None:
    fake = FakeProvider(threads={"qoder:s1/t1": sample_messages(400, text="message {i} " + "word " * 80)})
    async with Client(_server(fake)) as client:
        text = await _read(client, "thread://qoder:s1/t1")
        found = re.search(r"cursor='([^']+)'\) continues from here\]$", text)
        assert found, text[-300:]
        last_shown = max(int(m) for m in re.findall(r"^#(\d+) ", text, re.MULTILINE))
        args = {"thread": "qoder:s1/t1", "cursor": found.group(1), "format": "json"}
        page = await client.call_tool("get_thread_messages", args)
    assert not page.is_error
    assert page.structured_content["messages"][0]["seq"] == last_shown + 1
    assert 30_000 < len(text) < 80_000


@pytest.mark.parametrize(
    "uri",
    ["thread://qoder:a%252Fb/t", "thread://qoder%3Aa%252Fb%2Ft"],
    ids=["as-written", "fully-encoded"],
)
async def test_a_ref_with_an_encoded_slash_in_an_id_survives_the_uri(uri: str) -> None:
    fake = FakeProvider(threads={"qoder:a%2Fb/t": sample_messages(2)})
    async with Client(_server(fake)) as client:
        text = await _read(client, uri)
    assert text.startswith("qoder:a%2Fb/t · ")
    assert thread_uri("qoder:a%2Fb/t") == "thread://qoder:a%252Fb/t"


@pytest.mark.parametrize(
    "uri", ["thread://qoder:missing/t", "thread://nope", "thread://qoder:a/b/c", "thread://cms:e/t"]
)
async def test_a_missing_thread_or_a_malformed_ref_is_an_error_saying_what_to_do(uri: str) -> None:
    async with Client(_server(FakeProvider())) as client:
        with pytest.raises(MCPError) as caught:
            await client.read_resource(uri)
    assert any(hint in str(caught.value) for hint in ("list_threads", "Accepted forms", "list_providers"))


async def test_the_prompts_pair_instructions_with_the_embedded_transcript() -> None:
    fake = FakeProvider(threads={"qoder:s1/t1": sample_messages(5)})
    async with Client(_server(fake)) as client:
        names = [p.name for p in (await client.list_prompts()).prompts]
        summary = await client.get_prompt("summarize_thread", {"thread": "qoder:s1/t1"})
        failure = await client.get_prompt("find_failure", {"thread": "qoder:s1/t1"})
    assert names == ["summarize_thread", "find_failure", "triage"]
    for prompt in (summary, failure):
        instructions, transcript = (m.content for m in prompt.messages)
        assert isinstance(instructions, TextContent) and "qoder:s1/t1" in instructions.text
        assert isinstance(transcript, EmbeddedResource)
        assert str(transcript.resource.uri) == "thread://qoder:s1/t1"
        assert isinstance(transcript.resource, TextResourceContents) and "#5 " in transcript.resource.text


async def test_a_prompt_for_a_malformed_ref_is_refused() -> None:
    async with Client(_server(FakeProvider())) as client:
        with pytest.raises(MCPError) as caught:
            await client.get_prompt("find_failure", {"thread": "not-a-ref"})
    assert "Accepted forms" in str(caught.value)


class Down(FakeProvider):
    async def read(self, ref: ThreadRef, state: State | None, limit: int) -> Batch:
        raise ServerError("upstream unavailable", provider=self.id, status=503)


async def test_a_prompt_still_works_during_a_vendor_outage_and_says_so() -> None:
    async with Client(_server(Down())) as client:
        prompt = await client.get_prompt("summarize_thread", {"thread": "qoder:s1/t1"})
    note = prompt.messages[1].content
    assert isinstance(note, TextContent)
    assert "could not be fetched" in note.text and "get_thread_messages" in note.text


async def test_sandbox_threads_read_as_resources_even_with_encoded_ids(sandbox_server: Any) -> None:
    async with Client(sandbox_server) as client:
        providers = (await client.call_tool("list_providers", {})).structured_content["providers"]
        if not providers:
            pytest.skip("the sandbox serves no provider yet")
        refs = await _sandbox_refs(client, [p["id"] for p in providers])
        assert refs, "the sandbox lists no thread"
        ref = next((r for r in refs if "%" in r), refs[0])
        text = await _read(client, thread_uri(ref))
    assert text.startswith(ref + " ")
    assert re.search(r"^#1 ", text, re.MULTILINE)


async def _sandbox_refs(client: Client, provider_ids: list[str]) -> list[str]:
    refs: list[str] = []
    for provider in provider_ids:
        listing = (await client.call_tool("list_threads", {"provider": provider})).structured_content or {}
        for entry in listing.get("threads", [])[:3]:
            if not entry.get("children"):
                refs.append(entry["ref"])
                continue
            inner = await client.call_tool("list_threads", {"provider": provider, "parent": entry["ref"]})
            refs += [t["ref"] for t in (inner.structured_content or {}).get("threads", [])[:2]]
    return refs
