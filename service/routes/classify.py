"""POST /v1/classify and /v1/classify/batch."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from service.auth import Caller, Open, check_role
from service.batch.dedup import content_hash
from service.deps import ScorerDep, SettingsDep, get_loaded, usable_store
from service.errors import ApiError
from service.metrics import LABELS_EMITTED, PASSAGES
from service.routes import JsonRoute
from service.schemas import (
    BatchRequest,
    BatchResponse,
    ClassifyRequest,
    ClassifyResult,
)
from service.store import repository as repo
from training.schemas import LABELS, Prediction, is_blank

from .responses import responses

router = APIRouter(prefix="/v1", tags=["classify"], route_class=JsonRoute)


def _check_text(text: str, where: str, limit: int) -> None:
    if is_blank(text):
        raise ApiError(
            422, "empty_text", f"{where} is empty or only whitespace: send the passage to classify"
        )
    if len(text) > limit:
        raise ApiError(
            413,
            "text_too_long",
            f"{where} has {len(text)} characters; the limit is {limit} "
            "(GRAVEWATCH_MAX_TEXT_CHARS): split the document into passages",
        )


def _check_storing(items: list, caller: Caller) -> None:
    """Storing passages needs a key with role ingest or higher (checked before scoring)."""
    if any(item.store for item in items):
        check_role(caller, "ingest", "storing passages")


def _keep(request: Request, items: list, predictions: list[Prediction]) -> list[str | None]:
    """Store the items that asked for it, with their predictions, in one transaction; the
    stored document each item became (None for items not stored)."""
    store = usable_store(request)
    thresholds = dict(
        zip(LABELS, request.app.state.active_model.current.predictor.model.thresholds_, strict=True)
    )
    with store.sessions.begin() as session:
        return [
            repo.store_prediction(
                session,
                text=item.text,
                content_hash=content_hash(item.text),
                prediction=pred.model_dump(mode="json"),
                thresholds=thresholds,
                doc_id=item.id,
                source="api",
            )
            if item.store
            else None
            for item, pred in zip(items, predictions, strict=True)
        ]


async def _results(request: Request, items: list, predictions: list[Prediction]):
    """The predictions as results, naming the stored documents of the items that asked to be
    stored."""
    documents = [None] * len(items)
    if any(item.store for item in items):
        documents = await asyncio.to_thread(_keep, request, items, predictions)
    return [
        ClassifyResult.model_construct(**dict(p), document=d)
        for p, d in zip(predictions, documents, strict=True)
    ]


async def _score(
    scorer: ScorerDep, request: Request, texts: list[str], ids: list[str | None]
) -> list[Prediction]:
    # Without a model, the 503 /readyz gives: it names the models folder and what to run.
    await get_loaded(request)
    predictions = await scorer.predict(texts, ids)
    PASSAGES.inc(len(predictions))
    emitted = 0
    for p in predictions:
        for label in p.labels:
            LABELS_EMITTED.labels(label=label.label).inc()
            emitted += 1
    request.state.log_extra = {"passages": len(texts), "labels": emitted}
    if request.app.state.settings.log_texts:  # off by default: texts can identify victims
        request.state.log_extra["texts"] = texts
    return predictions


@router.post(
    "/classify",
    response_model=ClassifyResult,
    summary="Classify one passage",
    responses=responses(401, 403, 413, 422, 503),
)
async def classify(
    body: ClassifyRequest,
    request: Request,
    settings: SettingsDep,
    scorer: ScorerDep,
    caller: Open,
) -> ClassifyResult:
    """Scores for the six labels; labels at or above threshold with their evidence spans. With
    `"store": true` the passage and its prediction are kept for review, and `document` names
    the stored document."""
    _check_storing([body], caller)
    _check_text(body.text, "text", settings.max_text_chars)
    predictions = await _score(scorer, request, [body.text], [body.id])
    (result,) = await _results(request, [body], predictions)
    return result


@router.post(
    "/classify/batch",
    response_model=BatchResponse,
    summary="Classify several passages",
    responses=responses(401, 403, 413, 422, 503),
)
async def classify_batch(
    body: BatchRequest,
    request: Request,
    settings: SettingsDep,
    scorer: ScorerDep,
    caller: Open,
) -> BatchResponse:
    """One prediction per item, in input order; items with `"store": true` are kept for
    review, and their results name the stored document."""
    _check_storing(body.items, caller)
    if not body.items:
        raise ApiError(422, "empty_batch", "items is empty: send at least one passage")
    if len(body.items) > settings.max_batch_items:
        raise ApiError(
            413,
            "batch_too_large",
            f"items has {len(body.items)} passages; the limit is {settings.max_batch_items} "
            "(GRAVEWATCH_MAX_BATCH_ITEMS): send several batches",
        )
    for i, item in enumerate(body.items):
        _check_text(item.text, f"items[{i}].text", settings.max_text_chars)
    texts = [item.text for item in body.items]
    ids = [item.id for item in body.items]
    predictions = await _score(scorer, request, texts, ids)
    return BatchResponse(results=await _results(request, body.items, predictions))
