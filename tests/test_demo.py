"""``agent-threads-mcp demo``: what it says it shows, it shows, over stdio, without an error."""

from __future__ import annotations

import re

import anyio
import pytest
from mcp import Client

from agent_threads.app import build_server
from agent_threads.config import Settings
from agent_threads.demo import OPENING, TOUR, run_demo


async def test_the_demo_opens_with_one_line_and_shows_every_provider_a_search_failures_a_live_turn_a_resource_a_prompt(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with anyio.fail_after(120):
        await run_demo()
    out = capsys.readouterr().out
    assert out.split("\n", 1)[0] == OPENING
    titles = re.findall(r"^=== (.*)$", out, re.MULTILINE)
    assert not [t for t in titles if t.endswith("[error]")], titles
    read = {t.split("(thread='")[1].split(":")[0] for t in titles if t.startswith("get_thread_messages(")}
    assert read == {"qoder", "cms", "starops", "dms", "rdsai", "dataagent"}
    assert [t.split("(")[0].split(" ")[0] for t in titles[-len(TOUR) :]] == [
        "search_threads",
        "find_failures",
        "stream_chat",
        "resources/read",
        "prompts/get",
    ]
    assert "turn ended" in out and "end of thread" in out
    assert "«扩容»" in out and "SQL_EXECUTION_FAILED: Table '…' doesn't exist — 2 times in 2 threads" in out


async def test_every_tour_entry_names_a_tool_resource_or_prompt_the_server_offers() -> None:
    async with Client(build_server(Settings())) as client:
        offered = {
            "tool": {t.name for t in (await client.list_tools()).tools},
            "resource": {t.uri_template for t in (await client.list_resource_templates()).resource_templates},
            "prompt": {p.name for p in (await client.list_prompts()).prompts},
        }
    assert [show.name for show in TOUR if show.name not in offered[show.kind]] == []
