"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response

from service.active_model import PROBE_TEXT
from service.deps import LoadedModelDep
from service.metrics import render
from service.schemas import Health, Readiness

from .responses import responses

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="The process is alive")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="A model is loaded and answers",
    responses=responses(503),
)
async def readyz(loaded: LoadedModelDep) -> Readiness:
    await asyncio.to_thread(loaded.predictor.predict, [PROBE_TEXT])
    return Readiness(status="ready", model=loaded.predictor.version)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}},
)
def metrics() -> Response:
    """Requests and latency by route and status, passages classified, labels emitted by label,
    and the active model version."""
    body, content_type = render()
    return Response(body, media_type=content_type)
