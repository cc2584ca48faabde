"""The tool surface the model sees: names, descriptions, argument schemas and bounds, annotations."""

from __future__ import annotations

from typing import Any

import pytest
from inline_snapshot import snapshot
from mcp import Client

from ..fakes import FakeProvider, fake_server, sample_messages

TOOL_SURFACE = snapshot(
    {
        "list_providers": {
            "title": "List configured providers",
            "description": "List the configured providers, what each can do, and what the unconfigured ones need.",
            "input": {"type": "object", "properties": {}, "title": "list_providersArguments"},
            "annotations": {"readOnlyHint": True, "openWorldHint": False},
        },
        "list_threads": {
            "title": "List agent threads",
            "description": "List sessions, threads or conversations of a provider; pass `parent` to go one level down.",
            "input": {
                "type": "object",
                "properties": {
                    "provider": {
                        "description": "Provider id: qoder.",
                        "maxLength": 64,
                        "title": "Provider",
                        "type": "string",
                    },
                    "parent": {
                        "anyOf": [{"maxLength": 1024, "type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": "A container ref to list inside (e.g. 'qoder:sess_1' lists its threads).",
                        "title": "Parent",
                    },
                    "cursor": {
                        "anyOf": [{"maxLength": 4096, "type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": "next_cursor from the previous call, passed back untouched.",
                        "title": "Cursor",
                    },
                    "limit": {
                        "default": 20,
                        "description": "Entries per page.",
                        "maximum": 100,
                        "minimum": 1,
                        "title": "Limit",
                        "type": "integer",
                    },
                },
                "required": ["provider"],
                "title": "list_threadsArguments",
            },
            "annotations": {"readOnlyHint": True, "openWorldHint": True},
        },
        "get_thread_messages": {
            "title": "Read a thread's messages",
            "description": (
                "Read one page of a thread as a compact transcript (times UTC; ./X: a thread beside it); "
                "follow next_cursor."
            ),
            "input": {
                "type": "object",
                "properties": {
                    "thread": {
                        "description": "Thread ref from list_threads, e.g. 'qoder:<session>/<thread>'.",
                        "maxLength": 1024,
                        "minLength": 3,
                        "title": "Thread",
                        "type": "string",
                    },
                    "cursor": {
                        "anyOf": [{"maxLength": 4096, "type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": "next_cursor from the previous call, passed back untouched.",
                        "title": "Cursor",
                    },
                    "limit": {
                        "default": 100,
                        "description": "Transcript messages per page, at most (the budget may end a page sooner).",
                        "maximum": 100,
                        "minimum": 1,
                        "title": "Limit",
                        "type": "integer",
                    },
                    "roles": {
                        "anyOf": [
                            {
                                "items": {
                                    "enum": ["user", "assistant", "agent", "tool", "system", "event"],
                                    "type": "string",
                                },
                                "maxItems": 6,
                                "type": "array",
                            },
                            {"type": "null"},
                        ],
                        "default": None,
                        "description": "Only these roles.",
                        "title": "Roles",
                    },
                    "kinds": {
                        "anyOf": [
                            {
                                "items": {
                                    "enum": [
                                        "text",
                                        "tool_call",
                                        "tool_call_response",
                                        "reasoning",
                                        "sub_agent",
                                        "artifact",
                                        "plan",
                                        "event",
                                        "data",
                                    ],
                                    "type": "string",
                                },
                                "maxItems": 9,
                                "type": "array",
                            },
                            {"type": "null"},
                        ],
                        "default": None,
                        "description": (
                            "Only messages carrying one of these part kinds (e.g. ['event'] to find failures)."
                        ),
                        "title": "Kinds",
                    },
                    "since": {
                        "anyOf": [{"format": "date-time", "type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": (
                            "Only messages at or after this time: ISO-8601 (UTC unless it has an offset), or e.g. '2h'."
                        ),
                        "title": "Since",
                    },
                    "detail": {
                        "default": "compact",
                        "description": (
                            "brief: short previews; compact (default); full: whole values (a shortened one ends in "
                            "…(+N chars)) and vendor extras."
                        ),
                        "enum": ["brief", "compact", "full"],
                        "title": "Detail",
                        "type": "string",
                    },
                    "budget_tokens": {
                        "default": 8000,
                        "description": "Upper bound on the size of this result.",
                        "maximum": 20000,
                        "minimum": 500,
                        "title": "Budget Tokens",
                        "type": "integer",
                    },
                    "format": {
                        "default": "text",
                        "description": (
                            "text: a compact transcript (default); json: the messages as "
                            "structuredContent, for programs."
                        ),
                        "enum": ["text", "json"],
                        "title": "Format",
                        "type": "string",
                    },
                    "from_seq": {
                        "anyOf": [{"type": "integer"}, {"type": "null"}],
                        "default": None,
                        "description": (
                            "Start the page at this message #seq (a search hit or a failure); ignored with cursor."
                        ),
                        "title": "From Seq",
                    },
                },
                "required": ["thread"],
                "title": "get_thread_messagesArguments",
            },
            "annotations": {"readOnlyHint": True, "openWorldHint": True},
        },
        "stream_chat": {
            "title": "Follow or continue a live conversation",
            "description": (
                "Follow a thread's live reply (sending `message` first if given); progress carries the text so far."
            ),
            "input": {
                "type": "object",
                "properties": {
                    "thread": {
                        "description": "Thread ref from list_threads, e.g. 'qoder:<session>/<thread>'.",
                        "maxLength": 1024,
                        "minLength": 3,
                        "title": "Thread",
                        "type": "string",
                    },
                    "message": {
                        "anyOf": [{"maxLength": 100000, "type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": "Text to send first; omit to just follow the live reply.",
                        "title": "Message",
                    },
                    "checkpoint": {
                        "anyOf": [{"maxLength": 4096, "type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": "checkpoint from a previous stream_chat.",
                        "title": "Checkpoint",
                    },
                    "timeout_s": {
                        "default": 120,
                        "description": "Stop following after this many seconds.",
                        "maximum": 900,
                        "minimum": 1,
                        "title": "Timeout S",
                        "type": "number",
                    },
                },
                "required": ["thread"],
                "title": "stream_chatArguments",
            },
            "annotations": {
                "readOnlyHint": False,
                "destructiveHint": False,
                "idempotentHint": False,
                "openWorldHint": True,
            },
        },
    }
)
"""What tools/list shows a model for one configured provider, as reviewed."""


async def surface() -> dict[str, Any]:
    """What tools/list shows, per tool: title, description, argument schema, annotations."""
    async with Client(fake_server(FakeProvider())) as client:
        tools = (await client.list_tools()).tools
    return {
        t.name: {
            "title": t.title,
            "description": t.description,
            "input": t.input_schema,
            "annotations": t.annotations.model_dump(by_alias=True, exclude_none=True) if t.annotations else None,
        }
        for t in tools
    }


async def test_the_tool_surface_matches_the_reviewed_snapshot() -> None:
    current = {
        name: tool for name, tool in (await surface()).items() if name not in ("search_threads", "find_failures")
    }
    assert current == TOOL_SURFACE  # a changed surface fails here: review it, then `pytest --inline-snapshot=fix`


@pytest.mark.parametrize("args", [{"limit": 0}, {"limit": 101}, {"budget_tokens": 10}, {"detail": "everything"}])
async def test_out_of_range_arguments_are_rejected_by_the_schema(args: dict[str, Any]) -> None:
    fake = FakeProvider(threads={"qoder:s/t": sample_messages(3)})
    async with Client(fake_server(fake)) as client:
        result = await client.call_tool("get_thread_messages", {"thread": "qoder:s/t", **args})
    assert result.is_error
    assert fake.reads == []
