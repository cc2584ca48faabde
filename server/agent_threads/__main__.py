"""Command line: ``agent-threads-mcp [--sandbox] [--read-only] [--transport stdio|http]`` and ``demo``.

stdout is the MCP protocol on stdio: everything else goes to stderr through ``logging``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import replace

import anyio

from .config import Settings, load_settings


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="agent-threads-mcp", description="MCP server for cloud agents' conversations.")
    p.add_argument("command", nargs="?", choices=["serve", "demo"], default="serve")
    p.add_argument("--sandbox", action="store_true", help="serve against the built-in sandbox cloud (no account needed)")
    p.add_argument("--read-only", action="store_true", help="never send messages (same as AGENT_THREADS_READ_ONLY=1)")
    p.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--log-level", default=os.environ.get("AGENT_THREADS_LOG_LEVEL", "WARNING"))
    return p


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    if args.command == "demo":
        from .demo import run_demo  # the demo pulls in the MCP client stack; keep it off the server's start-up

        anyio.run(run_demo)
        return
    anyio.run(_serve, args)


def _apply_flags(settings: Settings, args: argparse.Namespace) -> Settings:
    return replace(settings, read_only=settings.read_only or args.read_only)


async def _serve(args: argparse.Namespace) -> None:
    from .app import build_server

    if not args.sandbox:
        await _run(build_server(_apply_flags(load_settings(), args)), args)
        return
    from .sandbox import Sandbox

    async with Sandbox().running() as sandbox:
        settings = load_settings(sandbox.env() | _passthrough())
        offered = tuple(p for p in settings.providers if p.family in sandbox.ports)
        await _run(build_server(_apply_flags(replace(settings, providers=offered), args)), args)


def _passthrough() -> dict[str, str]:
    """Non-credential settings the sandboxed server still honours from the environment."""
    return {k: v for k, v in os.environ.items() if k.startswith("AGENT_THREADS_") and not k.endswith("_ENDPOINT")}


async def _run(server: object, args: argparse.Namespace) -> None:
    if args.transport == "http":
        await server.run_streamable_http_async(host=args.host, port=args.port, stateless_http=True)  # type: ignore[attr-defined]
    else:
        await server.run_stdio_async()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
