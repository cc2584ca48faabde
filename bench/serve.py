"""The server as ``agent-threads-mcp`` runs it, limited to the given sandbox families (argv[1], comma-separated).

Used only while some vendor's provider module has not landed: ``python -m agent_threads`` would then fail to
build that configured provider. Same path as ``--sandbox``: load settings from the environment, keep the
families served, run stdio.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import replace

import anyio

from agent_threads import stdio
from agent_threads.app import build_server
from agent_threads.config import load_settings


def main() -> None:
    families = set(sys.argv[1].split(","))
    logging.basicConfig(stream=sys.stderr, level="WARNING", format="%(levelname)s %(name)s: %(message)s")  # as __main__
    settings = load_settings()
    settings = replace(settings, providers=tuple(p for p in settings.providers if p.family in families))
    anyio.run(stdio.run, build_server(settings))


if __name__ == "__main__":
    main()
