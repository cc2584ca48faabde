"""Failure groups, digests and drill-down over both backends."""

from __future__ import annotations

from agent_threads.index import ThreadIndex
from agent_threads.index.records import ThreadWrite
from agent_threads.transcript import EventPart, Message

from .corpus import at, seed


async def test_the_same_cause_on_different_tables_is_one_group(index: ThreadIndex) -> None:
    await seed(index)
    page = await index.failures()
    group = page.groups[0]
    assert (group.signature, group.count, group.threads) == ("SQL_EXECUTION_FAILED: Table '…' doesn't exist", 2, 2)
    assert [(e.ref, e.seq) for e in group.examples] == [("dms:s3", 2), ("dms:s2", 2)]
    assert (group.first_seen, group.last_seen) == (at(11), at(21))
    assert group.message == "Table 'ops.t9' doesn't exist"
    assert group.answer is None  # nothing was answered after the latest one (dms:s3)


async def test_each_group_names_what_the_agent_answered_afterwards(index: ThreadIndex) -> None:
    await seed(index)
    groups = {g.code: g for g in (await index.failures()).groups}
    assert groups["ToolTimeout"].answer == "Checking again: the replication lag is back to 0 s."
    assert groups["ToolTimeout"].pattern == "DescribeReplication timed out after <n>s"
    assert groups["status:failed"].examples[0].ref == "dms:s6"  # failed, with no failing message of its own
    assert set(groups) == {"SQL_EXECUTION_FAILED", "ToolTimeout", "status:failed"}  # successful threads: none


async def test_groups_touching_more_threads_come_first_and_page(index: ThreadIndex) -> None:
    await seed(index)
    first = await index.failures(limit=1)
    assert (first.total, first.next_offset, first.groups[0].threads) == (3, 1, 2)
    rest = await index.failures(limit=5, offset=1)
    assert [g.code for g in rest.groups] == ["status:failed", "ToolTimeout"]  # a tie: the latest first
    assert rest.next_offset is None
    assert [g.code for g in (await index.failures(provider="rdsai")).groups] == ["ToolTimeout"]
    assert [g.code for g in (await index.failures(since=at(40))).groups] == ["status:failed"]
    assert (await index.failures(until=at(11))).groups == []


async def test_different_codes_with_the_same_message_stay_apart(index: ThreadIndex) -> None:
    for ref, code in (("dms:a", "E_ONE"), ("dms:b", "E_TWO")):
        error = EventPart(name="run", code=code, message="quota exceeded for user 17", is_error=True)
        messages = [Message(role="user", text="go"), Message(role="assistant", parts=[error])]
        await index.write(ThreadWrite(ref=ref, provider="dms", messages=index.records(messages, 0)))
    assert sorted(g.signature for g in (await index.failures()).groups) == [
        "E_ONE: quota exceeded for user <n>",
        "E_TWO: quota exceeded for user <n>",
    ]


async def test_a_turn_left_unfinished_fails_only_once_the_thread_stops(index: ThreadIndex) -> None:
    open_reply = Message(role="assistant", text="Scanning…", parts=[EventPart(name="reply", status="running")])
    messages = index.records([Message(role="user", text="Forecast revenue"), open_reply], 0)
    await index.write(ThreadWrite(ref="dataagent:i/s", provider="dataagent", status="running", messages=messages))
    assert (await index.failures()).groups == []
    await index.write(ThreadWrite(ref="dataagent:i/s", provider="dataagent", status="idle", running=False))
    group = (await index.failures()).groups[0]
    assert (group.code, group.examples[0].seq) == ("unfinished:reply", 2)
    await index.write(
        ThreadWrite(
            ref="dataagent:i/s", provider="dataagent", messages=index.records([Message(role="user", text="and?")], 2)
        )
    )
    assert (await index.failures()).groups == []  # a new turn began: the old one is history


async def test_a_digest_says_size_failures_duration_answer_and_usage(index: ThreadIndex) -> None:
    usage = EventPart(name="usage", message="credits 2.2; 18234 in / 912 out")
    messages = [
        Message(role="user", text="Research the brief", time=at(0)),
        Message(role="assistant", text="Brief: vendor A ships a managed agents API with streams.", time=at(3)),
        Message(role="event", parts=[usage], time=at(4)),
    ]
    await index.write(ThreadWrite(ref="qoder:s/t", provider="qoder", messages=index.records(messages, 0), usage="x"))
    digest = await index.digest("qoder:s/t")
    assert digest is not None
    assert digest.line() == "3 msgs, 4m, x · last: Brief: vendor A ships a managed agents API with streams."
    await index.record_page("qoder:s/t", _batch(messages), first_seq=0)
    assert (await index.digest("qoder:s/t")).line().startswith("3 msgs, 4m, credits 2.2; 18234 in / 912 out")  # type: ignore[union-attr]
    assert await index.digest("qoder:unknown") is None


def _batch(messages: list[Message]):  # type: ignore[no-untyped-def]
    from agent_threads.providers.base import Batch

    return Batch(messages)


async def test_drill_down_starts_at_the_seq_of_a_hit(index: ThreadIndex) -> None:
    await seed(index)
    hit = (await index.search("扩容")).threads[0].hits[-1]
    page = await index.messages("qoder:s1/t1", from_seq=hit.seq, limit=2)
    assert [m.seq for m in page] == [1, 2]
    assert page[0].text.startswith("请帮我评估")
    assert page[1].parts[0].kind == "tool_call"
    assert [m.seq for m in await index.messages("qoder:s1/t1", from_seq=3)] == [3, 4]
