"""The model registry over HTTP: list versions, promote one, roll back (admin)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from service.auth import Admin, Reader
from service.deps import StoreDep
from service.errors import ApiError
from service.retraining import (
    LOG_TAIL_LINES,
    fail_job,
    job_log_path,
    launch,
    log_tail,
    start_job,
)
from service.routes import JsonRoute
from service.store.tables import JobRow
from training.errors import NotFound
from training.registry import ModelNotFound, ModelStatus, rollback, set_active, statuses

from .responses import responses

router = APIRouter(prefix="/v1", tags=["models"], route_class=JsonRoute)


class RetrainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    force: bool = Field(
        default=False, strict=True, description="Promote even if the gate refuses the candidate."
    )


class JobPublic(BaseModel):
    id: int = Field(description="Job number.")
    kind: str = Field(description="What the job does (retrain).")
    state: str = Field(description="queued, running, succeeded, rejected or failed.")
    stage: str = Field(description="What it is doing now.")
    progress: float = Field(description="From 0 to 1.")
    requested_by: str = Field(description="Who started it.")
    force: bool = Field(description="Whether the gate was overridden.")
    result: dict | None = Field(description="The comparison of candidate and active model.")
    error: str | None = Field(description="Why it failed.")
    log: list[str] | None = Field(
        default=None,
        description=f"When the job failed: the last lines (at most {LOG_TAIL_LINES}) its process "
        "wrote, such as the error and its traceback; null otherwise, or when the job ran in the "
        "foreground (`gravewatch retrain`) or on another host.",
    )
    created_at: datetime = Field(description="When it was requested (UTC).")
    updated_at: datetime = Field(description="Last change (UTC).")


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
    """Every version in the models directory: active, candidate, rejected or retired."""
    return await asyncio.to_thread(statuses, _models_dir(request))


@router.post(
    "/models/{version}/promote",
    response_model=Activated,
    summary="Make a version active",
    responses=responses(401, 403, 404, 409, 422),
)
async def promote(version: str, request: Request, caller: Admin) -> Activated:
    """Verifies the artifact first; a damaged or incompatible one is refused (422). 409 when
    another process has been changing the active model for over a minute."""
    folder = _models_dir(request) / version
    if not folder.is_dir() or version.startswith("."):
        raise ModelNotFound(f"no model version {version!r}: GET /v1/models lists them")
    await asyncio.to_thread(
        set_active, version, _models_dir(request), f"api:{caller.name}", "promoted"
    )
    return Activated(active=version)


@router.post(
    "/models/rollback",
    response_model=Activated,
    summary="Re-activate the previously active version",
    responses=responses(401, 403, 409, 422),
)
async def roll_back(request: Request, caller: Admin) -> Activated:
    """409 when there is no active model or no earlier one; 422, as for a promotion, when the
    earlier model is damaged or incompatible."""
    version = await asyncio.to_thread(rollback, _models_dir(request), f"api:{caller.name}")
    return Activated(active=version)


@router.post(
    "/models/retrain",
    response_model=JobPublic,
    status_code=202,
    summary="Start a retraining job",
    responses=responses(401, 403, 409, 422, 503),
)
async def start_retrain(
    request: Request, caller: Admin, store: StoreDep, body: RetrainRequest | None = None
) -> JobPublic:
    """Trains a candidate on the corpus and the reviews in a separate process; poll
    ``GET /v1/jobs/{id}``. One at a time: a second request gets 409 naming the running job."""
    force = body.force if body else False
    job = await asyncio.to_thread(start_job, store, f"api:{caller.name}", force)
    try:
        await asyncio.to_thread(launch, request.app.state.settings, job.id, store)
    except OSError as e:
        reason = f"cannot start the retraining process: {e}"
        await asyncio.to_thread(fail_job, store, job.id, reason)
        raise ApiError(
            503,
            "retrain_unavailable",
            f"{reason}; check that the data directory (GRAVEWATCH_DATA_DIR) is writable, "
            "then try again",
        ) from None
    return JobPublic.model_validate(job, from_attributes=True)


@router.get(
    "/jobs/{job_id}",
    response_model=JobPublic,
    summary="A job's state, progress and result",
    responses=responses(401, 403, 404, 422, 503),
)
async def get_job(
    request: Request,
    caller: Admin,
    store: StoreDep,
    job_id: int = Path(ge=1, le=2**31 - 1, description="The job's number."),
) -> JobPublic:
    """A failed job shows the last lines its process wrote in ``log``."""

    def read() -> JobPublic:
        with store.sessions() as session:
            job = session.get(JobRow, job_id)
            if job is None:
                raise NotFound(f"no job {job_id}", code="job_not_found")
            public = JobPublic.model_validate(job, from_attributes=True)
        if public.state == "failed":
            public.log = log_tail(job_log_path(request.app.state.settings, job_id))
        return public

    return await asyncio.to_thread(read)
