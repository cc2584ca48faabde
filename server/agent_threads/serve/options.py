"""What the HTTP service takes from its flags and the environment, checked before anything starts."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..config import seconds
from ..errors import ConfigError

TOKEN_VAR = "AGENT_THREADS_HTTP_TOKEN"
TOKEN_FILE_VAR = "AGENT_THREADS_HTTP_TOKEN_FILE"
HOSTS_VAR = "AGENT_THREADS_ALLOWED_HOSTS"
ORIGINS_VAR = "AGENT_THREADS_ALLOWED_ORIGINS"
DRAIN_VAR = "AGENT_THREADS_HTTP_DRAIN_TIMEOUT"
MAX_STREAMS_VAR = "AGENT_THREADS_HTTP_MAX_STREAMS"
IDLE_STREAM_VAR = "AGENT_THREADS_HTTP_IDLE_STREAM_TIMEOUT"

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
LOOPBACK_ORIGINS = tuple(f"{scheme}://{host}" for scheme in ("http", "https") for host in LOOPBACK_HOSTS)
MIN_TOKEN_LENGTH = 16
_TOKEN = re.compile(r"^[A-Za-z0-9._~+/-]+=*$")  # RFC 6750 b64token: what fits in a Bearer header as is


@dataclass(frozen=True)
class ServiceOptions:
    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = field(default=None, repr=False)
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    """``host`` (any port) or ``host:port`` entries for the Host header; ``*`` allows any."""
    allowed_origins: tuple[str, ...] = LOOPBACK_ORIGINS
    """``scheme://host`` (any port) or ``scheme://host:port`` entries for the Origin header; ``*`` allows any."""
    drain_timeout: float = 20.0
    """Seconds SIGTERM waits for calls in flight before cutting them."""
    max_streams: int = 32
    """Event streams (GET /mcp, subscriptions/listen) open at once; more are refused with 503."""
    idle_stream_timeout: float = 60.0
    """Seconds an event stream may carry nothing (pings aside) before it is closed."""


def load_options(
    env: Mapping[str, str], *, host: str, port: int, allow_unauthenticated: bool = False
) -> ServiceOptions:
    """Options for serving on ``host:port``. Raises ConfigError on a bad value or an unauthenticated
    non-loopback address (unless ``allow_unauthenticated``)."""
    env = {k: v for k, v in env.items() if v.strip()}
    token = _token(env)
    if token is None and not is_loopback(host) and not allow_unauthenticated:
        raise ConfigError(
            f"Refusing to serve HTTP on {host} without authentication.",
            hint=f"Set {TOKEN_VAR} (or {TOKEN_FILE_VAR}), or pass --allow-unauthenticated "
            "if something in front of the server authenticates every request.",
        )
    return ServiceOptions(
        host=host,
        port=port,
        token=token,
        allowed_hosts=_list(env, HOSTS_VAR) or (*LOOPBACK_HOSTS, *_bound_name(host)),
        allowed_origins=_list(env, ORIGINS_VAR) or LOOPBACK_ORIGINS,
        drain_timeout=seconds(env, DRAIN_VAR, 20.0, allow_zero=True),
        max_streams=_count(env, MAX_STREAMS_VAR, 32),
        idle_stream_timeout=seconds(env, IDLE_STREAM_VAR, 60.0, allow_zero=False),
    )


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bound_name(host: str) -> tuple[str, ...]:
    """A concrete bind address is a name clients may use; a wildcard (0.0.0.0, ::) is not."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return (host.lower(),)
    if address.is_unspecified:
        return ()
    return (f"[{address}]",) if address.version == 6 else (str(address),)


def _token(env: Mapping[str, str]) -> str | None:
    if TOKEN_VAR in env and TOKEN_FILE_VAR in env:
        raise ConfigError(f"Set {TOKEN_VAR} or {TOKEN_FILE_VAR}, not both.")
    if TOKEN_FILE_VAR in env:
        path = Path(env[TOKEN_FILE_VAR]).expanduser()
        try:
            raw = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"Cannot read {TOKEN_FILE_VAR} {str(path)!r}: {type(e).__name__}.") from e
        return _checked_token(raw.strip(), f"the file {TOKEN_FILE_VAR} names")
    return _checked_token(env[TOKEN_VAR].strip(), TOKEN_VAR) if TOKEN_VAR in env else None


def _checked_token(token: str, where: str) -> str:
    """The token itself never appears in a message: only what is wrong with it."""
    if len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(f"The HTTP token in {where} is shorter than {MIN_TOKEN_LENGTH} characters.")
    if not _TOKEN.match(token):
        raise ConfigError(
            f"The HTTP token in {where} holds characters a Bearer header cannot carry.",
            hint="Use letters, digits and -._~+/ (e.g. the output of `openssl rand -hex 32`).",
        )
    return token


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    items = tuple(part.strip().lower().rstrip("/") for part in env.get(name, "").split(",") if part.strip())
    return ("*",) if "*" in items else items


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    if not raw.strip().isdigit():
        raise ConfigError(f"{name} must be a whole number, 0 or more; got {raw!r}.")
    return int(raw)
