"""The Alibaba Cloud side of the sandbox: an independent ACS3 verifier, the error envelope, RPC and ROA dispatch.

Written from the vendor's description (alibaba.md §2-3), not from ``auth/acs3.py``: the verifier recomputes the
signature from the raw request as received (raw path, decoded-then-re-encoded query, the headers named in
``SignedHeaders``, the body's own hash) and answers a bad one exactly as the gateway does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .core import ASGIApp, Fault, Receive, SandboxContext, Scope, Send
from .faults import with_faults

MAX_SKEW_S = 15 * 60
_AUTH = re.compile(r"^(\S+) Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)$")
RpcHandler = Callable[[dict[str, str]], Awaitable["dict[str, Any] | Response"]]
RoaHandler = Callable[[Request, dict[str, str]], Awaitable["dict[str, Any] | Response"]]


class ApiError(Exception):
    """Raised by a handler to answer in the vendor's error envelope."""

    def __init__(self, status: int, code: str, message: str, *, camel: bool = False) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.camel = status, code, message, camel


def request_id() -> str:
    return str(uuid.uuid4()).upper()


def error_payload(code: str, message: str, *, camel: bool = False) -> dict[str, Any]:
    """PascalCase as the API gateway and RPC products answer; camelCase as some ROA products do."""
    if camel:
        return {"requestId": request_id(), "code": code, "message": message}
    recommend = f"https://api.alibabacloud.com/troubleshoot?q={code}"
    return {
        "RequestId": request_id(),
        "HostId": "sandbox.aliyuncs.com",
        "Code": code,
        "Message": message,
        "Recommend": recommend,
    }


def error_body(
    status: int, code: str, message: str, *, camel: bool = False, headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse(error_payload(code, message, camel=camel), status_code=status, headers=headers)


def error_reply(fault: Fault) -> tuple[int, dict[str, str], bytes]:
    """Throttling and server faults in Alibaba's envelope (``x-acs-retry-after`` is in milliseconds)."""
    headers = {"content-type": "application/json;charset=utf-8"}
    if fault.kind == "throttle":
        headers["x-acs-retry-after"] = str(max(1, int(fault.retry_after * 1000)))
        payload = error_payload("Throttling.User", "Request was denied due to user flow control.")
        status = 400
    else:
        payload = error_payload(
            "ServiceUnavailable", "The request has failed due to a temporary failure of the server."
        )
        status = 503
    return status, headers, json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


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


def reply(result: dict[str, Any] | Response, *, camel: bool = False) -> Response:
    if isinstance(result, Response):
        return result
    rid = {"requestId": request_id()} if camel else {"RequestId": request_id()}
    return JSONResponse({**rid, **result})


def _asgi(handle: Callable[[Request], Awaitable[Response]]) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await handle(request)
        except ApiError as e:
            response = error_body(e.status, e.code, e.message, camel=e.camel)
        await response(scope, receive, send)

    return app


def rpc_app(
    ctx: SandboxContext, family: str, version: str, handlers: dict[str, RpcHandler], paths: tuple[str, ...] = ("/",)
) -> ASGIApp:
    """An RPC product: ``POST /`` (or another of ``paths``), action from ``x-acs-action`` or ``Action``, params in the query."""
    verifier = Acs3Verifier(ctx)

    async def handle(request: Request) -> Response:
        denied = await verifier.verify(request, version)
        if denied is not None:
            return denied
        action = request.headers.get("x-acs-action") or request.query_params.get("Action", "")
        handler = handlers.get(action)
        if handler is None or request.url.path not in paths:
            return error_body(
                404, "InvalidApi.NotFound", f"Specified api {action!r} is not found, please check your url and method."
            )
        return reply(await handler(dict(request.query_params)))

    return with_faults(_asgi(handle), ctx, family, error_reply)


def match_path(template: str, raw_path: str) -> dict[str, str] | None:
    """Match a raw (still percent-encoded) path on ``{name}`` segments, so an encoded ``/`` stays inside its segment."""
    want = template.strip("/").split("/")
    got = raw_path.split("?", 1)[0].strip("/").split("/")
    if len(want) != len(got):
        return None
    found: dict[str, str] = {}
    for pattern, segment in zip(want, got):
        if pattern.startswith("{") and pattern.endswith("}"):
            found[pattern[1:-1]] = unquote(segment)
        elif pattern != segment:
            return None
    return found


def roa_app(
    ctx: SandboxContext, family: str, version: str, routes: list[tuple[str, str, RoaHandler]], *, camel: bool = True
) -> ASGIApp:
    """A ROA product: ``(method, path template, handler)`` routes, every request signature-checked first."""
    verifier = Acs3Verifier(ctx)

    async def handle(request: Request) -> Response:
        denied = await verifier.verify(request, version)
        if denied is not None:
            return denied
        raw = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
        for method, template, handler in routes:
            params = match_path(template, raw)
            if params is not None and method == request.method:
                return reply(await handler(request, params), camel=camel)
        return error_body(
            404, "InvalidApi.NotFound", "Specified api is not found, please check your url and method.", camel=camel
        )

    return with_faults(_asgi(handle), ctx, family, error_reply)
