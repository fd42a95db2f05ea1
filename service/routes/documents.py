"""The reviewer's endpoints: the review queue, a document with its history, a new review."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Query, Request

from service.auth import Reviewer
from service.deps import StoreDep
from service.routes import JsonRoute
from service.schemas import DocumentPublic, Queue, QueueItem, ReviewCreate, ReviewPublic
from service.store import repository as repo
from training.schemas import Prediction

from .responses import responses

router = APIRouter(prefix="/v1", tags=["review"], route_class=JsonRoute)


def document_public(doc, predictions, reviews) -> DocumentPublic:
    return DocumentPublic(
        id=doc.id,
        text=doc.text,
        source=doc.source,
        url=doc.url,
        title=doc.title,
        published=doc.published,
        content_hash=doc.content_hash,
        predictions=[Prediction.model_validate(p.prediction) for p in predictions],
        reviews=[ReviewPublic.model_validate(r, from_attributes=True) for r in reviews],
    )


@router.get(
    "/review/queue",
    response_model=Queue,
    summary="Claim documents to review",
    responses=responses(401, 403, 422, 503),
)
async def review_queue(
    caller: Reviewer,
    store: StoreDep,
    request: Request,
    limit: int = Query(default=1, ge=1, le=50, description="How many documents to claim."),
) -> Queue:
    """Unreviewed documents, most uncertain first (the smallest distance between a label's
    score and its threshold), each claimed for the caller for GRAVEWATCH_CLAIM_MINUTES so that
    no other reviewer gets it meanwhile."""
    minutes = request.app.state.settings.claim_minutes

    def claim() -> Queue:
        with store.sessions.begin() as session:
            docs = repo.claim_next(session, caller.name, limit, minutes)
            items = []
            for doc in docs:
                _, predictions, reviews = repo.get_document(session, doc.id)
                items.append(
                    QueueItem(
                        document=document_public(doc, predictions, reviews),
                        claimed_until=doc.claimed_until,
                    )
                )
            return Queue(items=items, unreviewed=repo.unreviewed_count(session))

    return await asyncio.to_thread(claim)


@router.get(
    "/documents/{doc_id}",
    response_model=DocumentPublic,
    summary="A document with its predictions and review history",
    responses=responses(401, 403, 404, 422, 503),
)
async def get_document(doc_id: str, caller: Reviewer, store: StoreDep) -> DocumentPublic:
    def read() -> DocumentPublic:
        with store.sessions() as session:
            return document_public(*repo.get_document(session, doc_id))

    return await asyncio.to_thread(read)


@router.post(
    "/documents/{doc_id}/reviews",
    response_model=ReviewPublic,
    status_code=201,
    summary="Store a review",
    responses=responses(401, 403, 404, 422, 503),
)
async def add_review(
    doc_id: str, body: ReviewCreate, caller: Reviewer, store: StoreDep
) -> ReviewPublic:
    """Labels and evidence spans as the reviewer confirms or corrects them. Offsets must lie
    inside the document and every label needs a span. Reviews are appended, never replaced."""

    def write() -> ReviewPublic:
        with store.sessions.begin() as session:
            review = repo.add_review(
                session,
                doc_id,
                caller.name,
                list(body.labels),
                [s.model_dump() for s in body.evidence],
                body.comment,
            )
            return ReviewPublic.model_validate(review, from_attributes=True)

    return await asyncio.to_thread(write)
