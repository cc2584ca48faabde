"""Search over both backends: what matches, how hits are grouped, ranked, filtered, paged and shown."""

from __future__ import annotations

import pytest

from agent_threads.errors import UsageError
from agent_threads.index import SearchPage, ThreadIndex

from .corpus import at, seed


@pytest.fixture
async def seeded(index: ThreadIndex) -> ThreadIndex:
    await seed(index)
    return index


def refs(page: SearchPage) -> list[str]:
    return [t.ref for t in page.threads]


def hit_seqs(page: SearchPage, ref: str) -> list[int]:
    return next(sorted(h.seq for h in t.hits) for t in page.threads if t.ref == ref)


async def test_an_english_phrase_matches_as_a_phrase(seeded: ThreadIndex) -> None:
    page = await seeded.search('"replication lag is growing"')
    assert refs(page) == ["rdsai:c4"]
    assert hit_seqs(page, "rdsai:c4") == [2]
    assert "«replication lag is growing»" in page.threads[0].hits[0].snippet
    assert (await seeded.search('"lag replication"')).total == 0
    assert refs(await seeded.search("lag replication")) == ["rdsai:c4"]


async def test_a_chinese_word_matches_inside_a_longer_sentence(seeded: ThreadIndex) -> None:
    page = await seeded.search("磁盘扩容")
    assert refs(page) == ["qoder:s1/t1"]
    hit = page.threads[0].hits[0]
    assert (hit.seq, hit.role) == (1, "user")
    assert "数据库«磁盘扩容»方案" in hit.snippet


async def test_a_two_character_chinese_query_is_answered_by_a_scan(seeded: ThreadIndex) -> None:
    page = await seeded.search("扩容")
    assert refs(page) == ["qoder:s1/t1"]
    assert page.threads[0].matches == 2
    assert hit_seqs(page, "qoder:s1/t1") == [1, 2]
    assert refs(await seeded.search("磁")) == ["qoder:s1/t1"]


async def test_a_tool_name_finds_the_call(seeded: ThreadIndex) -> None:
    page = await seeded.search("executesql")
    assert refs(page) == ["qoder:s1/t1"]
    assert "tool «ExecuteSQL»(sql=SELECT size FROM disks) → 420GB" in page.threads[0].hits[0].snippet


async def test_an_error_code_with_errors_only_finds_the_failures_not_the_mentions(seeded: ThreadIndex) -> None:
    mentions = await seeded.search("SQL_EXECUTION_FAILED")
    assert hit_seqs(mentions, "dms:s3") == [1, 2]
    failures = await seeded.search("SQL_EXECUTION_FAILED", errors_only=True)
    assert sorted(refs(failures)) == ["dms:s2", "dms:s3"]
    assert hit_seqs(failures, "dms:s3") == [2]
    assert {h.failure for t in failures.threads for h in t.hits} == {"SQL_EXECUTION_FAILED: Table '…' doesn't exist"}


async def test_errors_only_without_a_query_lists_every_failing_message(seeded: ThreadIndex) -> None:
    page = await seeded.search(errors_only=True)
    assert sorted(refs(page)) == ["dms:s2", "dms:s3", "dms:s6", "rdsai:c4"]
    assert next(t for t in page.threads if t.ref == "dms:s6").hits[0].failure == "status:failed"


async def test_no_match_still_states_what_was_searched(seeded: ThreadIndex) -> None:
    page = await seeded.search("kubernetes", configured=["qoder", "dms", "rdsai", "cms", "dataagent"])
    assert (page.total, page.threads, page.next_offset) == (0, [], None)
    assert page.coverage.threads == 6
    assert page.coverage.missing == ["dataagent"]
    assert page.coverage.describe().startswith("6 threads indexed (cms 1")
    assert "dataagent: never indexed" in page.coverage.describe()


@pytest.mark.parametrize(
    "query",
    ['"', '""', "*", "-", "NEAR(", "NEAR(a b, 2)", "a OR b", "NOT x", "(x", "x)", "a AND", "^*", "col:val", "'", "\\"],
)
async def test_search_syntax_never_raises(seeded: ThreadIndex, query: str) -> None:
    page = await seeded.search(query)
    assert page.total >= 0


async def test_search_syntax_is_matched_as_text(index: ThreadIndex) -> None:
    from agent_threads.index.records import ThreadWrite
    from agent_threads.transcript import Message

    text = 'he typed "NEAR(x, 2)" OR -y * AND (z) to get 100%_ of it'
    await index.write(
        ThreadWrite(ref="dms:q", provider="dms", messages=index.records([Message(role="user", text=text)], 0))
    )
    for query in ["NEAR(x, 2)", '"NEAR(x, 2)" OR', "-y *", "(z)", "100%_", '"of it"', "OR -y"]:
        assert refs(await index.search(query)) == ["dms:q"], query
    for query in ["NEAR(x, 3)", "100%x", "x_y"]:
        assert (await index.search(query)).total == 0, query


async def test_filters_narrow_by_provider_role_kind_status_and_time(seeded: ThreadIndex) -> None:
    assert refs(await seeded.search("orders", provider="cms")) == ["cms:bot/t5"]
    assert sorted(refs(await seeded.search("orders", roles=["user"]))) == ["cms:bot/t5", "dms:s2"]
    assert refs(await seeded.search("orders", roles=["assistant", "agent"])) == ["cms:bot/t5"]
    assert refs(await seeded.search(kinds=["tool_call"])) == ["qoder:s1/t1"]
    assert sorted(refs(await seeded.search(status="FAILED"))) == ["dms:s2", "dms:s3", "dms:s6"]
    window = await seeded.search(since=at(20), until=at(31))
    assert sorted(refs(window)) == ["dms:s3", "rdsai:c4"]
    assert hit_seqs(window, "rdsai:c4") == [1]


async def test_threads_rank_by_relevance_then_recency(seeded: ThreadIndex) -> None:
    assert refs(await seeded.search("orders")) == ["cms:bot/t5", "dms:s2"]  # two matching messages beat one
    assert refs(await seeded.search("table")) == ["dms:s2", "cms:bot/t5", "dms:s3"]  # on a tie, the newer first
    lag = await seeded.search("replication lag")
    assert [h.seq for h in lag.threads[0].hits] == [2, 3, 1]  # within a thread: most occurrences, then newer


async def test_pages_continue_at_next_offset_without_repeats(seeded: ThreadIndex) -> None:
    first = await seeded.search(limit=4)
    assert (first.total, len(first.threads), first.next_offset) == (6, 4, 4)
    second = await seeded.search(limit=4, offset=first.next_offset or 0)
    assert (len(second.threads), second.next_offset) == (2, None)
    assert set(refs(first)).isdisjoint(refs(second))
    assert refs(first)[0] == "dms:s6"  # newest first when nothing is ranked


async def test_snippet_marks_cannot_be_forged_by_the_text(seeded: ThreadIndex) -> None:
    snippet = (await seeded.search("grew")).threads[0].hits[0].snippet
    assert snippet == "Done: ‹orders› «grew» 4% this week."


async def test_each_thread_shows_its_best_hits_and_a_digest(seeded: ThreadIndex) -> None:
    page = await seeded.search("the")
    thread = next(t for t in page.threads if t.ref == "rdsai:c4")
    assert thread.matches == 3 and len(thread.hits) == 3
    assert thread.title == "Replication" and thread.status == "idle" and thread.time == at(32)
    assert thread.digest is not None
    assert thread.digest.line() == "3 msgs, 1 failure, 2m · last: Checking again: the replication lag is back to 0 s."


async def test_an_unknown_part_kind_is_refused_not_ignored(seeded: ThreadIndex) -> None:
    with pytest.raises(UsageError) as raised:
        await seeded.search("orders", kinds=["tool_calls"])
    assert "Known: text, tool_call," in raised.value.for_model()
