"""The reviewer's endpoints: the review queue, a document with its history, a new review."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from service.auth import Reviewer
from service.deps import StoreDep
from service.routes import JsonRoute
from service.schemas import DocumentPublic, Queue, QueueItem, ReviewCreate, ReviewPublic
from service.store import repository as repo
from training.schemas import Prediction

from .responses import responses

router = APIRouter(prefix="/v1", tags=["review"], route_class=JsonRoute)

DocId = Path(
    description="The stored document's id, as `document` in a classify result or `id` in the "
    "queue: doc_ and 32 hexadecimal digits. Any other value is 404.",
    examples=["doc_0123456789abcdef0123456789abcdef"],
)


def _digits_only(value):
    """A query string integer is written in digits: not 8.0, not 1e1."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise PydanticCustomError("int_parsing", "Input should be a valid integer")
    return value


def document_public(doc, predictions, reviews) -> DocumentPublic:
    return DocumentPublic(
        id=doc.id,
        source_id=doc.source_id,
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
    limit: Annotated[
        int,
        Query(ge=1, le=50, description="How many documents to claim."),
        BeforeValidator(_digits_only),
    ] = 1,
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
async def get_document(caller: Reviewer, store: StoreDep, doc_id: str = DocId) -> DocumentPublic:
    def read() -> DocumentPublic:
        with store.sessions() as session:
            return document_public(*repo.get_document(session, doc_id))

    return await asyncio.to_thread(read)


@router.post(
    "/documents/{doc_id}/reviews",
    response_model=ReviewPublic,
    status_code=201,
    summary="Store a review",
    responses=responses(401, 403, 404, 409, 422, 503),
)
async def add_review(
    body: ReviewCreate, caller: Reviewer, store: StoreDep, doc_id: str = DocId
) -> ReviewPublic:
    """Labels and evidence spans as the reviewer confirms or corrects them. Offsets are code
    points (Python str indices), must lie inside the document, and every label needs a span.
    A document another reviewer has claimed (and whose claim has not expired) is refused with
    409 naming the holder. Reviews are appended, never replaced; for training, each reviewer's
    latest review counts, and a document whose reviewers disagree waits for an admin's review."""

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


@router.post(
    "/documents/{doc_id}/skip",
    status_code=204,
    response_class=Response,
    summary="Pass on a document",
    responses=responses(401, 403, 404, 422, 503),
)
async def skip_document(caller: Reviewer, store: StoreDep, doc_id: str = DocId) -> Response:
    """Releases the caller's claim, so that another reviewer can take the document at once;
    the queue does not offer it to the caller again for GRAVEWATCH_CLAIM_MINUTES."""

    def write() -> None:
        with store.sessions.begin() as session:
            repo.skip(session, doc_id, caller.name)

    await asyncio.to_thread(write)
    return Response(status_code=204)
