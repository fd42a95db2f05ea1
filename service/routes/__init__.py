"""API routes, one module per resource."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request, Response
from fastapi.routing import APIRoute

from service.auth import BEARER, require_dependency
from service.errors import ApiError


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


class JsonRoute(APIRoute):
    """A route that checks the caller's key before it reads the body (a body is never read for
    a caller who will be refused), whose query holds only its own parameters, each once, and
    whose JSON body must be UTF-8: anything else is a 422 naming the bad byte."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()
        authorise = require_dependency(self)
        known = frozenset(_query_names(self.dependant))

        async def checked(request: Request) -> Response:
            if authorise is not None:
                await authorise(request, await BEARER(request))
            _check_query(request, known)
            if request.method in ("POST", "PUT", "PATCH"):
                body = await request.body()
                try:
                    body.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise ApiError(
                        422,
                        "invalid_utf8",
                        f"the request body is not valid UTF-8 (byte {e.start}); "
                        "encode the JSON as UTF-8",
                    ) from None
            return await handler(request)

        return checked
