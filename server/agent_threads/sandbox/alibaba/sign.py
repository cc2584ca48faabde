"""An ACS3-HMAC-SHA256 verifier written from the vendor's description, not from ``auth/acs3.py``: it recomputes the
signature from the raw request as received (raw path, decoded-then-re-encoded query, the headers named in
``SignedHeaders``, the body's own hash) and answers a bad one exactly as the gateway does."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timezone
from urllib.parse import parse_qsl, quote

from starlette.requests import Request
from starlette.responses import Response

from ..core import SandboxContext
from .wire import error_body

MAX_SKEW_S = 15 * 60
_AUTH = re.compile(r"^(\S+) Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)$")


class Acs3Verifier:
    """Checks ACS3-HMAC-SHA256 requests against the sandbox account; remembers nonces to refuse replays."""

    def __init__(self, ctx: SandboxContext) -> None:
        self.ctx = ctx
        self._nonces: set[str] = set()

    async def verify(self, request: Request, version: str | None = None) -> Response | None:
        """None when the request is well signed (and of ``version``); else the vendor's error response."""
        body = await request.body()
        match = _AUTH.match(request.headers.get("authorization", ""))
        if match is None or match.group(1) != "ACS3-HMAC-SHA256":
            return error_body(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
        _, key_id, signed_names, signature = match.groups()
        if key_id != self.ctx.creds.alibaba_key_id:
            return error_body(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        problem = self._headers_problem(request, signed_names.split(";"))
        if problem is not None:
            return problem
        to_sign = _string_to_sign(request, signed_names, body)
        expected = hmac.new(self.ctx.creds.alibaba_key_secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            message = f"The request signature does not conform to Aliyun standards. server string to sign is:{to_sign}"
            return error_body(400, "SignatureDoesNotMatch", message)
        return self._replay_or_version(request, version)

    def _headers_problem(self, request: Request, names: list[str]) -> Response | None:
        present = {k.lower() for k in request.headers}
        required = {"host", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"}
        required |= {k for k in present if k.startswith("x-acs-")}
        if not required <= set(names) or not set(names) <= present:
            return error_body(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
        token = self.ctx.options.get("alibaba.security_token")
        if token is not None and request.headers.get("x-acs-security-token") != token:
            return error_body(400, "InvalidSecurityToken.Malformed", "Specified SecurityToken is malformed.")
        return _date_problem(request.headers["x-acs-date"])

    def _replay_or_version(self, request: Request, version: str | None) -> Response | None:
        nonce = request.headers["x-acs-signature-nonce"]
        if nonce in self._nonces:
            return error_body(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        self._nonces.add(nonce)
        if version is not None and request.headers.get("x-acs-version") != version:
            return error_body(400, "InvalidVersion", "Specified parameter Version is not valid.")
        return None


def _date_problem(raw: str) -> Response | None:
    try:
        when = datetime.strptime(raw, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return error_body(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
    if abs((datetime.now(timezone.utc) - when).total_seconds()) > MAX_SKEW_S:
        return error_body(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
    return None


def _string_to_sign(request: Request, signed_names: str, body: bytes) -> str:
    raw_path = request.scope.get("raw_path") or quote(request.scope["path"]).encode()
    path = raw_path.decode("latin-1").split("?", 1)[0]
    pairs = parse_qsl(request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    query = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(pairs))
    names = signed_names.split(";")
    headers = "".join(f"{n}:{','.join(sorted(v.strip() for v in request.headers.getlist(n)))}\n" for n in names)
    payload = hashlib.sha256(body).hexdigest()
    canonical = "\n".join([request.method, path, query, headers, signed_names, payload])
    return "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
