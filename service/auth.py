"""API keys: ``Authorization: Bearer <key>``, with roles reader < reviewer < admin."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from service.deps import get_store
from service.errors import ApiError
from service.store.repository import ROLES, authenticate


@dataclass(frozen=True)
class Caller:
    name: str
    role: str


ANONYMOUS = Caller(name="anonymous", role="reader")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    return key.strip() if scheme.lower() == "bearer" and key.strip() else None


def require(role: str):
    """A dependency that admits callers whose key has ``role`` or a higher one."""

    async def dependency(request: Request) -> Caller:
        settings = request.app.state.settings
        key = _bearer(request)
        if key is None:
            if role == "reader" and not settings.require_api_key:
                return ANONYMOUS
            raise ApiError(
                401,
                "missing_api_key",
                "this endpoint needs an API key: send 'Authorization: Bearer <key>' "
                "(create one with `gravewatch keys create`)",
            )
        store = await get_store(request)

        def lookup():
            with store.sessions() as session:
                return authenticate(session, key)

        row = await asyncio.to_thread(lookup)
        if row is None:
            raise ApiError(401, "invalid_api_key", "the API key is unknown or revoked")
        if ROLES.index(row.role) < ROLES.index(role):
            raise ApiError(
                403,
                "forbidden",
                f"the key {row.name!r} has role {row.role}; this endpoint needs {role}",
            )
        return Caller(name=row.name, role=row.role)

    return dependency


Reader = Annotated[Caller, Depends(require("reader"))]
Reviewer = Annotated[Caller, Depends(require("reviewer"))]
Admin = Annotated[Caller, Depends(require("admin"))]
