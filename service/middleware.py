"""ASGI middleware around every request: request id, body size limit, metrics, one log line."""

from __future__ import annotations

import logging
import time
import uuid

from service.errors import error_response
from service.metrics import LATENCY, REQUESTS

log = logging.getLogger("gravewatch.access")


class RequestObserver:
    """Times each request, counts it by route template and logs it (never its body)."""

    def __init__(self, app, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex
        status = 500

        async def send_with_id(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode("latin-1")),
                ]
            await send(message)

        length = headers.get(b"content-length")
        try:
            if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
                response = error_response(
                    413,
                    "request_too_large",
                    f"the request body has {int(length)} bytes; the limit is "
                    f"{self.max_body_bytes} (GRAVEWATCH_MAX_REQUEST_BYTES): send fewer passages",
                )
                await response(scope, receive, send_with_id)
            else:
                await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            REQUESTS.labels(route=template, method=method, status=str(status)).inc()
            LATENCY.labels(route=template, method=method).observe(elapsed)
            log.info(
                "request",
                extra={
                    "event": "request",
                    "request_id": request_id,
                    "method": method,
                    "path": scope["path"],
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "client": (scope.get("client") or ("", 0))[0],
                    **scope.get("state", {}).get("log_extra", {}),
                },
            )
