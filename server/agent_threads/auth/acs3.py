"""Alibaba Cloud signature V3 (ACS3-HMAC-SHA256), as the official SDKs compute it (alibaba.md §2, §8).

The caller sets ``x-acs-action`` and ``x-acs-version``; the auth adds host, date, nonce, payload hash, the
STS headers when a security token is set, and ``Authorization``. It runs again on every retry (``http.Channel``
re-sends through the client), so each attempt gets a fresh date and nonce.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Generator, Iterable, Mapping
from datetime import datetime, timezone
from urllib.parse import parse_qsl, quote

import httpx

ALGORITHM = "ACS3-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def encode(value: str) -> str:
    """RFC 3986 percent-encoding as the SDK does it: only ``A-Za-z0-9-_.~`` stay (a ``/`` becomes ``%2F``)."""
    return quote(value, safe="~")


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    """Parameters sorted by name, each ``name=value`` percent-encoded and joined with ``&``."""
    return "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(params, key=lambda kv: (kv[0], kv[1])))


def canonical_headers(headers: Mapping[str, str]) -> tuple[str, str]:
    """The canonical header block (each line ending in a newline) and the ``;``-joined signed header names."""
    lowered = {k.lower(): str(v).strip() for k, v in headers.items()}
    names = sorted(lowered)
    return "".join(f"{n}:{lowered[n]}\n" for n in names), ";".join(names)


def canonical_request(
    method: str, path: str, query: Iterable[tuple[str, str]], headers: Mapping[str, str], payload_hash: str
) -> str:
    """The V3 canonical request; ``path`` exactly as sent (already percent-encoded), ``headers`` the signed ones."""
    block, names = canonical_headers(headers)
    return "\n".join([method.upper(), path or "/", canonical_query(query), block, names, payload_hash])


def string_to_sign(canonical: str) -> str:
    return f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"


def sign(secret: str, to_sign: str) -> str:
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(key_id: str, signed_headers: str, signature: str) -> str:
    return f"{ALGORITHM} Credential={key_id},SignedHeaders={signed_headers},Signature={signature}"


def signed_subset(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The headers we sign: host, content-type and every ``x-acs-*`` (repeated names joined sorted with ``,``)."""
    found: dict[str, list[str]] = {}
    for name, value in headers:
        low = name.lower()
        if low in ("host", "content-type") or low.startswith("x-acs-"):
            found.setdefault(low, []).append(value.strip())
    return {k: ",".join(sorted(v)) for k, v in found.items()}


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _fresh_nonce() -> str:
    return secrets.token_hex(16)


class Acs3Auth(httpx.Auth):
    """Signs each request (and each retry of it) with ACS3-HMAC-SHA256."""

    requires_request_body = True

    def __init__(
        self,
        access_key_id: str,
        access_key_secret: str,
        security_token: str | None = None,
        *,
        clock: Callable[[], datetime] = _utc_now,
        nonce: Callable[[], str] = _fresh_nonce,
    ) -> None:
        self.access_key_id = access_key_id
        self._secret = access_key_secret
        self._token = security_token or None
        self._clock = clock
        self._nonce = nonce

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.apply(request)
        yield request

    def apply(self, request: httpx.Request) -> None:
        payload_hash = hashlib.sha256(request.content).hexdigest()
        headers = request.headers
        headers["host"] = headers.get("host") or request.url.netloc.decode("ascii")
        headers["x-acs-date"] = self._clock().astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        headers["x-acs-signature-nonce"] = self._nonce()
        headers["x-acs-content-sha256"] = payload_hash
        if self._token:
            headers["x-acs-accesskey-id"] = self.access_key_id
            headers["x-acs-security-token"] = self._token
        signed = signed_subset(headers.multi_items())
        path = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
        query = parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True)
        canonical = canonical_request(request.method, path, query, signed, payload_hash)
        signature = sign(self._secret, string_to_sign(canonical))
        headers["Authorization"] = authorization(self.access_key_id, ";".join(sorted(signed)), signature)

    def __repr__(self) -> str:
        return f"Acs3Auth(access_key_id={self.access_key_id!r}, secret=***)"
