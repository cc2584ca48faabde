"""The sandbox's own TC3-HMAC-SHA256 verifier, written apart from ``auth/tc3.py`` (a shared bug would hide).

Checks what Tencent Cloud API 3.0 checks, in the same order, with the same error codes: a well-formed
``Authorization``, the timestamp within 5 minutes, a known SecretId, a scope matching the timestamp's date
and the service, ``content-type`` and ``host`` among the signed headers, and the signature itself.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

MAX_SKEW = 300
_AUTH = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<id>[^/\s]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/\s]+)/tc3_request,\s*"
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+),\s*Signature=(?P<sig>[0-9a-f]{64})$"
)


class TcError(Exception):
    """A Tencent Cloud error code and message, answered inside HTTP 200."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Signed:
    secret_id: str
    action: str


def _digest(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def _expected(
    secret_key: str,
    date: str,
    service: str,
    method: str,
    signed: list[str],
    headers: Mapping[str, str],
    body: bytes,
    ts: str,
) -> str:
    lines = [f"{name}:{headers.get(name, '').strip().lower()}\n" for name in signed]
    canonical = f"{method}\n/\n\n{''.join(lines)}\n{';'.join(signed)}\n{hashlib.sha256(body).hexdigest()}"
    scope = f"{date}/{service}/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{ts}\n{scope}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"
    key = _digest(_digest(_digest(("TC3" + secret_key).encode("utf-8"), date), service), "tc3_request")
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def _timestamp(headers: Mapping[str, str], now: float) -> int:
    raw = headers.get("x-tc-timestamp", "")
    if not raw.isdigit():
        raise TcError("MissingParameter", "The request is missing a valid X-TC-Timestamp header.")
    ts = int(raw)
    if abs(now - ts) > MAX_SKEW:
        raise TcError(
            "AuthFailure.SignatureExpire",
            "Signature expired: the request timestamp differs from server time by more than 5 minutes.",
        )
    return ts


def verify(
    method: str,
    headers: Mapping[str, str],
    body: bytes,
    keys: Mapping[str, str],
    *,
    service: str,
    clock: Callable[[], float] = time.time,
) -> Signed:
    """Verify one request; ``headers`` lower-cased. Raises TcError with Tencent's code when it fails."""
    found = _AUTH.match(headers.get("authorization", ""))
    if not found:
        raise TcError(
            "AuthFailure.InvalidAuthorization", "Authorization header is missing or not in TC3-HMAC-SHA256 form."
        )
    ts = _timestamp(headers, clock())
    if found["id"] not in keys:
        raise TcError(
            "AuthFailure.SecretIdNotFound", "The SecretId is not found, please ensure that your SecretId is correct."
        )
    signed = found["signed"].split(";")
    if "content-type" not in signed or "host" not in signed or signed != sorted(signed):
        raise TcError("AuthFailure.InvalidAuthorization", "SignedHeaders must list content-type and host, sorted.")
    date = time.strftime("%Y-%m-%d", time.gmtime(ts))
    if found["date"] != date or found["service"] != service:
        raise TcError(
            "AuthFailure.SignatureFailure", "The credential scope does not match the timestamp's date or the service."
        )
    expected = _expected(keys[found["id"]], date, service, method.upper(), signed, headers, body, str(ts))
    if not hmac.compare_digest(expected, found["sig"]):
        raise TcError(
            "AuthFailure.SignatureFailure",
            "The provided credentials could not be validated. Please check your signature is correct.",
        )
    return Signed(found["id"], headers.get("x-tc-action", ""))
