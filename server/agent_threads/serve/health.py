"""``/healthz`` (the process answers) and ``/readyz`` (its checks pass): no token needed, so they say nothing
about the configuration, only which kind of check failed."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from ..readiness import Readiness

PATHS = ("/healthz", "/readyz")


async def answer(path: str, method: str, readiness: Readiness) -> Response:
    if method not in ("GET", "HEAD"):
        return JSONResponse({"error": "method_not_allowed"}, status_code=405, headers={"Allow": "GET, HEAD"})
    if path == "/healthz":
        return JSONResponse({"status": "ok"})
    failing = await readiness.failing()
    if failing:
        return JSONResponse({"status": "not ready", "failing": failing}, status_code=503)
    return JSONResponse({"status": "ready"})
