"""DataAgent's error envelope onto ``errors.py``.

Every reply is HTTP 200 with ``{"Response": {...}}``; an error is ``Response.Error {Code, Message}`` with the
``RequestId`` beside it, whatever the content type, and possibly as the first frame of an event stream.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from ...errors import (
    AuthError,
    ConflictError,
    NotFoundError,
    PermissionError_,
    ProtocolError,
    ProviderAPIError,
    RateLimitError,
    ServerError,
    for_status,
)
from ...http import Checker

UNSUPPORTED = {
    "InvalidAction",
    "ActionOffline",
    "UnsupportedOperation",
    "ResourceNotFound.Action",
    "InvalidParameter.Action",
}
_AUTH_HINTS = {
    "AuthFailure.SignatureExpire": "The request time differs from Tencent Cloud's by more than 5 minutes: fix this "
    "machine's clock (NTP) and retry.",
    "AuthFailure.SignatureFailure": "The signature did not verify for SecretId {sid}: check that "
    "TENCENTCLOUD_SECRET_KEY belongs to that SecretId.",
    "AuthFailure.SecretIdNotFound": "Tencent Cloud does not know SecretId {sid}: check TENCENTCLOUD_SECRET_ID "
    "(or the ~/.tencentcloud/credentials profile); a deleted or disabled key also answers this.",
    "AuthFailure.InvalidSecretId": "SecretId {sid} is not a valid API key id: check TENCENTCLOUD_SECRET_ID.",
    "AuthFailure.TokenFailure": "The STS token sent with SecretId {sid} is invalid or expired: refresh "
    "TENCENTCLOUD_SECURITY_TOKEN together with the temporary key.",
}


def masked_id(secret_id: str) -> str:
    return f"{secret_id[:4]}…{secret_id[-4:]}" if len(secret_id) > 10 else "***"


def _error_class(code: str) -> type[ProviderAPIError]:
    prefixes: list[tuple[tuple[str, ...], type[ProviderAPIError]]] = [
        (("AuthFailure.UnauthorizedOperation", "UnauthorizedOperation", "AuthFailure.MFAFailure"), PermissionError_),
        (("AuthFailure",), AuthError),
        (("ResourceNotFound",), NotFoundError),
        (("RequestLimitExceeded",), RateLimitError),
        (("InternalError", "ResourceUnavailable", "ServiceUnavailable"), ServerError),
        (("ResourceInUse",), ConflictError),
    ]
    return next((cls for starts, cls in prefixes if code.startswith(starts)), ProviderAPIError)


def api_error(error: dict[str, Any], request_id: str | None, provider: str, secret_id: str) -> ProviderAPIError:
    """The project error for ``Response.Error``; never carries the SecretKey, and the SecretId only masked."""
    code = str(error.get("Code") or "UnknownError")
    cls = _error_class(code)
    hint = _AUTH_HINTS.get(code, "").format(sid=masked_id(secret_id))
    if cls is AuthError and not hint:
        hint = f"Check the credentials of SecretId {masked_id(secret_id)} (list_providers shows where they come from)."
    retry_after = 1.0 if cls is RateLimitError else None
    message = str(error.get("Message") or code)
    return cls(message, provider=provider, code=code, request_id=request_id, retry_after=retry_after, hint=hint)


def is_unsupported(error: ProviderAPIError) -> bool:
    """The action itself is offline or unknown here (so the other read action may work)."""
    return (error.code or "") in UNSUPPORTED


def raise_for_envelope(payload: Any, provider: str, secret_id: str, request_id: str | None = None) -> dict[str, Any]:
    """``payload["Response"]``, or the mapped error when it holds ``Error``. Raises ProtocolError otherwise."""
    body = payload.get("Response") if isinstance(payload, dict) else None
    if not isinstance(body, dict):
        raise ProtocolError("the reply has no Response object", provider=provider, request_id=request_id)
    error = body.get("Error")
    if isinstance(error, dict):
        raise api_error(error, body.get("RequestId") or request_id, provider, secret_id)
    return body


def _status_error(response: httpx.Response, provider: str, request_id: str | None) -> ProviderAPIError:
    text = response.text[:200] or response.reason_phrase
    return for_status(response.status_code)(text, provider=provider, status=response.status_code, request_id=request_id)


def response_body(response: httpx.Response, provider: str, secret_id: str) -> dict[str, Any]:
    """The ``Response`` object of a read reply. Raises the mapped error for an envelope error or a bad status."""
    request_id = response.headers.get("x-tc-requestid")
    try:
        payload = json.loads(response.content)
    except ValueError as e:
        if response.is_error:
            raise _status_error(response, provider, request_id) from e
        kind = response.headers.get("content-type", "no content type")
        raise ProtocolError(f"the reply is not JSON ({kind})", provider=provider, request_id=request_id) from e
    if response.is_error and not (isinstance(payload, dict) and "Response" in payload):
        raise _status_error(response, provider, request_id)
    return raise_for_envelope(payload, provider, secret_id, request_id)


def checker(provider: str, secret_id: str) -> Checker:
    """The ``check`` of the DataAgent channel: every reply is read for ``Response.Error``, whatever its content type."""

    def check(response: httpx.Response) -> None:
        response_body(response, provider, secret_id)

    return check
