"""The model registry over HTTP: list versions, promote one, roll back (admin)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from service.auth import Admin, Reader
from service.errors import ApiError
from service.routes import JsonRoute
from training.registry import ModelStatus, RegistryError, rollback, set_active, statuses

from .responses import responses

router = APIRouter(prefix="/v1", tags=["models"], route_class=JsonRoute)


class Activated(BaseModel):
    active: str = Field(description="The version now active; every worker switches to it.")


def _models_dir(request: Request):
    return request.app.state.settings.models_dir


@router.get(
    "/models",
    response_model=list[ModelStatus],
    summary="Every model version with its status",
    responses=responses(401, 403),
)
async def list_models(request: Request, _caller: Reader) -> list[ModelStatus]:
    return await asyncio.to_thread(statuses, _models_dir(request))


@router.post(
    "/models/{version}/promote",
    response_model=Activated,
    summary="Make a version active",
    responses=responses(401, 403, 404, 422),
)
async def promote(version: str, request: Request, caller: Admin) -> Activated:
    """Verifies the artifact first; a damaged or incompatible one is refused (422)."""
    folder = _models_dir(request) / version
    if not folder.is_dir() or version.startswith("."):
        raise ApiError(404, "model_not_found", f"no model version {version!r}")
    try:
        await asyncio.to_thread(
            set_active, version, _models_dir(request), f"api:{caller.name}", "promoted"
        )
    except RegistryError as e:
        raise ApiError(422, "model_refused", str(e)) from None
    return Activated(active=version)


@router.post(
    "/models/rollback",
    response_model=Activated,
    summary="Re-activate the previously active version",
    responses=responses(401, 403, 409),
)
async def roll_back(request: Request, caller: Admin) -> Activated:
    try:
        version = await asyncio.to_thread(rollback, _models_dir(request), f"api:{caller.name}")
    except RegistryError as e:
        raise ApiError(409, "no_earlier_model", str(e)) from None
    return Activated(active=version)
