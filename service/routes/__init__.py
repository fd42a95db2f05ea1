"""API routes, one module per resource."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from service.auth import BEARER, require_dependency
from service.errors import ApiError
from service.routes.responses import responses as error_responses


def _query_names(dependant):
    """The query parameters a route and its dependencies declare."""
    yield from (p.alias for p in dependant.query_params)
    for sub in dependant.dependencies:
        yield from _query_names(sub)


def _check_query(request: Request, known: frozenset[str]) -> None:
    """Only the route's own query parameters, each once (a repeated one is ambiguous)."""
    for name in request.query_params:
        if name not in known:
            takes = ", ".join(sorted(known)) or "none"
            raise ApiError(
                422,
                "invalid_request",
                f"query: unknown parameter {name!r} (this endpoint takes: {takes})",
            )
        if len(request.query_params.getlist(name)) > 1:
            raise ApiError(422, "invalid_request", f"query.{name}: give {name} once")


def _check_json(request: Request, body: bytes) -> None:
    """A body is JSON in UTF-8, sent as such (FastAPI reads no other body as JSON)."""
    content_type = request.headers.get("content-type")
    media = (content_type or "").split(";")[0].strip().lower()
    if body and not (
        media == "application/json" or media.startswith("application/") and media.endswith("+json")
    ):
        raise ApiError(
            415,
            "unsupported_media_type",
            f"the request body was sent as {media or 'no Content-Type'}; send JSON with "
            "'Content-Type: application/json'",
        )
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ApiError(
            422,
            "invalid_utf8",
            f"the request body is not valid UTF-8 (byte {e.start}); encode the JSON as UTF-8",
        ) from None


class JsonRoute(APIRoute):
    """A route that checks the caller's key before it reads the body (a body is never read for
    a caller who will be refused), whose query holds only its own parameters, each once, and
    whose body must be JSON sent as such (415 otherwise) in UTF-8 (422 naming the bad byte)."""

    def __init__(self, path: str, endpoint: Callable, **kwargs) -> None:
        if {"POST", "PUT", "PATCH"} & set(kwargs.get("methods") or ()):
            kwargs["responses"] = {**error_responses(415), **(kwargs.get("responses") or {})}
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()
        authorise = require_dependency(self)
        known = frozenset(_query_names(self.dependant))

        async def checked(request: Request) -> Response:
            if authorise is not None:
                await authorise(request, await BEARER(request))
            _check_query(request, known)
            if request.method in ("POST", "PUT", "PATCH"):
                _check_json(request, await request.body())
            try:
                return await handler(request)
            except HTTPException as e:
                if e.status_code != 400 or e.__cause__ is None:
                    raise
                # FastAPI's answer to JSON that Python's parser gives up on (RecursionError,
                # an integer of more than 4,300 digits).
                raise ApiError(
                    422,
                    "invalid_json",
                    "the request body is not JSON the server can read (nested too deeply or "
                    "a number too long); send a JSON object",
                ) from None

        return checked
