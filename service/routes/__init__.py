"""API routes, one module per resource."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request, Response
from fastapi.routing import APIRoute

from service.auth import BEARER, require_dependency
from service.errors import ApiError


class JsonRoute(APIRoute):
    """A route that checks the caller's key before it reads the body (a body is never read for
    a caller who will be refused), and whose JSON body must be UTF-8: anything else is a 422
    naming the bad byte."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()
        authorise = require_dependency(self)

        async def checked(request: Request) -> Response:
            if authorise is not None:
                await authorise(request, await BEARER(request))
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
