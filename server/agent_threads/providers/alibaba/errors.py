"""Alibaba Cloud error replies onto ``errors.py``, with hints that name the key, the clock or the RAM action.

Errors come as ``{"Code","Message","RequestId"}`` (RPC, gateway) or ``{"code","message","requestId"}`` (ROA
products), and DMS also reports them inside HTTP 200 with ``Success: false``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from ... import http
from ...errors import (
    AuthError,
    NotFoundError,
    PermissionError_,
    ProviderAPIError,
    RateLimitError,
    ServerError,
    for_status,
)

_CREDENTIAL = re.compile(r"Credential=([^,\s]+)")
_AUTH_CODES = {
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "InvalidAccessKeyId",
    "InvalidAccessKeyId.NotFound",
    "InvalidAccessKeyId.Inactive",
    "InvalidSecurityToken.Expired",
    "InvalidSecurityToken.Malformed",
    "InvalidSecurityToken.MismatchWithAccessKey",
    "InvalidTimeStamp.Expired",
    "InvalidTimeStamp.Format",
    "SignatureNonceUsed",
}


def _pick(body: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = body.get(name)
        if value not in (None, ""):
            return str(value)
    return None


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


class _Envelope(BaseModel):
    """Only the top-level flag, code and message: validating into it skips building the page (a full parse is ~2x
    dearer)."""

    model_config = ConfigDict(extra="ignore")
    Success: Any = None
    success: Any = None
    Code: Any = None
    code: Any = None
    ErrorCode: Any = None
    Message: Any = None
    message: Any = None
    ErrorMessage: Any = None


_SUCCESS_CODES = frozenset({"", "200", "0", "OK", "SUCCESS"})


def _envelope(response: httpx.Response) -> dict[str, Any]:
    if b'uccess"' not in response.content and b'ode"' not in response.content:  # neither key: nothing to parse
        return {}
    try:
        return _Envelope.model_validate_json(response.content).model_dump(exclude_none=True)
    except ValidationError:  # not a JSON object: the provider's own parse reports it
        return {}


def _failed_in_band(body: dict[str, Any]) -> bool:
    """``Success: false``, or an error code and message with no ``Success`` flag at all: an error inside HTTP 200."""
    success = body.get("Success", body.get("success"))
    if success is not None:
        return success is False or (isinstance(success, str) and success.lower() == "false")
    code = _pick(body, "Code", "code", "ErrorCode")
    return code is not None and code.upper() not in _SUCCESS_CODES and _pick(body, *_MESSAGES) is not None


_MESSAGES = ("Message", "message", "ErrorMessage")


def checker(provider_id: str) -> http.Checker:
    """Raises the mapped ``ProviderAPIError`` for an Alibaba error reply, also one inside HTTP 200 (``Success:
    false``, or an error code and message without a ``Success`` flag)."""

    def check(response: httpx.Response) -> None:
        if response.is_success:
            if "json" not in response.headers.get("content-type", "") or not _failed_in_band(_envelope(response)):
                return
            body = _json_object(response)
        else:
            body = _json_object(response)
        raise api_error(provider_id, response, body)

    return check


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds from ``x-acs-retry-after`` (the SDK sleeps that many milliseconds); None when absent or invalid."""
    raw = headers.get("x-acs-retry-after", "")
    try:
        millis = int(raw)
    except ValueError:
        return None
    return millis / 1000 if millis > 0 else None


def api_error(provider_id: str, response: httpx.Response, body: dict[str, Any]) -> ProviderAPIError:
    """The error for one Alibaba error body (either casing) on the given response."""
    status = response.status_code if response.is_error else None
    return body_error(provider_id, body, status=status, request=_request_of(response), headers=response.headers)


def body_error(
    provider_id: str,
    body: dict[str, Any],
    *,
    status: int | None = None,
    request: httpx.Request | None = None,
    headers: httpx.Headers | None = None,
) -> ProviderAPIError:
    """The error for an Alibaba error body, also one met inside an event stream (no status of its own)."""
    headers = headers or httpx.Headers()
    code = _pick(body, "Code", "code", "ErrorCode", "errorCode")
    message = _pick(body, "Message", "message", "ErrorMessage", "errorMessage") or (
        f"HTTP {status}" if status else "request failed"
    )
    kind, hint = _classify(provider_id, code or "", status or 0, request, body)
    return kind(
        message.rstrip("."),
        provider=provider_id,
        status=status,
        code=code,
        request_id=_pick(body, "RequestId", "requestId") or headers.get("x-acs-request-id"),
        retry_after=retry_after(headers) if kind is RateLimitError else None,
        hint=hint,
    )


def _classify(
    provider_id: str, code: str, status: int, request: httpx.Request | None, body: dict[str, Any]
) -> tuple[type[ProviderAPIError], str]:
    if code.startswith("Throttling") or status == 429:
        return RateLimitError, ""
    if code in _AUTH_CODES or code.startswith(("InvalidAccessKeyId", "InvalidSecurityToken")):
        return AuthError, _auth_hint(code, request)
    if code.startswith(("Forbidden", "NoPermission")) or "AccessDenied" in code:
        return PermissionError_, _permission_hint(provider_id, request, body)
    if status == 404 or code.endswith("NotFound"):
        return NotFoundError, ""
    if status >= 500:
        return ServerError, ""
    return (for_status(status) if status else ProviderAPIError), ""


def _request_of(response: httpx.Response) -> httpx.Request | None:
    try:
        return response.request
    except RuntimeError:  # a Response built by hand has no request
        return None


def key_id_of(request: httpx.Request) -> str | None:
    """The access key id a request was signed with (from its Authorization header); never the secret."""
    match = _CREDENTIAL.search(request.headers.get("authorization", ""))
    return match.group(1) if match else None


def _auth_hint(code: str, request: httpx.Request | None) -> str:
    key = key_id_of(request) if request else None
    # shortened: enough to tell keys apart, and the tool layer masks full credential values anyway
    which = f"access key id {key[:4]}…{key[-4:]}" if key and len(key) > 12 else "the configured access key"
    if code.startswith("InvalidTimeStamp") or code == "SignatureNonceUsed":
        return (
            "The request time was rejected: check this machine's clock (it must be within 15 minutes of UTC); "
            f"signed with {which}."
        )
    if code.startswith("InvalidAccessKeyId"):
        return (
            f"Alibaba Cloud does not know {which}: check ALIBABA_CLOUD_ACCESS_KEY_ID (or the profile) "
            "and that the key is enabled."
        )
    if code.startswith("InvalidSecurityToken"):
        return f"The STS token used with {which} is expired or invalid: refresh ALIBABA_CLOUD_SECURITY_TOKEN."
    return (
        f"The signature made with {which} did not match: check that ALIBABA_CLOUD_ACCESS_KEY_SECRET belongs to "
        "that key, and that this machine's clock is right."
    )


def _permission_hint(provider_id: str, request: httpx.Request | None, body: dict[str, Any]) -> str:
    """Names the RAM action: the vendor's AccessDeniedDetail, else ``<product>:<x-acs-action>`` of the request."""
    detail = body.get("AccessDeniedDetail") or body.get("accessDeniedDetail")
    action = _pick(detail, "AuthAction", "authAction") if isinstance(detail, dict) else None
    called = request.headers.get("x-acs-action") if request else None
    if not action and called:
        action = f"{provider_id.split('.', 1)[0]}:{called}"  # the RAM prefix is the family name for all four
    if action:
        return (
            f"The credentials lack the RAM permission {action}; grant it to the RAM user or role, "
            "or use another account."
        )
    return "The credentials are valid but lack RAM permission for this action; grant it or use another account."
