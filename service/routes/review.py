"""Review work as a whole: who the caller is, agreement figures, adjudication, bulk acceptance."""

from __future__ import annotations

import asyncio
import re

from fastapi import APIRouter, Path, Request

from service.auth import Admin, Reviewer
from service.deps import StoreDep
from service.routes import JsonRoute
from service.routes.documents import needed, summary
from service.schemas import (
    BulkAcceptRequest,
    BulkAcceptResult,
    BulkUndoResult,
    Dispute,
    DisputeList,
    LabelAgreementPublic,
    Me,
    ReviewerCountPublic,
    ReviewPublic,
    ReviewStats,
)
from service.store import repository as repo
from service.store.agreement import review_stats
from training.errors import NotFound

from .responses import responses

router = APIRouter(prefix="/v1/review", tags=["review"], route_class=JsonRoute)
BATCH = re.compile(r"bulk_[0-9a-f]{16}")
MAX_DISPUTES = 200


@router.get("/me", response_model=Me, summary="Who the key is", responses=responses(401, 403))
async def me(caller: Reviewer, request: Request) -> Me:
    """The key's name and role, and the review settings the page follows."""
    settings = request.app.state.settings
    return Me(
        name=caller.name,
        role=caller.role,
        double_review=settings.double_review,
        bulk_accept_margin=settings.bulk_accept_margin,
    )


@router.get(
    "/stats",
    response_model=ReviewStats,
    summary="Counts per reviewer and agreement per label",
    responses=responses(401, 403, 422, 503),
)
async def stats(caller: Reviewer, store: StoreDep, request: Request) -> ReviewStats:
    """Reviews per reviewer, and Cohen's kappa per label between the first two reviewers (not
    admins; withdrawn reviews left out) of every document that has two, each reviewer's latest
    review counting."""

    def read() -> ReviewStats:
        with store.sessions() as session:
            reviewers, agreement, paired = review_stats(session)
            return ReviewStats(
                double_review=request.app.state.settings.double_review,
                unreviewed=repo.unreviewed_count(session),
                disputed=len(repo.disputed_documents(session)),
                paired_documents=paired,
                reviewers=[ReviewerCountPublic(**vars(r)) for r in reviewers],
                agreement=[LabelAgreementPublic(**vars(a)) for a in agreement],
            )

    return await asyncio.to_thread(read)


@router.get(
    "/disputes",
    response_model=DisputeList,
    summary="Documents waiting for adjudication",
    responses=responses(401, 403, 422, 503),
)
async def disputes(caller: Admin, store: StoreDep) -> DisputeList:
    """Documents whose reviewers disagree on the labels (the first MAX_DISPUTES), with each
    one's latest review. An admin adjudicates by reviewing the document
    (POST /v1/documents/{id}/reviews); that review is the one it trains on."""

    def read() -> DisputeList:
        with store.sessions() as session:
            items = []
            for doc, reviews in repo.disputes(session, MAX_DISPUTES):
                reviewers = sorted({r.reviewer for r in reviews})
                items.append(
                    Dispute(
                        document=summary(doc, repo.latest_prediction(session, doc.id), reviewers),
                        reviews=[
                            ReviewPublic.model_validate(r, from_attributes=True) for r in reviews
                        ],
                    )
                )
            return DisputeList(items=items)

    return await asyncio.to_thread(read)


@router.post(
    "/bulk-accept",
    response_model=BulkAcceptResult,
    summary="Accept the model's labels where it is far from every threshold",
    responses=responses(401, 403, 422, 503),
)
async def bulk_accept(
    body: BulkAcceptRequest, caller: Admin, store: StoreDep, request: Request
) -> BulkAcceptResult:
    """For documents still waiting for review whose every score has gone at least
    GRAVEWATCH_BULK_ACCEPT_MARGIN of the way from its threshold to 0 (below it) or to 1 (above
    it), and that nobody has claimed, stores the model's labels and evidence as a review by the
    caller, flagged bulk, under one batch id (POST /v1/review/bulk-accept/{batch}/undo
    withdraws them all)."""
    margin = request.app.state.settings.bulk_accept_margin

    def write() -> BulkAcceptResult:
        with store.sessions.begin() as session:
            batch, reviews = repo.bulk_accept(
                session, caller.name, margin, body.limit, needed(request)
            )
            return BulkAcceptResult(
                batch=batch if reviews else None,
                margin=margin,
                documents=[r.document_id for r in reviews],
            )

    return await asyncio.to_thread(write)


@router.post(
    "/bulk-accept/{batch}/undo",
    response_model=BulkUndoResult,
    summary="Undo a bulk acceptance",
    responses=responses(401, 403, 404, 409, 422, 503),
)
async def undo_bulk_accept(
    caller: Admin,
    store: StoreDep,
    request: Request,
    batch: str = Path(
        description="The batch id a bulk acceptance returned: bulk_ and 16 hex "
        "digits. Any other value is 404."
    ),
) -> BulkUndoResult:
    """Marks the acceptance's reviews withdrawn (they stay in each document's history and never
    train); documents without another standing review go back to the queue. 409 when it was
    undone already."""
    if not BATCH.fullmatch(batch):
        raise NotFound(f"no bulk acceptance {batch!r}", code="batch_not_found")

    def write() -> BulkUndoResult:
        with store.sessions.begin() as session:
            reviews = repo.withdraw_batch(session, batch, caller.name, needed(request))
            return BulkUndoResult(batch=batch, documents=[r.document_id for r in reviews])

    return await asyncio.to_thread(write)
