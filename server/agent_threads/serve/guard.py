"""Who may use /mcp: the Host and Origin allow-lists (DNS-rebinding protection) and the bearer token."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response

from .options import ServiceOptions


@dataclass(frozen=True)
class Guard:
    options: ServiceOptions

    def refusal(self, headers: Headers) -> Response | None:
        """The response refusing this request, or None when it may go on."""
        if not host_allowed(headers.get("host", ""), self.options.allowed_hosts):
            return _error(421, "host_not_allowed")
        origin = headers.get("origin")
        if origin is not None and not origin_allowed(origin, self.options.allowed_origins):
            return _error(403, "origin_not_allowed")
        return self._unauthorized(headers.get("authorization"))

    def _unauthorized(self, authorization: str | None) -> Response | None:
        if self.options.token is None:
            return None
        scheme, _, presented = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            return _error(401, "unauthorized", {"WWW-Authenticate": 'Bearer realm="agent-threads-mcp"'})
        if not hmac.compare_digest(presented.strip().encode(), self.options.token.encode()):
            challenge = 'Bearer realm="agent-threads-mcp", error="invalid_token"'
            return _error(401, "invalid_token", {"WWW-Authenticate": challenge})
        return None


def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    if "*" in allowed:
        return True
    name, port = _split(host.strip().lower())
    return bool(name) and any(_matches(name, port, entry) for entry in allowed)


def origin_allowed(origin: str, allowed: tuple[str, ...]) -> bool:
    if "*" in allowed:
        return True
    scheme, sep, rest = origin.strip().lower().partition("://")
    if not sep:
        return False  # "null" and other opaque origins
    name, port = _split(rest)
    for entry in allowed:
        entry_scheme, entry_sep, entry_rest = entry.partition("://")
        if entry_sep and entry_scheme == scheme and _matches(name, port, entry_rest):
            return True
    return False


def _matches(name: str, port: str, entry: str) -> bool:
    entry_name, entry_port = _split(entry)
    return entry_name == name and (not entry_port or entry_port == port)


def _split(authority: str) -> tuple[str, str]:
    """``host[:port]`` (IPv6 in brackets) as (host, port); the port is "" when absent."""
    if authority.startswith("["):
        name, _, rest = authority.partition("]")
        return name + "]", rest[1:] if rest.startswith(":") else ""
    name, sep, port = authority.rpartition(":")
    if sep and port.isdigit():
        return name, port
    return authority, ""


def _error(status: int, code: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": code}, status_code=status, headers=headers)
