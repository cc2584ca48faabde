"""The Alibaba Cloud reply conventions of the sandbox: request ids, the error envelope (PascalCase or camelCase)
and throttling and server faults in it."""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.responses import JSONResponse, Response

from ..core import Fault


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
    """Throttling and server faults in Alibaba's envelope (``x-acs-retry-after`` is in milliseconds); ``error_200``:
    the envelope inside HTTP 200, without a ``Success`` flag, as some gateways answer."""
    headers = {"content-type": "application/json;charset=utf-8"}
    if fault.kind == "error_200":
        payload = error_payload("InternalError", "The request processing has failed due to some unknown error.")
        status = 200
    elif fault.kind == "throttle":
        headers["x-acs-retry-after"] = str(max(1, int(fault.retry_after * 1000)))
        payload = error_payload("Throttling.User", "Request was denied due to user flow control.")
        status = 400
    else:
        payload = error_payload(
            "ServiceUnavailable", "The request has failed due to a temporary failure of the server."
        )
        status = 503
    return status, headers, json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def reply(result: dict[str, Any] | Response, *, camel: bool = False) -> Response:
    if isinstance(result, Response):
        return result
    rid = {"requestId": request_id()} if camel else {"RequestId": request_id()}
    return JSONResponse({**rid, **result})
