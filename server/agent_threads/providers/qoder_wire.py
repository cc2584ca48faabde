"""Qoder's wire format: lenient private models for pages, sessions, threads and events, the content helper
(a string or a list of blocks), and the error envelope mapped onto ``errors.py``."""

from __future__ import annotations

import json
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import (
    AuthError,
    ConflictError,
    NotFoundError,
    PermissionError_,
    ProviderAPIError,
    RateLimitError,
    ServerError,
    for_status,
)
from ..transcript import ArtifactPart


def path(*segments: str) -> str:
    """A relative URL from path segments, each percent-encoded (ids may hold anything)."""
    return "/".join(quote(s, safe="") for s in segments)


class _Wire(BaseModel):
    model_config = ConfigDict(extra="allow")


W = TypeVar("W", bound=_Wire)


class WirePage(_Wire):
    data: list[dict[str, Any]] = []
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool | None = None
    next_page: str | None = None


class WireSession(_Wire):
    id: str
    title: str | None = None
    status: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class WireThread(_Wire):
    id: str
    name: str | None = None
    agent: dict[str, Any] | None = None
    role: str | None = None
    status: str | None = None
    parent_thread_id: str | None = None
    stop_reason: Any = None
    created_at: str | None = None
    updated_at: str | None = None

    @property
    def label(self) -> str | None:
        return self.name or (self.agent or {}).get("name")


class WireEvent(_Wire):
    """Any event; fields whose shape varies between doc versions are typed loosely and read by helpers."""

    id: str | None = None
    type: str = ""
    processed_at: str | None = None
    created_at: str | None = None
    session_thread_id: str | None = None
    content: Any = None
    thinking: Any = None
    text: Any = None
    name: str | None = None
    tool_name: str | None = None
    input: Any = None
    tool_input: Any = None
    tool_use_id: str | None = None
    mcp_tool_use_id: str | None = None
    custom_tool_use_id: str | None = None
    mcp_server_name: str | None = None
    is_error: bool | None = None
    evaluated_permission: str | None = None
    result: Any = None
    deny_message: str | None = None
    from_session_thread_id: str | None = None
    to_session_thread_id: str | None = None
    from_agent_name: str | None = None
    to_agent_name: str | None = None
    agent_name: str | None = None
    error: Any = None
    code: str | None = None
    stop_reason: Any = None
    model_request_start_id: str | None = None
    model_usage: dict[str, Any] | None = None
    usage: dict[str, Any] | None = None
    total_credits: float | None = None
    model_credits: float | None = None
    sandbox_runtime_credits: float | None = None
    file_id: str | None = None
    original_filename: str | None = None
    size: int | None = None
    content_type: str | None = None
    title: str | None = None
    description: str | None = None
    rubric: Any = None
    outcome_id: str | None = None
    iteration: int | None = None
    explanation: str | None = None

    @property
    def when(self) -> str | None:
        return self.processed_at or self.created_at


class WireDelta(_Wire):
    """``event_start`` (``event``: id and type) or ``event_delta`` (``event_id``, ``delta.content``)."""

    type: str
    event: dict[str, Any] | None = None
    event_id: str | None = None
    delta: dict[str, Any] | None = None


class _ErrorBody(_Wire):
    type: str | None = None
    message: str | None = None


class _ErrorEnvelope(_Wire):
    request_id: str | None = None
    error: _ErrorBody | str | None = None


def content_text(value: Any) -> tuple[str, list[ArtifactPart]]:
    """Text of ``content`` given as a string, one block or a list of blocks; non-text blocks as artifacts."""
    if value is None:
        return "", []
    if isinstance(value, str):
        return value, []
    blocks = [value] if isinstance(value, dict) else value if isinstance(value, list) else [json.dumps(value)]
    texts: list[str] = []
    artifacts: list[ArtifactPart] = []
    for block in blocks:
        if isinstance(block, str):
            texts.append(block)
        elif isinstance(block, dict):
            said = block.get("text", block.get("thinking"))
            if isinstance(said, str):
                texts.append(said)
            else:
                artifacts.append(_artifact(block))
    return "\n".join(texts), artifacts


def _artifact(block: dict[str, Any]) -> ArtifactPart:
    source = block.get("source")
    src: dict[str, Any] = source if isinstance(source, dict) else {"url": source} if isinstance(source, str) else {}
    title = block.get("title")
    return ArtifactPart(
        name=str(block.get("type") or "block"),
        mime=src.get("media_type"),
        uri=src.get("url") or src.get("file_id"),
        text=title if isinstance(title, str) else None,
    )


# ---- errors ---------------------------------------------------------------------------------------------

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
    """Raise the errors.py class for a Qoder error reply; return for a success."""
    if response.status_code < 400:
        return
    kind, message, rid = _error_fields(response)
    cls = _KINDS.get(kind or "") or for_status(response.status_code)
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


def _error_fields(response: httpx.Response) -> tuple[str | None, str, str | None]:
    header_id = response.headers.get("x-request-id")
    try:
        body = _ErrorEnvelope.model_validate_json(response.content)
    except ValidationError:
        return None, response.text[:200].strip() or response.reason_phrase, header_id
    if isinstance(body.error, _ErrorBody):
        return body.error.type, body.error.message or response.reason_phrase, body.request_id or header_id
    return None, body.error or response.reason_phrase, body.request_id or header_id


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (an HTTP date is ignored)."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            return max(0.0, float(headers[name]) / scale)
        except (KeyError, ValueError):
            continue
    return None
