"""Command line: ``agent-threads-mcp [serve]`` (stdio, or ``--transport http``), ``demo``, ``export REF``, and the
thread index's ``sync``, ``search``, ``failures`` and ``index`` (``cli/index.py``).

Flags override the environment, which overrides the profiles file: ``--read-only``, ``--providers`` and
``--config`` are passed on as ``AGENT_THREADS_READ_ONLY``, ``AGENT_THREADS_PROVIDERS`` and ``AGENT_THREADS_CONFIG``.
stdout is the MCP protocol on stdio: everything else goes to stderr through ``logging``.
"""

# ruff: noqa: E402
# (the collector is switched off before the imports below)
from __future__ import annotations

import gc

gc.disable()  # what start-up builds lives as long as the process: collecting it while importing is wasted work
# (~60 ms, a tenth of a cold start); every command turns it back on (the stdio server in _tune_gc)

import argparse
import logging
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

if sys.version_info < (3, 11):  # pragma: no cover - anyio installs the backport there
    from exceptiongroup import BaseExceptionGroup

from . import __version__
from .cli import index as index_commands
from .config import Settings, load_settings
from .errors import AgentThreadsError, ConfigError, UsageError
from .index.config import index_config

if TYPE_CHECKING:
    from .serve import ServiceOptions

log = logging.getLogger("agent_threads")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TRY_IT = "Try it: `agent-threads-mcp demo` prints what it returns; `agent-threads-mcp --sandbox` serves sample agents."


def _add_common(p: argparse.ArgumentParser, *, top: bool) -> None:
    """Options every command takes. Subcommands default to SUPPRESS so they never reset a flag given earlier."""

    def default(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    p.add_argument("--sandbox", action="store_true", default=default(False), help="use the built-in sandbox cloud")
    p.add_argument("--read-only", action="store_true", default=default(False), help="never send messages")
    p.add_argument("--providers", metavar="IDS", default=default(None), help="only these provider ids, comma-separated")
    p.add_argument("--config", metavar="FILE", default=default(None), help="profiles file (TOML)")
    level = os.environ.get("AGENT_THREADS_LOG_LEVEL", "WARNING")
    p.add_argument("--log-level", default=default(level), help="stderr log level (default WARNING)")


def _add_transport(p: argparse.ArgumentParser, *, top: bool) -> None:
    def default(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    p.add_argument("--transport", choices=["stdio", "http"], default=default("stdio"))
    p.add_argument("--host", default=default("127.0.0.1"), help="HTTP bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=default(8765), help="HTTP port (default 8765); the endpoint is /mcp")
    p.add_argument(
        "--allow-unauthenticated",
        action="store_true",
        default=default(False),
        help="serve HTTP beyond loopback without AGENT_THREADS_HTTP_TOKEN (something in front must authenticate)",
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="agent-threads-mcp", description="MCP server for cloud agents' conversations.")
    p.add_argument("--version", action="version", version=f"agent-threads-mcp {__version__}")
    _add_common(p, top=True)
    _add_transport(p, top=True)
    commands = p.add_subparsers(dest="command", metavar="{serve,demo,export,sync,search,failures,index}")
    p.set_defaults(command="serve")
    serve = commands.add_parser("serve", help="run the MCP server (the default)")
    _add_common(serve, top=False)
    _add_transport(serve, top=False)
    commands.add_parser("demo", help="drive the sandboxed server from a real MCP client and print what it returns")
    export = commands.add_parser(
        "export", help="write a whole thread as markdown, jsonl, OTel messages or an OTLP trace"
    )
    _add_common(export, top=False)
    export.add_argument("ref", help="thread ref, e.g. qoder:sess_1/sthr_2")
    export.add_argument("--format", choices=["markdown", "jsonl", "otel-messages", "otlp"], default="markdown")
    export.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    index_commands.add_commands(commands, _add_common)
    return p


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command != "serve" or getattr(args, "transport", "stdio") != "stdio":
        gc.enable()
    try:
        _log_to_stderr(args.log_level)
        if args.command == "demo":
            from .demo import run_demo  # the demo pulls in the MCP client stack; keep it off the server's start-up

            anyio.run(run_demo)
        elif args.command == "export":
            anyio.run(_export, args)
        elif args.command in index_commands.COMMANDS:
            anyio.run(index_commands.run, args, _configured)
        else:
            anyio.run(_serve, args)
    except (AgentThreadsError, BrokenPipeError, BaseExceptionGroup) as e:  # the sandbox wraps errors in a group
        _exit_for(e)
    except KeyboardInterrupt:
        print("agent-threads-mcp: interrupted; run it again to carry on where it stopped", file=sys.stderr)
        sys.exit(130)


def _log_to_stderr(level: str) -> None:
    if level.upper() not in LOG_LEVELS:
        raise ConfigError(f"Unknown log level {level!r}.", hint=f"Use one of {', '.join(LOG_LEVELS)}.")
    logging.basicConfig(stream=sys.stderr, level=level.upper(), format="%(levelname)s %(name)s: %(message)s")


def _exit_for(error: BaseException) -> None:
    """Exit with a one-line message for a project error (code 2 when the command or its configuration is wrong),
    quietly when stdout's reader left; re-raise the rest."""
    inner = error
    while isinstance(inner, BaseExceptionGroup) and len(inner.exceptions) == 1:
        inner = inner.exceptions[0]
    if isinstance(inner, BrokenPipeError):  # `export ... | head`: the reader went away
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    if isinstance(inner, AgentThreadsError):
        print(f"agent-threads-mcp: {inner.for_model()}", file=sys.stderr)
        sys.exit(2 if isinstance(inner, (ConfigError, UsageError)) else 1)
    raise error


def _flag_env(args: argparse.Namespace) -> dict[str, str]:
    """The command-line flags as the environment variables they override."""
    env: dict[str, str] = {}
    if args.read_only:
        env["AGENT_THREADS_READ_ONLY"] = "1"
    if args.providers is not None:
        env["AGENT_THREADS_PROVIDERS"] = args.providers
    if args.config is not None:
        env["AGENT_THREADS_CONFIG"] = args.config
    return env


def _passthrough() -> dict[str, str]:
    """Non-credential settings the sandboxed server still honours from the environment."""
    return {k: v for k, v in os.environ.items() if k.startswith("AGENT_THREADS_") and not k.endswith("_ENDPOINT")}


@asynccontextmanager
async def _configured(args: argparse.Namespace) -> AsyncIterator[Settings]:
    """Settings from flags, environment and profiles; with ``--sandbox``, for the sandbox's providers only."""
    if not args.sandbox:
        yield load_settings({**os.environ, **_flag_env(args)})
        return
    from .sandbox import Sandbox  # uvicorn and the sample data load only when the sandbox is asked for

    async with Sandbox().running() as sandbox:
        # no profiles file: a sandboxed run must never reach a real account
        env = sandbox.env() | _passthrough() | _flag_env(args) | {"AGENT_THREADS_CONFIG": os.devnull}
        settings = load_settings(env)
        providers = tuple(p for p in settings.providers if p.family in sandbox.ports)
        # the sample threads never reach a real index: the sandbox's own file, gone when it stops
        own = index_config(
            {"AGENT_THREADS_INDEX": env.get("AGENT_THREADS_INDEX", "")}, Path(sandbox.env()["AGENT_THREADS_STATE_DIR"])
        )
        yield replace(settings, providers=providers, index=own)


async def _serve(args: argparse.Namespace) -> None:
    if args.transport == "http":
        await _serve_http(args)
        return
    from . import stdio
    from .app import build_server  # the MCP server stack loads after the flags are known to be valid

    async with _configured(args) as settings:
        server = build_server(settings)
        _say_what_this_is(settings, args)
        _tune_gc()
        await stdio.run(server)


def _say_what_this_is(settings: Settings, args: argparse.Namespace) -> None:
    """On stderr, for a person who started the stdio server by hand (a host never reads it)."""
    if sys.stdin.isatty():
        print(
            f"agent-threads-mcp {__version__}: an MCP server on stdin/stdout, waiting for an MCP host "
            f"(Claude Desktop, Claude Code, an IDE) to talk to it; Ctrl-D quits. {TRY_IT}",
            file=sys.stderr,
        )
    if not settings.providers and not args.sandbox:
        print(
            "agent-threads-mcp: no vendor credentials found, so no provider is offered: set them "
            "(see the README's Configuration) or pass --sandbox to try it on sample agents.",
            file=sys.stderr,
        )


def _tune_gc() -> None:
    """A page allocates tens of thousands of short-lived objects: at the default threshold (700) the collector
    ran ~900 times in a 10,000-message read, over a tenth of the server's CPU. What start-up built is frozen
    out of its scans."""
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    gc.enable()


async def _serve_http(args: argparse.Namespace) -> None:
    """Stateless streamable HTTP at /mcp: any replica can answer any request. The address is taken before
    anything starts, so a port in use is a one-line error."""
    from .app import build_server
    from .readiness import Readiness
    from .serve import Service, bound, load_options

    options = load_options(os.environ, host=args.host, port=args.port, allow_unauthenticated=args.allow_unauthenticated)
    with bound(options) as sock:
        async with _configured(args) as settings:
            _warn_about_http(settings, options, args)
            readiness = Readiness()
            # replicas must read each other's cursors: they carry their state
            server = build_server(replace(settings, sealed_cursors=True), readiness=readiness)
            _tune_gc()
            await Service(server, options, readiness).run(sock)


def _warn_about_http(settings: Settings, options: ServiceOptions, args: argparse.Namespace) -> None:
    from .serve import is_loopback

    if not settings.sealed_cursors:
        log.warning("AGENT_THREADS_CURSOR_KEY is unset: cursors will not carry over to other replicas or a restart")
    if options.token is None and not is_loopback(options.host):
        log.warning("serving %s without a token: whoever reaches it acts with this server's accounts", options.host)
    if not settings.providers and not args.sandbox:
        log.warning("no vendor credentials found, so no provider is offered (/readyz says so); try --sandbox")


async def _export(args: argparse.Namespace) -> None:
    from .export import export  # renderers and the OTel mapping are only needed by this command

    async with _configured(args) as settings:
        count = await export(settings, args.ref, args.format, args.output)
    log.info("exported %d messages", count)


if __name__ == "__main__":
    main()
