"""ASGI middleware around every request: the path prefix behind a reverse proxy, request id,
body size limit (on the declared length and on the stream itself), browser security headers,
metrics, one log line."""

from __future__ import annotations

import logging
import time
import uuid
from urllib.parse import unquote

from service.errors import ApiError, error_response
from service.metrics import LATENCY, REQUESTS

log = logging.getLogger("gravewatch.access")

# Sent with every response. The review page loads only its own files; the interactive docs
# (Swagger UI, ReDoc) load theirs from a CDN with inline scripts, so they get no CSP.
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
CONTENT_SECURITY_POLICY = (
    b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    b"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    b"frame-ancestors 'none'"
)
DOCS_URLS = {
    "openapi_url": "/openapi.json",
    "docs_url": "/docs",
    "swagger_ui_oauth2_redirect_url": "/docs/oauth2-redirect",
    "redoc_url": "/redoc",
}
"""Where FastAPI serves the schema and the docs (its defaults, written out: the app passes them
to FastAPI and lists them among its paths)."""
DOCS_PATHS = (DOCS_URLS["docs_url"], DOCS_URLS["redoc_url"])
"""The docs pages, which load their scripts from a CDN: no content security policy there."""


def _too_large(limit: int, size: str) -> str:
    return (
        f"the request body has {size} bytes; the limit is {limit} "
        "(GRAVEWATCH_MAX_REQUEST_BYTES): send fewer passages"
    )


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _route_path(scope) -> str:
    """The path the routes see: without the prefix the app is served under (``root_path``)."""
    path, prefix = scope["path"], scope.get("root_path", "")
    return path[len(prefix) :] if prefix and _under(path, prefix) else path


class RootPath:
    """Serves the app under ``prefix`` (``GRAVEWATCH_ROOT_PATH``) behind a reverse proxy, as
    ``uvicorn --root-path`` does: the docs, the schema's server URL, redirects and the review
    page's links carry the prefix. The proxy may strip the prefix or pass it on."""

    def __init__(self, app, prefix: str) -> None:
        self.app = app
        self.prefix = unquote(prefix)  # a request's path, and so root_path, arrive decoded
        self.raw_prefix = prefix.encode("ascii")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = dict(scope, root_path=self.prefix)
            path = scope["path"]
            if not _under(path, self.prefix):  # the proxy stripped it
                scope["path"] = self.prefix + path
                if scope.get("raw_path") is not None:
                    scope["raw_path"] = self.raw_prefix + scope["raw_path"]
        await self.app(scope, receive, send)


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
        extra_headers = [(b"x-request-id", request_id.encode("latin-1")), *SECURITY_HEADERS]
        if not _route_path(scope).startswith(DOCS_PATHS):
            extra_headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY))

        length = headers.get(b"content-length")
        body_pending = length not in (None, b"0") or b"transfer-encoding" in headers
        received = 0

        async def send_with_id(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), *extra_headers]
                if body_pending:
                    # Answered before the body was read (refused: too large, no key): close the
                    # connection rather than read the rest of the body to reuse it.
                    message["headers"].append((b"connection", b"close"))
            await send(message)

        async def receive_within_limit():
            """The body as it arrives; 413 as soon as it passes the limit, whatever the
            declared length (chunked uploads declare none)."""
            nonlocal received, body_pending
            message = await receive()
            if message["type"] == "http.request":
                body_pending = message.get("more_body", False)
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise ApiError(
                        413,
                        "request_too_large",
                        _too_large(self.max_body_bytes, f"more than {self.max_body_bytes}"),
                    )
            return message

        try:
            if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
                response = error_response(
                    413, "request_too_large", _too_large(self.max_body_bytes, length.decode())
                )
                await response(scope, receive, send_with_id)
            else:
                await self.app(scope, receive_within_limit, send_with_id)
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
