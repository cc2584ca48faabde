"""The sandbox cloud's frame: one loopback listener per vendor product, switchable faults, fixed credentials.

Vendor packages each have an ``app`` module (``sandbox/<vendor>/app.py``) with ``build(ctx, family) -> ASGI app``;
they speak the vendor's wire format and verify its signatures on their own. Nothing here imports ``auth/`` or
``providers/``: a bug shared by signer and verifier would hide itself.
"""

from __future__ import annotations

import importlib
import logging
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio
import uvicorn

log = logging.getLogger("agent_threads.sandbox")
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

FAMILIES = {"qoder": "qoder", "cms": "cms", "starops": "cms", "dms": "dms", "rdsai": "rdsai", "dataagent": "dataagent"}
FaultKind = Literal[
    "throttle",
    "server_error",
    "error_200",
    "slow",
    "late_reply",
    "slow_first_byte",
    "malformed",
    "truncated",
    "drop_stream",
    "close_early",
    "stall",
    "drift",
    "endless",
]


@dataclass(frozen=True)
class Credentials:
    """The sandbox's accounts. Requests signed with anything else are rejected as the vendor would."""

    qoder_pat: str = "qoder-sandbox-pat-0000"
    alibaba_key_id: str = "LTAIsandbox0000000000"
    alibaba_key_secret: str = "sandbox-alibaba-secret-0000"
    tencent_secret_id: str = "AKIDsandbox00000000000000000"
    tencent_secret_key: str = "sandbox-tencent-secret-0000"


@dataclass
class Fault:
    kind: FaultKind
    route: str = ""
    times: int | None = 1
    retry_after: float = 1.0
    delay: float = 0.5
    after_bytes: int = 400


@dataclass
class Faults:
    """Rules keyed by family; a rule fires on requests whose route key contains ``route``, ``times`` times."""

    rules: dict[str, list[Fault]] = field(default_factory=dict[str, list[Fault]])
    fired: list[tuple[str, FaultKind, str]] = field(default_factory=list[tuple[str, FaultKind, str]])

    def add(self, family: str, kind: FaultKind, **options: Any) -> Fault:
        fault = Fault(kind, **options)
        self.rules.setdefault(family, []).append(fault)
        return fault

    def clear(self) -> None:
        self.rules.clear()
        self.fired.clear()

    def take(self, family: str, route_key: str, kinds: tuple[FaultKind, ...] | None = None) -> Fault | None:
        for fault in self.rules.get(family, []):
            if fault.route in route_key and (kinds is None or fault.kind in kinds) and fault.times != 0:
                if fault.times is not None:
                    fault.times -= 1
                self.fired.append((family, fault.kind, route_key))
                return fault
        return None


@dataclass
class SandboxContext:
    faults: Faults = field(default_factory=Faults)
    creds: Credentials = field(default_factory=Credentials)
    options: dict[str, Any] = field(default_factory=dict[str, Any])
    """Per-run knobs for vendor modules, e.g. ``{"qoder.big_thread_events": 100_000}``."""


def route_key(scope: Scope) -> str:
    """Path plus the action, wherever the vendor puts it (RPC query, x-acs-action, X-TC-Action)."""
    headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
    query = scope.get("query_string", b"").decode()
    action = headers.get("x-acs-action") or headers.get("x-tc-action") or ""
    if not action and "Action=" in query:
        action = query.split("Action=", 1)[1].split("&", 1)[0]
    return f"{scope.get('method', '')} {scope.get('path', '')} {action}"


def load_apps(ctx: SandboxContext, families: list[str] | None = None) -> dict[str, ASGIApp]:
    """The vendor apps whose modules exist, by family."""
    apps: dict[str, ASGIApp] = {}
    for family in families or list(FAMILIES):
        try:
            module = importlib.import_module(f"{__package__}.{FAMILIES[family]}.app")
        except ModuleNotFoundError as e:
            if e.name not in (f"{__package__}.{FAMILIES[family]}", f"{__package__}.{FAMILIES[family]}.app"):
                raise
            continue
        apps[family] = module.build(ctx, family)
    return apps


class Sandbox:
    """Runs the vendor apps on loopback ports inside the caller's event loop."""

    def __init__(self, ctx: SandboxContext | None = None, families: list[str] | None = None) -> None:
        self.ctx = ctx or SandboxContext()
        self.apps = load_apps(self.ctx, families)
        self.ports: dict[str, int] = {}
        self._state: str | None = None
        """A throwaway state dir while running: a sandbox run never writes the real one (DataAgent's catalog)."""

    def url(self, family: str) -> str:
        return f"http://127.0.0.1:{self.ports[family]}"

    def env(self) -> dict[str, str]:
        """Environment that points every running provider at this sandbox, with its credentials."""
        creds = self.ctx.creds
        env: dict[str, str] = {}
        if "qoder" in self.ports:
            env |= {"QODER_PAT": creds.qoder_pat, "QODER_BASE_URL": self.url("qoder") + "/api/v1/cloud"}
        if any(f in self.ports for f in ("cms", "starops", "dms", "rdsai")):
            env |= {
                "ALIBABA_CLOUD_ACCESS_KEY_ID": creds.alibaba_key_id,
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET": creds.alibaba_key_secret,
            }
        if "dataagent" in self.ports:
            env |= {
                "TENCENTCLOUD_SECRET_ID": creds.tencent_secret_id,
                "TENCENTCLOUD_SECRET_KEY": creds.tencent_secret_key,
            }
            # Tencent has no list API: name the sample sessions so list_threads can show them
            env["AGENT_THREADS_DATAAGENT_REFS"] = str(self.ctx.options.get("dataagent.sample_refs", ""))
        for family in ("cms", "starops", "dms", "rdsai", "dataagent"):
            if family in self.ports:
                env[f"AGENT_THREADS_{family.upper()}_ENDPOINT"] = self.url(family)
        if self._state:
            env["AGENT_THREADS_STATE_DIR"] = self._state
        return env

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Sandbox]:
        sockets, by_port = self._bind()
        self._state = tempfile.mkdtemp(prefix="agent-threads-sandbox-")
        config = uvicorn.Config(_dispatch(by_port), log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
        server = uvicorn.Server(config)
        async with anyio.create_task_group() as tg:
            tg.start_soon(server._serve, sockets)  # _serve: no signal capture inside a host process
            with anyio.fail_after(10):
                while not server.started:
                    await anyio.sleep(0.005)
            try:
                yield self
            finally:
                server.should_exit = True
                server.force_exit = True
                shutil.rmtree(self._state, ignore_errors=True)

    def _bind(self) -> tuple[list[socket.socket], dict[int, ASGIApp]]:
        sockets: list[socket.socket] = []
        by_port: dict[int, ASGIApp] = {}
        for family, app in self.apps.items():
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(
                socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
            )  # accepted sockets inherit it; else ~40 ms a reply
            sock.bind(("127.0.0.1", 0))
            sock.set_inheritable(True)
            port = sock.getsockname()[1]
            self.ports[family] = port
            by_port[port] = app
            sockets.append(sock)
        return sockets, by_port


def _dispatch(by_port: dict[int, ASGIApp]) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        port = (scope.get("server") or ("", 0))[1]
        await by_port[port](scope, receive, send)

    return app
