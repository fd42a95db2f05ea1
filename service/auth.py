"""API keys: ``Authorization: Bearer <key>``, with roles reader < ingest < reviewer < admin.

Every rule about who may do what lives here: ``require`` makes a route's dependency for a role
(documented in the OpenAPI schema as the route's ``x-required-role`` and the HTTPBearer security
scheme), and ``check_role`` applies the same rule to a caller inside a route (storing passages
needs ingest)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service.deps import get_store
from service.errors import ApiError
from service.store.repository import ROLES, authenticate

OPEN = "open"  # classify: no key needed unless GRAVEWATCH_REQUIRE_API_KEY is set
ROLE_DOCS = {OPEN: "none (reader with GRAVEWATCH_REQUIRE_API_KEY; ingest to store)"}
BEARER = HTTPBearer(
    auto_error=False,
    description="An API key (`gravewatch keys create --role ...`). Roles: reader < ingest < "
    "reviewer < admin; each route's description names the role it needs.",
)


@dataclass(frozen=True)
class Caller:
    name: str
    role: str | None  # None: no key was sent (only open routes admit that)


ANONYMOUS = Caller(name="anonymous", role=None)


def unauthorised(code: str, message: str, challenge: str = "Bearer") -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": challenge})


def check_role(caller: Caller, role: str, doing: str) -> None:
    """401 when no key was sent, 403 when the key's role is below ``role``."""
    if caller.role is None:
        raise unauthorised(
            "missing_api_key",
            f"{doing} needs an API key with role {role} or higher: send "
            "'Authorization: Bearer <key>' (create one with `gravewatch keys create`)",
        )
    if ROLES.index(caller.role) < ROLES.index(role):
        raise ApiError(
            403,
            "forbidden",
            f"the key {caller.name!r} has role {caller.role}; {doing} needs {role}",
        )


async def _identify(request: Request, key: str | None) -> Caller:
    if key is None:
        return ANONYMOUS
    store = await get_store(request)

    def lookup():
        with store.sessions() as session:
            return authenticate(session, key)

    row = await asyncio.to_thread(lookup)
    if row is None:
        raise unauthorised(
            "invalid_api_key", "the API key is unknown or revoked", 'Bearer error="invalid_token"'
        )
    return Caller(name=row.name, role=row.role)


def require(role: str):
    """A dependency that admits callers whose key has ``role`` or a higher one (``OPEN``: any
    caller, unless the settings require a key). Routes of the ``JsonRoute`` class run it before
    reading the body; its answer is kept for the request."""

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
    ) -> Caller:
        if getattr(request.state, "caller", None) is None:
            key = credentials.credentials.strip() if credentials else None
            caller = await _identify(request, key or None)
            needed = role
            if role == OPEN:
                needed = "reader" if request.app.state.settings.require_api_key else None
            if needed is not None:
                check_role(caller, needed, "this endpoint")
            request.state.caller = caller
        return request.state.caller

    dependency.role = role
    return dependency


Open = Annotated[Caller, Depends(require(OPEN))]
Reader = Annotated[Caller, Depends(require("reader"))]
Reviewer = Annotated[Caller, Depends(require("reviewer"))]
Admin = Annotated[Caller, Depends(require("admin"))]


def require_dependency(route):
    """A route's ``require`` dependency (whose ``role`` names what it asks for), or None."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        if hasattr(dependant.call, "role"):
            return dependant.call
        pending.extend(dependant.dependencies)
    return None


def role_of(route) -> str | None:
    """How the OpenAPI schema names the role a route needs; None for a route without a key."""
    dependency = require_dependency(route)
    if dependency is None:
        return None
    return ROLE_DOCS.get(dependency.role, dependency.role)
