"""Tencent Cloud API 3.0 signature (TC3-HMAC-SHA256), as the official SDK computes it (tencent-qoder.md §1.5).

The caller sets ``X-TC-Action``, ``X-TC-Version`` and ``Content-Type``; the auth adds the timestamp, region,
language, STS token, trace id and ``Authorization``. It runs again on every retry (``http.Channel`` re-sends
through the client), so each attempt carries a fresh timestamp. The credential-scope date is derived from
the same timestamp as ``X-TC-Timestamp``, so a request signed just before midnight UTC stays consistent.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Callable, Generator, Mapping, Sequence
from datetime import datetime, timezone

import httpx

ALGORITHM = "TC3-HMAC-SHA256"
DEFAULT_SIGNED = ("content-type", "host", "x-tc-action")


def scope_date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d")


def credential_scope(timestamp: int, service: str) -> str:
    return f"{scope_date(timestamp)}/{service}/tc3_request"


def canonical_request(method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> str:
    """The canonical request over the signed ``headers`` (names and values lower-cased and trimmed)."""
    lowered = {k.lower(): v.strip().lower() for k, v in headers.items()}
    names = sorted(lowered)
    block = "".join(f"{n}:{lowered[n]}\n" for n in names)
    payload = hashlib.sha256(body).hexdigest()
    return "\n".join([method.upper(), path or "/", query, block, ";".join(names), payload])


def string_to_sign(timestamp: int, scope: str, canonical: str) -> str:
    return f"{ALGORITHM}\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signature(secret_key: str, timestamp: int, service: str, to_sign: str) -> str:
    k_date = _hmac(f"TC3{secret_key}".encode(), scope_date(timestamp))
    k_signing = _hmac(_hmac(k_date, service), "tc3_request")
    return hmac.new(k_signing, to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(secret_id: str, scope: str, signed_names: Sequence[str], sig: str) -> str:
    return (
        f"{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={';'.join(sorted(signed_names))}, Signature={sig}"
    )


def sign(
    secret_id: str, secret_key: str, service: str, timestamp: int, request: httpx.Request, signed: Sequence[str]
) -> str:
    """The ``Authorization`` value for ``request`` (headers and body as they will be sent)."""
    headers = {name: request.headers[name] for name in signed if name in request.headers}
    path = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
    query = request.url.query.decode("ascii") if request.method.upper() == "GET" else ""
    canonical = canonical_request(request.method, path, query, headers, request.content)
    scope = credential_scope(timestamp, service)
    sig = signature(secret_key, timestamp, service, string_to_sign(timestamp, scope, canonical))
    return authorization(secret_id, scope, list(headers), sig)


def _trace_id() -> str:
    return str(uuid.uuid4())


class TC3Auth(httpx.Auth):
    """Signs each request (and each retry of it) with TC3-HMAC-SHA256."""

    requires_request_body = True

    def __init__(
        self,
        secret_id: str,
        secret_key: str,
        token: str | None = None,
        *,
        service: str,
        region: str | None = None,
        language: str = "en-US",
        signed_headers: Sequence[str] = DEFAULT_SIGNED,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = _trace_id,
    ) -> None:
        self.secret_id = secret_id
        self._secret = secret_key
        self._token = token or None
        self.service = service
        self.region = region
        self.language = language
        self._signed = tuple(h.lower() for h in signed_headers)
        self._clock = clock
        self._nonce = nonce

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.apply(request)
        yield request

    def apply(self, request: httpx.Request) -> None:
        timestamp = int(self._clock())
        headers = request.headers
        headers["Host"] = headers.get("host") or request.url.netloc.decode("ascii")
        headers.setdefault("X-TC-TraceId", self._nonce())
        headers["X-TC-Timestamp"] = str(timestamp)
        if self.region:
            headers["X-TC-Region"] = self.region
        if self._token:
            headers["X-TC-Token"] = self._token
        headers["X-TC-Language"] = self.language
        headers["Authorization"] = sign(self.secret_id, self._secret, self.service, timestamp, request, self._signed)

    def __repr__(self) -> str:
        return f"TC3Auth(secret_id={self.secret_id!r}, secret=***)"
