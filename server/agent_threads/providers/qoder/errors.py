"""Qoder's error envelope (``{"error": {"type", "message"}, "request_id"}``) onto ``errors.py``, for replies and
for the ``event: error`` frames of a stream."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from ...errors import (
    AuthError,
    ConflictError,
    NotFoundError,
    PermissionError_,
    ProviderAPIError,
    RateLimitError,
    ServerError,
    for_status,
)
from .wire import ErrorBody, ErrorEnvelope

_KINDS: dict[str, type[ProviderAPIError]] = {
    "authentication_error": AuthError,
    "permission_error": PermissionError_,
    "not_found_error": NotFoundError,
    "conflict_error": ConflictError,
    "rate_limit_error": RateLimitError,
    "api_error": ServerError,
    "overloaded_error": ServerError,
}
_HINTS: dict[type[ProviderAPIError], str] = {
    AuthError: "Check QODER_PAT (a Qoder personal access or service-account token; x-api-key is not accepted) "
    "and that QODER_BASE_URL is the token's region (api.qoder.com or api.qoder.com.cn).",
    NotFoundError: "list_threads(provider='qoder') lists sessions; "
    "list_threads(parent='qoder:<session>') lists a session's threads.",
}


def check_reply(response: httpx.Response, *, provider: str, ref: str | None = None) -> None:
    """Raise the errors.py class for a Qoder error reply, also an error envelope inside a success status; return
    for a success."""
    if response.status_code < 400 and not _enveloped(response):
        return
    kind, message, rid = _error_fields(response)
    cls = _KINDS.get(kind or "") or (for_status(response.status_code) if response.is_error else ProviderAPIError)
    if cls is NotFoundError and ref:
        message = f"{ref} was not found ({message.rstrip('.')})"
    elif cls is ConflictError and ref:
        message = f"{ref} is busy: {message}"
    raise cls(
        message.rstrip(".") or f"HTTP {response.status_code}",
        provider=provider,
        status=response.status_code,
        code=kind,
        request_id=rid,
        retry_after=retry_after(response.headers),
        hint=_HINTS.get(cls, ""),
    )


def in_band_error(payload: dict[str, Any], *, provider: str) -> ProviderAPIError:
    """The error an ``event: error`` frame of a stream reports."""
    body = payload.get("error")
    kind = body.get("type") if isinstance(body, dict) else None
    message = body.get("message") if isinstance(body, dict) else body
    cls = _KINDS.get(str(kind), ProviderAPIError)
    rid = payload.get("request_id")
    return cls(
        str(message or "the stream reported an error"),
        provider=provider,
        code=kind,
        request_id=rid if isinstance(rid, str) else None,
    )


def _enveloped(response: httpx.Response) -> bool:
    """A JSON reply whose top level is Qoder's error envelope (an ``error`` member; no success body has one)."""
    if "json" not in response.headers.get("content-type", "") or b'"error"' not in response.content:
        return False
    try:
        return _Top.model_validate_json(response.content).error is not None
    except ValidationError:  # not an object: the provider's own parse reports it
        return False


class _Top(BaseModel):
    """Only the top-level ``error`` member: the rest of a page is not built twice."""

    model_config = ConfigDict(extra="ignore")
    error: Any = None


def _error_fields(response: httpx.Response) -> tuple[str | None, str, str | None]:
    header_id = response.headers.get("x-request-id")
    try:
        body = ErrorEnvelope.model_validate_json(response.content)
    except ValidationError:
        return None, response.text[:200].strip() or response.reason_phrase, header_id
    if isinstance(body.error, ErrorBody):
        return body.error.type, body.error.message or response.reason_phrase, body.request_id or header_id
    return None, body.error or response.reason_phrase, body.request_id or header_id


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (an HTTP date is ignored)."""
    found = (_seconds(headers.get(name), scale) for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)))
    return next((s for s in found if s is not None), None)


def _seconds(raw: str | None, scale: float) -> float | None:
    try:
        return max(0.0, float(raw) / scale) if raw is not None else None
    except ValueError:
        return None
