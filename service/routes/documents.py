"""The reviewer's endpoints: the review queue, a document with its history, a new review."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from service.auth import Reviewer
from service.deps import StoreDep
from service.routes import JsonRoute
from service.schemas import (
    DocumentHistory,
    DocumentList,
    DocumentPublic,
    DocumentSummary,
    HistoryEntry,
    PlainText,
    Queue,
    QueueItem,
    ReviewCreate,
    ReviewPublic,
)
from service.store import repository as repo
from training.schemas import LabelId, Prediction

from .responses import responses

router = APIRouter(prefix="/v1", tags=["review"], route_class=JsonRoute)

DocId = Path(
    description="The stored document's id, as `document` in a classify result or `id` in the "
    "queue: doc_ and 32 hexadecimal digits. Any other value is 404.",
    examples=["doc_0123456789abcdef0123456789abcdef"],
)


def _digits_only(value):
    """A query string integer is written in digits, with a minus sign when negative: not 8.0,
    not 1e1. A negative one then fails the parameter's range, whose message says the bound."""
    if isinstance(value, str) and not re.fullmatch(r"-?[0-9]+", value):
        raise PydanticCustomError("int_parsing", "Input should be a valid integer")
    return value


def needed(request: Request) -> int:
    """How many reviewers each document goes to: 2 in double review, else 1."""
    return 2 if request.app.state.settings.double_review else 1


def document_public(doc, predictions, reviews) -> DocumentPublic:
    return DocumentPublic(
        thresholds=(predictions[-1].thresholds or {}) if predictions else {},
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
    """Unreviewed documents, most uncertain first (the smallest margin: a score's distance
    from its threshold as a share of the way to 0 or to 1), each claimed for the caller for
    GRAVEWATCH_CLAIM_MINUTES so that no other reviewer gets it meanwhile."""
    minutes = request.app.state.settings.claim_minutes

    def claim() -> Queue:
        with store.sessions.begin() as session:
            docs = repo.claim_next(session, caller.name, limit, minutes, needed(request))
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


def summary(doc, prediction, reviewers) -> DocumentSummary:
    return DocumentSummary(
        id=doc.id,
        source_id=doc.source_id,
        title=doc.title,
        source=doc.source,
        url=doc.url,
        published=doc.published,
        created_at=doc.created_at,
        snippet=doc.text[:200],
        labels=[label["label"] for label in prediction["labels"]] if prediction else [],
        scores=prediction["scores"] if prediction else {},
        margin=doc.margin,
        reviewed=doc.reviewed,
        reviewers=reviewers,
    )


def _iso_day(value):
    """A query string date is written YYYY-MM-DD: not a number of seconds, not a time."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise PydanticCustomError("date_parsing", "Input should be a valid date, YYYY-MM-DD")
    return value


Score = Annotated[float | None, Query(ge=0, le=1)]
Day = Annotated[
    date | None,
    Query(description="A date, YYYY-MM-DD: the published date, else the day stored."),
    BeforeValidator(_iso_day),
]


@router.get(
    "/documents",
    response_model=DocumentList,
    summary="Search and filter the stored documents",
    responses=responses(401, 403, 422, 503),
)
async def list_documents(
    caller: Reviewer,
    store: StoreDep,
    label: Annotated[
        LabelId | None, Query(description="Only documents the model gave this label.")
    ] = None,
    min_score: Score = None,
    max_score: Score = None,
    source: Annotated[
        PlainText | None, Query(max_length=200, description="Part of the source or source id.")
    ] = None,
    date_from: Day = None,
    date_to: Day = None,
    reviewed: Annotated[
        bool | None, Query(description="true: reviewed; false: still waiting for reviews.")
    ] = None,
    q: Annotated[PlainText | None, Query(max_length=200, description="Words in the text.")] = None,
    limit: Annotated[int, Query(ge=1, le=200), BeforeValidator(_digits_only)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000), BeforeValidator(_digits_only)] = 0,
) -> DocumentList:
    """Documents, most uncertain first, narrowed by the model's label and score (the label's
    score, or the highest score without a label), source, date, review state and words in the
    text. Nothing is claimed: open one with GET /v1/documents/{id}. A range whose lower end is
    above its upper end matches nothing."""
    where = repo.DocumentFilter(
        label=label,
        min_score=min_score,
        max_score=max_score,
        source=source or None,
        date_from=date_from.isoformat() if date_from else None,
        date_to=date_to.isoformat() if date_to else None,
        reviewed=reviewed,
        text=q or None,
    )

    def read() -> DocumentList:
        with store.sessions() as session:
            rows, total = repo.list_documents(session, where, limit, offset)
            return DocumentList(items=[summary(*row) for row in rows], total=total)

    return await asyncio.to_thread(read)


@router.get(
    "/documents/{doc_id}/history",
    response_model=DocumentHistory,
    summary="A document's review history",
    responses=responses(401, 403, 404, 422, 503),
)
async def document_history(
    caller: Reviewer, store: StoreDep, request: Request, doc_id: str = DocId
) -> DocumentHistory:
    """The model's suggestions and every review, oldest first: each review's version among its
    reviewer's, whether it is bulk or withdrawn, and which one the document trains on."""

    def read() -> DocumentHistory:
        with store.sessions() as session:
            _, predictions, _ = repo.get_document(session, doc_id)
            numbered, settled = repo.history(session, doc_id, needed(request))
            standing = [r for r, _ in numbered if r.withdrawn_at is None]
            if settled is not None:
                status = "settled"
            elif not standing:
                status = "unreviewed"
            elif len({frozenset(r.labels) for r in standing}) > 1:
                status = "disputed"
            else:
                status = "waiting"
            return DocumentHistory(
                document=doc_id,
                status=status,
                predictions=[Prediction.model_validate(p.prediction) for p in predictions],
                reviews=[
                    HistoryEntry(
                        review=ReviewPublic.model_validate(r, from_attributes=True),
                        version=version,
                        trains=settled is not None and r.id == settled.id,
                    )
                    for r, version in numbered
                ],
            )

    return await asyncio.to_thread(read)


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
    body: ReviewCreate, caller: Reviewer, store: StoreDep, request: Request, doc_id: str = DocId
) -> ReviewPublic:
    """Labels and evidence spans as the reviewer confirms or corrects them. Offsets are code
    points (Python str indices), must lie inside the document, and every label needs a span.
    A document another reviewer has claimed (and whose claim has not expired) is refused with
    409 naming the holder. Reviews are appended, never replaced: reviewing a document again
    (reopening it) adds a new version. For training, each reviewer's latest review counts, and
    a document whose reviewers disagree waits for an admin's review (in double review, also
    one with a single reviewer)."""

    def write() -> ReviewPublic:
        with store.sessions.begin() as session:
            review = repo.add_review(
                session,
                doc_id,
                caller.name,
                list(body.labels),
                [s.model_dump() for s in body.evidence],
                body.comment,
                needed=needed(request),
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
