"""The tools' arguments as the model writes them: times without an offset, a date alone."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from mcp import Client
from mcp.server.mcpserver import MCPServer
from pydantic import TypeAdapter

from agent_threads.sandbox.qoder.data import COORD_A, SID_A
from agent_threads.tools.context import AppContext

from ..conftest import read_all_tool
from ..fakes import FakeProvider, fake_server

THREAD = f"qoder:{SID_A}/{COORD_A}"


def _datetime_arguments(server: MCPServer[Any]) -> list[tuple[str, str, TypeAdapter[Any]]]:
    """(tool, argument, its validator) for every argument of every tool whose schema is a date-time."""
    found: list[tuple[str, str, TypeAdapter[Any]]] = []
    for tool in server._tool_manager.list_tools():  # pyright: ignore[reportPrivateUsage]
        model = tool.fn_metadata.arg_model
        for name, field in model.model_fields.items():
            typ: Any = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
            if "date-time" in str(TypeAdapter(typ).json_schema()):
                found.append((tool.name, name, TypeAdapter(typ)))
    return found


def test_every_datetime_argument_of_every_tool_takes_a_time_without_offset_or_a_date_alone_as_utc() -> None:
    arguments = _datetime_arguments(fake_server(FakeProvider()))
    assert ("get_thread_messages", "since") in [(tool, name) for tool, name, _ in arguments]
    for tool, name, adapter in arguments:
        for given, meant in [
            ("2026-01-01", datetime(2026, 1, 1, tzinfo=timezone.utc)),
            ("2026-01-01T08:30:00", datetime(2026, 1, 1, 8, 30, tzinfo=timezone.utc)),
            ("2026-01-01T16:30:00+08:00", datetime(2026, 1, 1, 8, 30, tzinfo=timezone.utc)),
        ]:
            parsed = adapter.validate_python(given)
            assert parsed == meant and parsed.utcoffset() is not None, (tool, name, given)


async def test_since_without_an_offset_reads_as_utc_instead_of_failing(sandbox_server: MCPServer[AppContext]) -> None:
    async with Client(sandbox_server) as client:
        everything, _ = await read_all_tool(client, THREAD)
        from_a_date, _ = await read_all_tool(client, THREAD, since="2026-01-01")
        naive, _ = await read_all_tool(client, THREAD, since="2026-06-15T08:00:10")
        offset, _ = await read_all_tool(client, THREAD, since="2026-06-15T16:00:10+08:00")
    assert from_a_date == everything
    assert naive == offset and 0 < len(naive) < len(everything)
