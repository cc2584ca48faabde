"""DataAgent reads of many pages: GetSessionDetails (the whole session) is asked once a read, not once a page."""

from __future__ import annotations

from pathlib import Path

from agent_threads.http import RetryPolicy
from agent_threads.providers.base import State
from agent_threads.providers.dataagent.provider import DataAgentProvider
from agent_threads.sandbox import Sandbox
from agent_threads.ttlcache import TTL, TtlCache

from ...conftest import follow_turn
from .test_provider import INSTANCE, SALES, SESSION_BIG, actions_sent, provider_for

DETAILS = "GetSessionDetails"


async def _page(provider: DataAgentProvider, state: State | None) -> tuple[list[str], State | None]:
    """One record a page: the questions it shows and the state of the next."""
    batch = await provider.read(SALES, state, 1)
    return [m.text for m in batch.messages if m.role == "user"], batch.next_state


async def _send(provider: DataAgentProvider, question: str) -> None:
    await follow_turn(provider, SALES, question)


async def test_the_pages_between_the_first_and_the_last_ask_for_nothing(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        sent = actions_sent(provider)
        _, state = await _page(provider, None)
        assert sent == [DETAILS]
        _, state = await _page(provider, state)
        assert sent == [DETAILS]  # the second page took the reply the first one kept
        _, state = await _page(provider, state)
    assert state is None
    assert sent == [DETAILS, DETAILS]  # the last page asked again: the session may have grown


async def test_a_record_added_between_pages_still_shows_before_the_end(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        first, state = await _page(provider, None)
        second, state = await _page(provider, state)
        await _send(provider, "Any late question?")
        rest: list[str] = []
        while state is not None:
            shown, state = await _page(provider, state)
            rest.extend(shown)
    assert first + second + rest == [
        "who are you",
        "Which 5 products had the highest revenue in Q3 2025?",
        "Break that down by region and month",
        "Any late question?",
    ]


async def test_a_kept_reply_older_than_its_ttl_is_asked_for_again(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    now = [0.0]
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        provider.api.details = TtlCache(clock=lambda: now[0])
        sent = actions_sent(provider)
        _, state = await _page(provider, None)
        now[0] += TTL + 1
        await _page(provider, state)
    assert sent == [DETAILS, DETAILS]


async def test_a_new_read_from_the_first_page_never_takes_a_kept_reply(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        sent = actions_sent(provider)
        await _page(provider, None)
        await _page(provider, None)
    assert sent == [DETAILS, DETAILS]


async def test_the_latest_records_of_a_long_session_cost_one_session_details_call(
    cloud: Sandbox, tmp_path: Path, fast_retries: RetryPolicy
) -> None:
    cloud.ctx.options["dataagent.big_session_records"] = 30
    async with provider_for(cloud, tmp_path, fast_retries) as provider:
        sent = actions_sent(provider)
        page = await provider.api.latest(INSTANCE, SESSION_BIG, 20)
    assert sent == [DETAILS]  # the reply held all 30 records: the tail is taken from it, not asked for again
    assert (len(page.records), page.total) == (20, 30)
    assert page.records[0].RecordId == "big-000010" and page.records[-1].RecordId == "big-000029"
