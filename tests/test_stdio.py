"""stdio on the event loop's own pipes: what a host sends and reads is the MCP protocol and nothing else."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters
from mcp.types import TextContent

from agent_threads import stdio

SERVER = """
import sys
import anyio
from mcp.server.mcpserver import MCPServer
from agent_threads import stdio

server = MCPServer("pipes")

@server.tool()
def echo(text: str) -> str:
    print("stray output a tool wrote to stdout")  # must not reach the protocol
    return text

anyio.run(stdio.run, server)
"""


async def test_a_server_on_pipes_answers_big_messages_and_keeps_stray_output_off_the_wire(tmp_path: Path) -> None:
    script = tmp_path / "server.py"
    script.write_text(SERVER, encoding="utf-8")
    big = "数据 " * 200_000  # a line far over the 64 KiB a stream reader takes by default
    params = StdioServerParameters(command=sys.executable, args=[str(script)])
    with anyio.fail_after(60):
        async with Client(params) as client:
            small = await client.call_tool("echo", {"text": "hello"})
            large = await client.call_tool("echo", {"text": big})
    texts = [c.text for r in (small, large) for c in r.content if isinstance(c, TextContent)]
    assert texts == ["hello", big]


async def test_what_a_tool_prints_to_stdout_goes_to_stderr_and_every_line_on_the_wire_is_protocol(
    tmp_path: Path,
) -> None:
    script = tmp_path / "server.py"
    script.write_text(SERVER, encoding="utf-8")
    hello = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}
    requests = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "x"}}},
    ]
    payload = "".join(json.dumps(r) + "\n" for r in requests).encode()
    with anyio.fail_after(60):
        async with await anyio.open_process([sys.executable, str(script)]) as proc:
            assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
            await proc.stdin.send(payload)
            out = b""
            while out.count(b"\n") < 2:
                out += await proc.stdout.receive()
            await proc.stdin.aclose()
            err = b"".join([chunk async for chunk in proc.stderr])
    replies = [json.loads(line) for line in out.decode().splitlines()]
    assert [r.get("id") for r in replies] == [1, 2] and replies[1]["result"]["content"][0]["text"] == "x"
    assert b"stray output a tool wrote to stdout" in err


def test_only_pipes_and_sockets_take_the_threadless_path() -> None:
    with tempfile.TemporaryFile() as regular:
        assert not stdio.streamable(regular.fileno())
    read, write = os.pipe()
    try:
        assert stdio.streamable(read) and stdio.streamable(write)
    finally:
        os.close(read)
        os.close(write)
