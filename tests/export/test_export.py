"""The export command: every page once, redaction, errors, files, and the same times in every format."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import anyio
import pytest

from agent_threads.errors import ConfigError
from agent_threads.export import FORMATS, ExportFailed, export
from agent_threads.index import IndexConfig, open_index
from agent_threads.providers.base import Batch, State
from agent_threads.refs import ThreadRef
from agent_threads.sandbox import Sandbox
from agent_threads.transcript import Message, ToolCallPart

from ..fakes import FakeProvider, fake_factory, sample_messages
from .threads import REF, SETTINGS, every_kind, fake, first_sandbox_ref, written


async def test_export_follows_every_page_and_writes_each_message_once() -> None:
    provider = fake(sample_messages(53), cap=7)
    rows = [json.loads(line) for line in (await written(provider, "jsonl")).splitlines()]
    assert [r["text"] for r in rows] == [f"message {i}" for i in range(53)]
    assert [r["seq"] for r in rows] == list(range(1, 54))
    assert {r["thread"] for r in rows} == {REF}
    assert len(provider.reads) == 8


@pytest.mark.parametrize("fmt", FORMATS)
async def test_every_format_writes_a_time_the_same_way_in_utc_with_z(fmt: str) -> None:
    shanghai = datetime(2026, 5, 18, 11, 40, 5, tzinfo=timezone(timedelta(hours=8)))
    call = ToolCallPart(id="t1", name="Bash", arguments={"cmd": "ls"}, result="ok")
    text = await written(fake([Message(time=shanghai, role="user", text="hi", parts=[call])]), fmt)  # type: ignore[arg-type]
    assert "2026-05-18T03:40:05Z" in text.replace("\\", "")
    assert "+08:00" not in text and "+00:00" not in text and "11:40" not in text


async def test_credentials_quoted_in_a_thread_are_masked_unless_redaction_is_off() -> None:
    leaky = [Message(role="tool", text="curl -H 'Authorization: Bearer abcdefghijklmnop1234' ?token=s3cr3tvalue")]
    masked = await written(fake(leaky), "jsonl")
    assert "abcdefghijklmnop1234" not in masked and "s3cr3tvalue" not in masked
    assert "s3cr3tvalue" in await written(fake(leaky), "jsonl", redact=False)


async def test_an_unconfigured_provider_is_refused_naming_the_configured_ones() -> None:
    settings = replace(SETTINGS, missing={"tencent": "set TENCENTCLOUD_SECRET_ID"})
    with pytest.raises(ConfigError) as caught:
        await export(settings, "dataagent:ins_1/s1", "jsonl", None, factory=fake_factory({}))
    assert "configured: qoder" in caught.value.for_model()
    assert "set TENCENTCLOUD_SECRET_ID" in caught.value.for_model()


class Circular(FakeProvider):
    async def read(self, ref: ThreadRef, state: State | None, limit: int) -> Batch:
        return Batch(sample_messages(1), next_state={"page": 1})


async def test_a_vendor_cursor_that_goes_round_ends_the_export_with_an_error() -> None:
    with pytest.raises(ExportFailed) as caught, anyio.fail_after(5):
        await export(SETTINGS, REF, "jsonl", None, factory=fake_factory({"qoder": Circular()}))
    assert "already returned" in caught.value.for_model()


class CutShort(FakeProvider):
    async def read(self, ref: ThreadRef, state: State | None, limit: int) -> Batch:
        return Batch(sample_messages(2), incomplete="the replay closed before it was complete, after checkpoint 7")


async def test_a_thread_the_vendor_could_not_give_whole_fails_the_export_instead_of_looking_whole(
    tmp_path: Path,
) -> None:
    target = tmp_path / "out.jsonl"
    with pytest.raises(ExportFailed) as caught:
        await export(SETTINGS, REF, "jsonl", str(target), factory=fake_factory({"qoder": CutShort()}))
    assert "could not be read whole: the replay closed before it was complete" in caught.value.for_model()
    assert list(tmp_path.iterdir()) == []


async def test_a_failed_export_to_a_file_leaves_neither_the_file_nor_a_partial_one(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    with pytest.raises(ExportFailed):
        await export(SETTINGS, REF, "jsonl", str(target), factory=fake_factory({"qoder": Circular()}))
    assert list(tmp_path.iterdir()) == []


async def test_an_export_to_a_file_writes_utf8(tmp_path: Path) -> None:
    target = tmp_path / "out.md"
    count = await export(SETTINGS, REF, "markdown", str(target), factory=fake_factory({"qoder": fake(every_kind())}))
    assert count == 11
    assert "中文" in target.read_text(encoding="utf-8")


async def test_the_pages_an_export_reads_reach_the_thread_index(tmp_path: Path) -> None:
    config = IndexConfig("sqlite", path=tmp_path / "index.sqlite3")
    settings = replace(SETTINGS, index=config)
    await export(
        settings, REF, "jsonl", str(tmp_path / "out.jsonl"), factory=fake_factory({"qoder": fake(every_kind())})
    )
    async with open_index(config) as index:
        assert index is not None
        assert [m.seq for m in await index.messages(REF)] == list(range(1, 12))


async def test_the_export_command_works_with_the_sandbox_and_no_account(sandbox: Sandbox, tmp_path: Path) -> None:
    ref = await first_sandbox_ref(sandbox)  # the command's own sandbox serves the same sample data
    target = tmp_path / "thread.md"
    command = [sys.executable, "-m", "agent_threads", "export", ref, "--sandbox", "--format", "markdown"]
    with anyio.fail_after(60):
        done = await anyio.run_process([*command, "-o", str(target)], check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert target.read_text(encoding="utf-8").startswith("# ")
    assert "\n### #1 " in target.read_text(encoding="utf-8")


async def test_a_failing_export_command_says_why_in_one_line_without_a_traceback() -> None:
    command = [sys.executable, "-m", "agent_threads", "export", "qoder:no-such-session", "--sandbox"]
    with anyio.fail_after(60):
        done = await anyio.run_process(command, check=False)
    err = done.stderr.decode()
    assert done.returncode == 1 and done.stdout == b""
    assert err.startswith("agent-threads-mcp: ") and "Traceback" not in err
