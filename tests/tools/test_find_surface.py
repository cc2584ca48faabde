"""The finding tools' surface: names, titles, descriptions, argument schemas and bounds, annotations."""

from __future__ import annotations

from inline_snapshot import snapshot

from .test_register import surface

FIND_SURFACE = snapshot(
    {
        "search_threads": {
            "title": "Search all agent threads",
            "description": (
                "Search all threads of every provider (any language, tool names, error codes); "
                "hits by thread with #seq."
            ),
            "input": {
                "type": "object",
                "properties": {
                    "query": {
                        "anyOf": [{"maxLength": 1000, "type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": (
                            'Words that must all occur in a message (any language, inside words too; "quoted phrase" '
                            "is one term). Optional when a filter is given."
                        ),
                        "title": "Query",
                    },
                    "provider": {
                        "anyOf": [{"maxLength": 64, "type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": "Provider id: qoder.",
                        "title": "Provider",
                    },
                    "since": {
                        "anyOf": [{"format": "date-time", "type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": "Only from this time on: ISO-8601, or a span back from now such as '7d'.",
                        "title": "Since",
                    },
                    "until": {
                        "anyOf": [{"format": "date-time", "type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": "Only before this time: ISO-8601, or a span back such as '1d'.",
                        "title": "Until",
                    },
                    "status": {
                        "anyOf": [{"maxLength": 64, "type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": "Only threads with this status, e.g. 'failed', 'running', 'idle'.",
                        "title": "Status",
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
                    "errors_only": {
                        "default": False,
                        "description": "Only messages that carry a failure.",
                        "title": "Errors Only",
                        "type": "boolean",
                    },
                    "limit": {
                        "default": 10,
                        "description": "Threads per page.",
                        "maximum": 50,
                        "minimum": 1,
                        "title": "Limit",
                        "type": "integer",
                    },
                    "cursor": {
                        "anyOf": [{"maxLength": 4096, "type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": "next_cursor from the previous call, passed back untouched.",
                        "title": "Cursor",
                    },
                    "refresh": {
                        "default": True,
                        "description": "First bring the index up to date with the vendors (bounded to about 20 s).",
                        "title": "Refresh",
                        "type": "boolean",
                    },
                    "budget_tokens": {
                        "default": 6000,
                        "description": "Upper bound on the size of this result.",
                        "maximum": 20000,
                        "minimum": 500,
                        "title": "Budget Tokens",
                        "type": "integer",
                    },
                },
                "title": "search_threadsArguments",
            },
            "annotations": {"readOnlyHint": True, "openWorldHint": True},
        },
        "find_failures": {
            "title": "Find where agents failed",
            "description": (
                "Where agents failed across all threads: failures grouped by cause, "
                "with example refs and the #seq of each."
            ),
            "input": {
                "type": "object",
                "properties": {
                    "provider": {
                        "anyOf": [{"maxLength": 64, "type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": "Provider id: qoder.",
                        "title": "Provider",
                    },
                    "since": {
                        "anyOf": [{"format": "date-time", "type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": "Only from this time on: ISO-8601, or a span back from now such as '7d'.",
                        "title": "Since",
                    },
                    "until": {
                        "anyOf": [{"format": "date-time", "type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": "Only before this time: ISO-8601, or a span back such as '1d'.",
                        "title": "Until",
                    },
                    "limit": {
                        "default": 10,
                        "description": "Failure groups per page.",
                        "maximum": 50,
                        "minimum": 1,
                        "title": "Limit",
                        "type": "integer",
                    },
                    "cursor": {
                        "anyOf": [{"maxLength": 4096, "type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": "next_cursor from the previous call, passed back untouched.",
                        "title": "Cursor",
                    },
                    "refresh": {
                        "default": True,
                        "description": "First bring the index up to date with the vendors (bounded to about 20 s).",
                        "title": "Refresh",
                        "type": "boolean",
                    },
                    "budget_tokens": {
                        "default": 6000,
                        "description": "Upper bound on the size of this result.",
                        "maximum": 20000,
                        "minimum": 500,
                        "title": "Budget Tokens",
                        "type": "integer",
                    },
                },
                "title": "find_failuresArguments",
            },
            "annotations": {"readOnlyHint": True, "openWorldHint": True},
        },
    }
)
"""What tools/list shows a model of search_threads and find_failures, as reviewed."""


async def test_the_finding_tools_surface_matches_the_reviewed_snapshot() -> None:
    current = {name: tool for name, tool in (await surface()).items() if name in ("search_threads", "find_failures")}
    assert current == FIND_SURFACE  # a changed surface fails here: review it, then `pytest --inline-snapshot=fix`
