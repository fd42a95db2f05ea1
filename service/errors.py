"""API errors: the HTTP status of each kind of Gravewatch error, one error the API raises
itself (``ApiError``, for what only HTTP has: keys, limits, bodies), and the handlers that turn
every failure into JSON.

Every error body is ``{"error": {"code": "...", "message": "..."}}``; the message says what to fix.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from training.errors import Conflict, GravewatchError, InvalidInput, NotFound, Unavailable
from training.schemas import field_path

log = logging.getLogger("gravewatch.api")


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable error code, e.g. `text_too_long`.")
    message: str = Field(description="What went wrong and what to change.")


class ErrorResponse(BaseModel):
    """Body of every 4xx and 5xx response."""

    error: ErrorDetail = Field(description="What went wrong.")


class ApiError(GravewatchError):
    """A request the API refuses for a reason only HTTP has (a key, a limit, a body); carries
    its status. Everything else raises a Gravewatch error, whose kind gives the status."""

    def __init__(self, status: int, code: str, message: str, headers=None) -> None:
        super().__init__(message, code)
        self.status = status
        self.headers = headers


STATUS_OF_KIND = {InvalidInput: 422, NotFound: 404, Conflict: 409, Unavailable: 503}


def status_of(exc: GravewatchError) -> int:
    """The HTTP status for a Gravewatch error: its own for an ApiError, else its kind's."""
    if isinstance(exc, ApiError):
        return exc.status
    for kind, status in STATUS_OF_KIND.items():
        if isinstance(exc, kind):
            return status
    return 500


def error_response(status: int, code: str, message: str, headers=None) -> JSONResponse:
    body = ErrorResponse(error=ErrorDetail(code=code, message=message))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _where(loc: tuple) -> str:
    """Where a problem is, written as the API's own messages write it: ``items[1].text``,
    ``query.limit``, ``evidence[0].start``."""
    parts = list(loc[1:] if loc[:1] == ("body",) and len(loc) > 1 else loc)
    if parts and isinstance(parts[0], int):
        parts.insert(0, "body")  # an element of a body that is a list
    return field_path(parts) or "body"


def _validation_message(exc: RequestValidationError) -> tuple[str, str]:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        first = next(e for e in errors if e.get("type") == "json_invalid")
        detail = first.get("ctx", {}).get("error", "")
        return "invalid_json", f"the request body is not valid JSON ({detail}); send a JSON object"
    problems = []
    for e in errors[:5]:
        where = _where(tuple(e.get("loc", ())))
        if e.get("type") == "missing":
            problems.append(f"{where}: field required")
        else:
            problems.append(f"{where}: {e.get('msg', 'invalid value')}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "invalid_request", "; ".join(problems) + more


STATUS_CODES = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}


def install_error_handlers(app: FastAPI, retry_after: int = 1) -> None:
    """Every failure as the JSON error body; every 503 with ``Retry-After: retry_after``
    (seconds), so that a load balancer or client knows when to try again."""

    def respond(status: int, code: str, message: str, headers=None) -> JSONResponse:
        if status == 503:
            headers = {**(headers or {}), "Retry-After": str(retry_after)}
        return error_response(status, code, message, headers=headers)

    @app.exception_handler(GravewatchError)
    async def _gravewatch_error(request: Request, exc: GravewatchError) -> JSONResponse:
        headers = exc.headers if isinstance(exc, ApiError) else None
        return respond(status_of(exc), exc.code, exc.message, headers=headers)

    @app.exception_handler(SQLAlchemyError)
    async def _store_failed(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        # The engine hides statement parameters (passage texts); the driver's message is kept.
        log.error(
            "review store error on %s %s",
            request.method,
            request.scope.get("route").path if request.scope.get("route") else "unmatched",
            extra={"error": type(exc).__name__, "detail": str(getattr(exc, "orig", exc))},
        )
        return respond(
            503,
            "store_unavailable",
            f"the review store failed ({type(exc).__name__}); the operator has the details in "
            "the log",
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        code, message = _validation_message(exc)
        return respond(422, code, message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = STATUS_CODES.get(exc.status_code, "http_error")
        docs = f"{request.scope.get('root_path', '')}/docs"  # under the proxy's prefix, if any
        if exc.status_code == 404:
            message = f"no such endpoint: {request.method} {request.url.path}; see {docs}"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}; see {docs}"
        else:
            message = str(exc.detail)
        return respond(exc.status_code, code, message, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The route template, not the path: a path can carry an id.
        route = request.scope.get("route")
        log.exception(
            "unhandled error on %s %s", request.method, getattr(route, "path", "unmatched")
        )
        return respond(
            500, "internal_error", "the server failed on this request; it has been logged"
        )
