"""Reading and writing the store. Every function takes a session inside a transaction; the
caller commits (``with sessions.begin()``), so a request stores all or nothing."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from service.store.ids import document_id, is_document_id
from service.store.tables import ApiKeyRow, DocumentRow, PredictionRow, ReviewRow, SkipRow
from training.errors import Conflict, InvalidInput, NotFound
from training.schemas import annotation_problems

# Each role may do what the ones before it may: read (classify, models), store passages, review,
# administer models.
ROLES = ("reader", "ingest", "reviewer", "admin")


def now() -> datetime:
    return datetime.now(UTC)


# ---- documents and predictions ------------------------------------------------------------
def _insert_ignoring_duplicates(session: Session, table, **values) -> None:
    """INSERT that does nothing when the row's unique key exists, even when a concurrent
    transaction inserted it a moment ago (no unique violation on PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[dialect]
    session.execute(insert(table).values(**values).on_conflict_do_nothing())


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
    """Add the document (once per exact text) and this model's prediction (once per model);
    the stored document's id (``ids.document_id``). ``doc_id`` is the caller's id for the text,
    kept as the document's ``source_id``; ``content_hash`` is the normalised text's hash. The
    document's place in the review queue is its margin: the smallest distance between a score
    and its label's threshold."""
    stored_id = document_id(text)
    _insert_ignoring_duplicates(
        session,
        DocumentRow,
        id=stored_id,
        source_id=doc_id,
        content_hash=content_hash,
        text=text,
        source=source,
        url=url,
        title=title,
        published=published,
        created_at=now(),
        reviewed=False,
    )
    _insert_ignoring_duplicates(
        session,
        PredictionRow,
        document_id=stored_id,
        model=prediction["model"],
        prediction=prediction,
        created_at=now(),
    )
    scores = prediction["scores"]
    margin = min(abs(scores[label] - t) for label, t in thresholds.items())
    session.execute(update(DocumentRow).where(DocumentRow.id == stored_id).values(margin=margin))
    return stored_id


def _document(session: Session, doc_id: str, *, for_update: bool = False) -> DocumentRow:
    """The document, or NotFound; an id that no document can have is never looked up."""
    doc = (
        session.get(DocumentRow, doc_id, with_for_update=for_update)
        if is_document_id(doc_id)
        else None
    )
    if doc is None:
        raise NotFound(f"no document {doc_id!r} in the store", code="document_not_found")
    return doc


def get_document(session: Session, doc_id: str) -> tuple[DocumentRow, list, list]:
    doc = _document(session, doc_id)
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

    A document claimed by someone else (and not expired) is skipped, and so is one the reviewer
    skipped in the last ``minutes``; on PostgreSQL rows being claimed by a concurrent request
    are skipped too (``FOR UPDATE SKIP LOCKED``), on SQLite the transaction holds the write
    lock from its start."""
    t = now()
    skipped = select(SkipRow.document_id).where(
        SkipRow.reviewer == reviewer, SkipRow.created_at > t - timedelta(minutes=minutes)
    )
    candidates = (
        select(DocumentRow)
        .where(
            DocumentRow.reviewed.is_(False),
            (DocumentRow.claimed_until.is_(None))
            | (DocumentRow.claimed_until < t)
            | (DocumentRow.claimed_by == reviewer),
            DocumentRow.id.not_in(skipped),
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


def _check_claim(doc: DocumentRow, reviewer: str) -> None:
    """The claim rule: a document another reviewer holds (claim not expired) is theirs."""
    if doc.claimed_by not in (None, reviewer) and doc.claimed_until > now():
        raise Conflict(
            f"document {doc.id} is claimed by {doc.claimed_by!r} until "
            f"{doc.claimed_until:%Y-%m-%d %H:%M:%S} UTC: take another one from the queue",
            code="claimed_by_another",
        )


def skip(session: Session, doc_id: str, reviewer: str) -> None:
    """The reviewer passes on the document: their claim ends, so any other reviewer can take it
    now, and the queue does not offer it to them again for the claim time."""
    doc = _document(session, doc_id, for_update=True)
    if doc.claimed_by == reviewer:
        doc.claimed_by = None
        doc.claimed_until = None
    session.add(SkipRow(document_id=doc.id, reviewer=reviewer, created_at=now()))


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
    """Check the claim and the annotation (the corpus's rule, ``annotation_problems``, against
    the document's text), and append the review; InvalidInput names every problem."""
    doc = _document(session, doc_id, for_update=True)
    _check_claim(doc, reviewer)
    problems = annotation_problems(doc.text, labels, evidence)
    if problems:
        raise InvalidInput("; ".join(p.message for p in problems), code=problems[0].code)
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


def _settled(reviews: list[ReviewRow], admins: set[str]) -> ReviewRow | None:
    """The review a document trains on, from its reviews oldest first: each reviewer's latest
    review counts; the latest admin review settles a disagreement; without one, reviewers who
    disagree on the labels leave the document out (None)."""
    latest = {r.reviewer: r for r in reviews}
    adjudicated = [r for r in latest.values() if r.reviewer in admins]
    if adjudicated:
        return max(adjudicated, key=lambda r: r.id)
    if len({frozenset(r.labels) for r in latest.values()}) > 1:
        return None
    return max(latest.values(), key=lambda r: r.id)


def _reviews_by_document(session: Session) -> Iterator[tuple[DocumentRow, list[ReviewRow]]]:
    admins = set(session.scalars(select(ApiKeyRow.name).where(ApiKeyRow.role == "admin")))
    rows = session.execute(
        select(DocumentRow, ReviewRow)
        .join(ReviewRow, ReviewRow.document_id == DocumentRow.id)
        .order_by(DocumentRow.id, ReviewRow.id)
    )
    current, reviews = None, []
    for doc, review in rows:
        if current is not None and doc.id != current.id:
            yield current, _settled(reviews, admins)
            reviews = []
        current = doc
        reviews.append(review)
    if current is not None:
        yield current, _settled(reviews, admins)


def training_reviews(session: Session) -> Iterator[tuple[DocumentRow, ReviewRow]]:
    """Each reviewed document with the review it trains on, in document order; documents whose
    reviewers disagree (``disputed_documents``) are left out until an admin reviews them."""
    for doc, review in _reviews_by_document(session):
        if review is not None:
            yield doc, review


def disputed_documents(session: Session) -> list[str]:
    """Ids of documents whose reviewers disagree on the labels and no admin has settled."""
    return [doc.id for doc, review in _reviews_by_document(session) if review is None]


# ---- API keys -------------------------------------------------------------------------------
def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(session: Session, name: str, role: str) -> str:
    """A new key for ``name`` with ``role``; only its hash is stored, the key is returned once."""
    if role not in ROLES:
        raise InvalidInput(
            f"role must be one of {', '.join(ROLES)}, not {role!r}", code="unknown_role"
        )
    if session.scalar(select(ApiKeyRow).where(ApiKeyRow.name == name)) is not None:
        raise Conflict(
            f"a key named {name!r} exists; revoke it or pick another", code="key_name_taken"
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
        raise NotFound(
            f"no active key named {name!r}: `gravewatch keys list` names them", code="key_not_found"
        )


def authenticate(session: Session, key: str) -> ApiKeyRow | None:
    row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == _hash_key(key)))
    return row if row is not None and row.revoked_at is None else None
