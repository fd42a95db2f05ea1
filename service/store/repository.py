"""Reading and writing the store. Every function takes a session inside a transaction; the
caller commits (``with sessions.begin()``), so a request stores all or nothing."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service.store.tables import ApiKeyRow, DocumentRow, PredictionRow, ReviewRow

ROLES = ("reader", "reviewer", "admin")  # each role may do what the ones before it may


class StoreError(Exception):
    """A request the store refuses; ``status`` is the HTTP status that fits."""

    status = 422

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class NotFound(StoreError):
    status = 404


def now() -> datetime:
    return datetime.now(UTC)


# ---- documents and predictions ------------------------------------------------------------
def store_prediction(
    session: Session,
    *,
    text: str,
    content_hash: str,
    prediction: dict,
    thresholds: Mapping[str, float],
    doc_id: str | None = None,
    source: str | None = None,
    url: str | None = None,
    title: str | None = None,
    published: str | None = None,
) -> str:
    """Add the document (once per content hash) and this model's prediction; the document's
    id, which is the caller's id unless another text already has it. The document's place in
    the review queue is its margin: the smallest distance between a score and its label's
    threshold."""
    doc = session.scalar(select(DocumentRow).where(DocumentRow.content_hash == content_hash))
    if doc is None:
        wanted = (doc_id or content_hash)[:200]
        if session.get(DocumentRow, wanted) is not None:
            wanted = f"{wanted[:180]}~{content_hash[:12]}"
        doc = DocumentRow(
            id=wanted,
            content_hash=content_hash,
            text=text,
            source=source,
            url=url,
            title=title,
            published=published,
            created_at=now(),
            reviewed=False,
        )
        session.add(doc)
        session.flush()
    model = prediction["model"]
    exists = session.scalar(
        select(PredictionRow.id).where(
            PredictionRow.document_id == doc.id, PredictionRow.model == model
        )
    )
    if exists is None:
        session.add(
            PredictionRow(document_id=doc.id, model=model, prediction=prediction, created_at=now())
        )
    scores = prediction["scores"]
    doc.margin = min(abs(scores[label] - t) for label, t in thresholds.items())
    return doc.id


def latest_prediction(session: Session, doc_id: str) -> dict | None:
    return session.scalar(
        select(PredictionRow.prediction)
        .where(PredictionRow.document_id == doc_id)
        .order_by(PredictionRow.id.desc())
        .limit(1)
    )


def get_document(session: Session, doc_id: str) -> tuple[DocumentRow, list, list]:
    doc = session.get(DocumentRow, doc_id)
    if doc is None:
        raise NotFound("document_not_found", f"no document {doc_id!r} in the store")
    predictions = session.scalars(
        select(PredictionRow).where(PredictionRow.document_id == doc_id).order_by(PredictionRow.id)
    ).all()
    reviews = session.scalars(
        select(ReviewRow).where(ReviewRow.document_id == doc_id).order_by(ReviewRow.id)
    ).all()
    return doc, list(predictions), list(reviews)


# ---- review queue ---------------------------------------------------------------------------
def claim_next(session: Session, reviewer: str, limit: int, minutes: float) -> list[DocumentRow]:
    """Unreviewed documents, most uncertain first, claimed for ``reviewer`` for ``minutes``.

    A document claimed by someone else (and not expired) is skipped; on PostgreSQL rows being
    claimed by a concurrent request are skipped too (``FOR UPDATE SKIP LOCKED``), on SQLite the
    transaction holds the write lock from its start."""
    t = now()
    candidates = (
        select(DocumentRow)
        .where(
            DocumentRow.reviewed.is_(False),
            (DocumentRow.claimed_until.is_(None))
            | (DocumentRow.claimed_until < t)
            | (DocumentRow.claimed_by == reviewer),
        )
        .order_by(DocumentRow.margin.asc().nulls_last(), DocumentRow.created_at, DocumentRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    docs = list(session.scalars(candidates).all())
    until = t + timedelta(minutes=minutes)
    for doc in docs:
        doc.claimed_by = reviewer
        doc.claimed_until = until
    return docs


def unreviewed_count(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(DocumentRow).where(DocumentRow.reviewed.is_(False))
    )


# ---- reviews --------------------------------------------------------------------------------
def add_review(
    session: Session,
    doc_id: str,
    reviewer: str,
    labels: list[str],
    evidence: list[dict],
    comment: str,
) -> ReviewRow:
    """Validate against the document's text and append the review."""
    doc = session.get(DocumentRow, doc_id, with_for_update=True)
    if doc is None:
        raise NotFound("document_not_found", f"no document {doc_id!r} in the store")
    for i, span in enumerate(evidence):
        where = f"evidence[{i}] ({span['label']} {span['start']}-{span['end']})"
        if span["label"] not in labels:
            raise StoreError(
                "evidence_label_not_chosen",
                f"{where}: label {span['label']!r} is not among the review's labels",
            )
        if not 0 <= span["start"] < span["end"] <= len(doc.text):
            raise StoreError(
                "evidence_out_of_range",
                f"{where}: offsets must satisfy 0 <= start < end <= {len(doc.text)} "
                "(the document's length)",
            )
    missing = [label for label in labels if not any(s["label"] == label for s in evidence)]
    if missing:
        raise StoreError(
            "label_without_evidence",
            f"label(s) {', '.join(missing)} need at least one evidence span each",
        )
    review = ReviewRow(
        document_id=doc_id,
        reviewer=reviewer,
        created_at=now(),
        labels=list(labels),
        evidence=[dict(s) for s in evidence],
        comment=comment,
    )
    session.add(review)
    doc.reviewed = True
    doc.claimed_by = None
    doc.claimed_until = None
    session.flush()
    return review


def latest_reviews(session: Session) -> Iterator[tuple[DocumentRow, ReviewRow]]:
    """Each reviewed document with its latest review, in document order."""
    latest = (
        select(ReviewRow.document_id, func.max(ReviewRow.id).label("review_id"))
        .group_by(ReviewRow.document_id)
        .subquery()
    )
    rows = session.execute(
        select(DocumentRow, ReviewRow)
        .join(latest, latest.c.document_id == DocumentRow.id)
        .join(ReviewRow, ReviewRow.id == latest.c.review_id)
        .order_by(DocumentRow.id)
    )
    yield from rows  # rows unpack as (document, review)


# ---- API keys -------------------------------------------------------------------------------
def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(session: Session, name: str, role: str) -> str:
    """A new key for ``name`` with ``role``; only its hash is stored, the key is returned once."""
    if role not in ROLES:
        raise StoreError("unknown_role", f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if session.scalar(select(ApiKeyRow).where(ApiKeyRow.name == name)) is not None:
        raise StoreError(
            "key_name_taken", f"a key named {name!r} exists; revoke it or pick another"
        )
    key = "gw_" + secrets.token_urlsafe(32)
    session.add(ApiKeyRow(name=name, role=role, key_hash=_hash_key(key), created_at=now()))
    return key


def list_keys(session: Session) -> list[ApiKeyRow]:
    return list(session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id)).all())


def revoke_key(session: Session, name: str) -> None:
    result = session.execute(
        update(ApiKeyRow)
        .where(ApiKeyRow.name == name, ApiKeyRow.revoked_at.is_(None))
        .values(revoked_at=now())
    )
    if result.rowcount == 0:
        raise NotFound("key_not_found", f"no active key named {name!r}")


def authenticate(session: Session, key: str) -> ApiKeyRow | None:
    row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == _hash_key(key)))
    return row if row is not None and row.revoked_at is None else None
