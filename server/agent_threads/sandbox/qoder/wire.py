"""The Qoder sandbox's HTTP conventions: the error envelope, request ids, limit and cursor parameters
(``page`` | ``after_id`` | ``before_id``, mutually exclusive), opaque page tokens and the list envelope."""

from __future__ import annotations

import base64
import binascii
import itertools
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from .state import Event, select

_request_ids = itertools.count(1)


class Reject(Exception):
    """An error reply in Qoder's envelope."""

    def __init__(self, status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.headers = status, kind, message, headers or {}


def envelope(kind: str, message: str, request_id: str) -> dict[str, Any]:
    return {"type": "error", "request_id": request_id, "error": {"type": kind, "message": message}}


def request_id(request: Request) -> str:
    return request.headers.get("x-request-id") or f"req_{next(_request_ids):012x}"


def reply(request: Request, body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status, headers={"x-request-id": request_id(request)})


@dataclass(frozen=True)
class Paging:
    limit: int
    order: str
    after: str | None
    before: str | None
    via_page: bool


def paging(request: Request, mode: str, default_order: str) -> Paging:
    q = request.query_params
    raw = q.get("limit", "20")
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise Reject(400, "invalid_request_error", f"limit must be an integer between 1 and 100, got {raw!r}.")
    given = [k for k in ("page", "after_id", "before_id") if q.get(k)]
    if len(given) > 1:
        raise Reject(
            400, "invalid_request_error", f"Only one of page, after_id, before_id may be given; got {', '.join(given)}."
        )
    if q.get("page") and mode == "forward":
        raise Reject(400, "invalid_request_error", "Unknown parameter 'page'; use after_id or before_id.")
    order = q.get("order", default_order)
    if order not in ("asc", "desc"):
        raise Reject(400, "invalid_request_error", f"order must be 'asc' or 'desc', got {order!r}.")
    after, before = q.get("after_id"), q.get("before_id")
    if q.get("page"):
        after, before = _read_token(q["page"])
    return Paging(int(raw), order, after, before, bool(q.get("page")))


def _token(direction: str, eid: str) -> str:
    return "pg_" + base64.urlsafe_b64encode(f"{direction}:{eid}".encode()).decode().rstrip("=")


def _read_token(token: str) -> tuple[str | None, str | None]:
    try:
        raw = base64.urlsafe_b64decode(token.removeprefix("pg_") + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError) as e:
        raise Reject(400, "invalid_request_error", "Invalid page token.") from e
    direction, _, eid = raw.partition(":")
    if direction not in ("a", "b") or not eid or not token.startswith("pg_"):
        raise Reject(400, "invalid_request_error", "Invalid page token.")
    return (eid, None) if direction == "a" else (None, eid)


def page_body(items: list[Event], more: bool, p: Paging, with_next: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "data": items,
        "first_id": items[0]["id"] if items else None,
        "last_id": items[-1]["id"] if items else None,
        "has_more": more,
    }
    if with_next:
        body["next_page"] = None
        if more and items:
            body["next_page"] = _token("b", items[0]["id"]) if p.before else _token("a", items[-1]["id"])
    return body


def list_reply(request: Request, mode: str, items: list[Event], default_order: str) -> JSONResponse:
    p = paging(request, mode, default_order)
    index = {str(item["id"]): i for i, item in enumerate(items)}

    def locate(key: str) -> tuple[int, int]:
        if key not in index:
            raise Reject(400, "invalid_request_error", f"Cursor '{key}' does not match any item of this list.")
        return index[key], index[key] + 1

    picked, more = select(
        len(items), locate, order=p.order, after=p.after, before=p.before, limit=p.limit, keep=lambda i: True
    )
    return reply(request, page_body([items[i] for i in picked], more, p, mode == "managed"))
