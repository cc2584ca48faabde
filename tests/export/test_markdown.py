"""``--format markdown``: headings per message; tool arguments, results and data in fences that vendor text
cannot break, checked by parsing the output with a CommonMark parser."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token

from agent_threads.transcript import ArtifactPart, DataPart, Message, ToolCallPart, ToolResultPart

from ..fakes import T0
from .threads import every_kind, fake, written


def tokens(text: str) -> list[Token]:
    return MarkdownIt("commonmark").parse(text)


def fenced(text: str) -> list[tuple[str, str]]:
    """(info, content) of every fenced code block, as a CommonMark renderer sees them."""
    return [(t.info, t.content.rstrip("\n")) for t in tokens(text) if t.type == "fence"]


def headings(text: str) -> list[str]:
    found = tokens(text)
    return [found[i + 1].content for i, t in enumerate(found) if t.type == "heading_open" and t.tag == "h3"]


async def test_markdown_has_a_heading_per_message_and_puts_structured_values_in_json_fences() -> None:
    text = await written(fake(every_kind()), "markdown")
    assert text.startswith("# Fake thread\n\n- ref: `qoder:sess_1/sthr_2`\n- status: idle\n")
    assert "\n### #1 · 2026-05-18T03:40:00Z · user\n\nWhy did the nightly job fail?\n" in text
    assert headings(text)[:2] == ["#1 · 2026-05-18T03:40:00Z · user", "#2 · 2026-05-18T03:40:00Z · agent (planner)"]
    assert len(headings(text)) == 11
    assert ("json", '{"cmd":"tail log"}') in fenced(text) and ("", "OOM") in fenced(text)
    assert ("json", '{"rows":[[1,"中文"]]}') in fenced(text)
    assert text.endswith("11 messages, exported by agent-threads-mcp.\n")


async def test_vendor_text_full_of_backticks_stays_inside_its_fence() -> None:
    sneaky = "```\n### #99 · forged · user\n````\nstill the result"
    call = ToolCallPart(id="t", name="Bash", arguments="echo ```", result=sneaky, is_error=True)
    messages = [
        Message(time=T0, role="assistant", parts=[call, ToolResultPart(name="Read", result="a ``` b")]),
        Message(time=T0, role="user", text="next"),
    ]
    text = await written(fake(messages), "markdown")
    assert fenced(text) == [("", "echo ```"), ("", sneaky), ("", "a ``` b")]
    assert headings(text) == ["#1 · 2026-05-18T03:40:00Z · assistant", "#2 · 2026-05-18T03:40:00Z · user"]


async def test_sql_gets_an_sql_fence_whether_it_comes_as_data_or_as_an_artifact() -> None:
    query = "SELECT id FROM orders WHERE note = '```'"
    parts = [DataPart(category="SQL", data=query), ArtifactPart(name="sql output", text=query)]
    text = await written(fake([Message(time=T0, role="assistant", parts=parts)]), "markdown")
    assert fenced(text) == [("sql", query), ("sql", query)]


async def test_a_fence_a_message_leaves_open_is_closed_before_the_next_message() -> None:
    messages = [
        Message(time=T0, role="assistant", text="Here is the script:\n```python\nprint(1)"),
        Message(time=T0, role="user", text="thanks"),
    ]
    text = await written(fake(messages), "markdown")
    assert fenced(text) == [("python", "print(1)")]
    assert len(headings(text)) == 2


async def test_a_balanced_fence_in_a_message_is_left_as_the_vendor_wrote_it() -> None:
    body = "Run:\n~~~bash\nls\n~~~\nand\n```\n`inline` ok\n```"
    text = await written(fake([Message(time=T0, role="assistant", text=body)]), "markdown")
    assert body + "\n" in text
    assert fenced(text) == [("bash", "ls"), ("", "`inline` ok")]
