"""Who may use /mcp: the Host and Origin allow-lists (DNS-rebinding protection) and the bearer token."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.responses import Response

from .options import HOSTS_VAR, ORIGINS_VAR, ServiceOptions
from .replies import refusal

CHALLENGE = 'Bearer realm="agent-threads-mcp"'


@dataclass(frozen=True)
class Guard:
    options: ServiceOptions

    def refusal(self, headers: Headers) -> Response | None:
        """The response refusing this request, or None when it may go on."""
        if not host_allowed(headers.get("host", ""), self.options.allowed_hosts):
            return refusal(421, f"Host header not allowed here (the server's {HOSTS_VAR} lists the names it answers).")
        origin = headers.get("origin")
        if origin is not None and not origin_allowed(origin, self.options.allowed_origins):
            return refusal(403, f"Origin not allowed (the server's {ORIGINS_VAR} lists the allowed origins).")
        return self._unauthorized(headers.get("authorization"))

    def _unauthorized(self, authorization: str | None) -> Response | None:
        if self.options.token is None:
            return None
        scheme, _, presented = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            return refusal(401, "Unauthorized: send the server's token as 'Authorization: Bearer …'.", _challenge())
        if not hmac.compare_digest(presented.strip().encode(), self.options.token.encode()):
            return refusal(401, "Unauthorized: the bearer token is not this server's.", _challenge("invalid_token"))
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


def _challenge(error: str = "") -> dict[str, str]:
    return {"WWW-Authenticate": f'{CHALLENGE}, error="{error}"' if error else CHALLENGE}
