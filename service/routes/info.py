"""GET /v1/labels (the taxonomy) and GET /v1/model (the active model's card)."""

from __future__ import annotations

from fastapi import APIRouter

from service.deps import LoadedModelDep
from service.schemas import TaxonomyResponse
from training.registry import ModelCard
from training.taxonomy import load_taxonomy

from .responses import responses

router = APIRouter(prefix="/v1", tags=["reference"])


@router.get("/labels", response_model=TaxonomyResponse, summary="The label taxonomy")
def labels() -> TaxonomyResponse:
    """Label ids, names, definitions, legal basis and the taxonomy version."""
    return TaxonomyResponse.model_validate(load_taxonomy().model_dump())


@router.get(
    "/model", response_model=ModelCard, summary="The active model's card", responses=responses(503)
)
def model_card(loaded: LoadedModelDep) -> ModelCard:
    """Version, training date, corpus checksum, parameters, thresholds, evaluation figures."""
    return loaded.card
