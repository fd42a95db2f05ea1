"""Reading and writing the store. Every function takes a session inside a transaction; the
caller commits (``with sessions.begin()``), so a request stores all or nothing."""

from __future__ import annotations

import hashlib
import secrets
import shlex
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from service.store.ids import document_id, is_document_id
from service.store.margin import document_margin
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
    document's margin (``margin.document_margin``) places it in the review queue and decides
    whether bulk acceptance may take it."""
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
        thresholds=dict(thresholds),
        created_at=now(),
    )
    margin = document_margin(prediction["scores"], thresholds)
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


def latest_prediction(session: Session, doc_id: str) -> dict | None:
    """The document's most recent prediction (the one a bulk acceptance accepts)."""
    return session.scalar(
        select(PredictionRow.prediction)
        .where(PredictionRow.document_id == doc_id)
        .order_by(PredictionRow.id.desc())
        .limit(1)
    )


def get_document(session: Session, doc_id: str) -> tuple[DocumentRow, list, list]:
    doc = _document(session, doc_id)
    predictions = session.scalars(
        select(PredictionRow).where(PredictionRow.document_id == doc_id).order_by(PredictionRow.id)
    ).all()
    reviews = session.scalars(
        select(ReviewRow).where(ReviewRow.document_id == doc_id).order_by(ReviewRow.id)
    ).all()
    return doc, list(predictions), list(reviews)


@dataclass
class DocumentFilter:
    """What the document list may be narrowed to; None leaves a criterion out."""

    label: str | None = None  # the latest prediction names it
    min_score: float | None = None  # the label's score (the highest score without a label)
    max_score: float | None = None
    source: str | None = None  # in the source or the source id, any case
    date_from: str | None = None  # ISO date, on the published date (else the date stored)
    date_to: str | None = None
    reviewed: bool | None = None
    text: str | None = None  # in the text, any case


def _day(doc: DocumentRow) -> str:
    return (doc.published or doc.created_at.isoformat())[:10]


def list_documents(
    session: Session, where: DocumentFilter, limit: int, offset: int
) -> tuple[list[tuple[DocumentRow, dict | None, list[str]]], int]:
    """Documents matching ``where``, most uncertain first, as (document, latest prediction,
    reviewers with standing reviews), and how many match in all. Source, text and review state
    are filtered in SQL; labels, scores and dates on the latest prediction in Python."""
    latest = (
        select(PredictionRow.document_id, func.max(PredictionRow.id).label("prediction_id"))
        .group_by(PredictionRow.document_id)
        .subquery()
    )
    query = (
        select(DocumentRow, PredictionRow.prediction)
        .outerjoin(latest, latest.c.document_id == DocumentRow.id)
        .outerjoin(PredictionRow, PredictionRow.id == latest.c.prediction_id)
        .order_by(DocumentRow.margin.asc().nulls_last(), DocumentRow.created_at, DocumentRow.id)
    )
    if where.reviewed is not None:
        query = query.where(DocumentRow.reviewed.is_(where.reviewed))
    if where.source:
        needle = where.source.lower()
        query = query.where(
            func.lower(func.coalesce(DocumentRow.source, "")).contains(needle, autoescape=True)
            | func.lower(func.coalesce(DocumentRow.source_id, "")).contains(needle, autoescape=True)
        )
    if where.text:
        query = query.where(
            func.lower(DocumentRow.text).contains(where.text.lower(), autoescape=True)
        )
    matched = [(doc, p) for doc, p in session.execute(query) if _matches(doc, p, where)]
    page = matched[offset : offset + limit]
    reviewers: dict[str, set[str]] = {doc.id: set() for doc, _ in page}
    if page:
        for doc_id, name in session.execute(
            select(ReviewRow.document_id, ReviewRow.reviewer).where(
                ReviewRow.document_id.in_(list(reviewers)), ReviewRow.withdrawn_at.is_(None)
            )
        ):
            reviewers[doc_id].add(name)
    return [(d, p, sorted(reviewers[d.id])) for d, p in page], len(matched)


def _matches(doc: DocumentRow, prediction: dict | None, where: DocumentFilter) -> bool:
    scores = prediction["scores"] if prediction else {}
    predicted = {label["label"] for label in prediction["labels"]} if prediction else set()
    if where.label is not None and where.label not in predicted:
        return False
    if where.min_score is not None or where.max_score is not None:
        if not scores:
            return False
        score = scores[where.label] if where.label else max(scores.values())
        if where.min_score is not None and score < where.min_score:
            return False
        if where.max_score is not None and score > where.max_score:
            return False
    day = _day(doc)
    if where.date_from and day < where.date_from:
        return False
    return not (where.date_to and day > where.date_to)


# ---- review queue ---------------------------------------------------------------------------
def claim_next(
    session: Session, reviewer: str, limit: int, minutes: float, needed: int = 1
) -> list[DocumentRow]:
    """Documents still waiting for reviews, most uncertain first, claimed for ``reviewer`` for
    ``minutes``. ``needed`` is how many reviewers each document goes to (2 in double review);
    a document the reviewer has already reviewed is not offered to them again.

    A document claimed by someone else (and not expired) is skipped, and so is one the reviewer
    skipped in the last ``minutes``; on PostgreSQL rows being claimed by a concurrent request
    are skipped too (``FOR UPDATE SKIP LOCKED``), on SQLite the transaction holds the write
    lock from its start."""
    t = now()
    skipped = select(SkipRow.document_id).where(
        SkipRow.reviewer == reviewer, SkipRow.created_at > t - timedelta(minutes=minutes)
    )
    conditions = [
        DocumentRow.reviewed.is_(False),
        (DocumentRow.claimed_until.is_(None))
        | (DocumentRow.claimed_until < t)
        | (DocumentRow.claimed_by == reviewer),
        DocumentRow.id.not_in(skipped),
    ]
    if needed > 1:
        mine = select(ReviewRow.document_id).where(
            ReviewRow.reviewer == reviewer, ReviewRow.withdrawn_at.is_(None)
        )
        conditions.append(DocumentRow.id.not_in(mine))
    candidates = (
        select(DocumentRow)
        .where(*conditions)
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
def _admins(session: Session) -> set[str]:
    return set(session.scalars(select(ApiKeyRow.name).where(ApiKeyRow.role == "admin")))


def _refresh_reviewed(session: Session, doc: DocumentRow, needed: int) -> None:
    """A document leaves the queue once ``needed`` reviewers (or one admin) have reviewed it
    with reviews that stand (not withdrawn)."""
    reviewers = set(
        session.scalars(
            select(ReviewRow.reviewer).where(
                ReviewRow.document_id == doc.id, ReviewRow.withdrawn_at.is_(None)
            )
        )
    )
    doc.reviewed = len(reviewers) >= needed or bool(reviewers & _admins(session))


def add_review(
    session: Session,
    doc_id: str,
    reviewer: str,
    labels: list[str],
    evidence: list[dict],
    comment: str,
    *,
    needed: int = 1,
    batch: str | None = None,
) -> ReviewRow:
    """Check the claim and the annotation (the corpus's rule, ``annotation_problems``, against
    the document's text), and append the review (a bulk acceptance when ``batch`` is given);
    InvalidInput names every problem. A reviewer who reviews a document again adds a new
    version; their earlier ones stay in the history."""
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
        bulk=batch is not None,
        batch=batch,
    )
    session.add(review)
    session.flush()
    if doc.claimed_by == reviewer:
        doc.claimed_by = None
        doc.claimed_until = None
    _refresh_reviewed(session, doc, needed)
    return review


def _settled(reviews: list[ReviewRow], admins: set[str], needed: int = 1) -> ReviewRow | None:
    """The review a document trains on, from its reviews oldest first: withdrawn reviews do not
    count; each reviewer's latest review counts; the latest admin review settles (adjudicates)
    a disagreement; without one, a document with fewer than ``needed`` reviewers, or whose
    reviewers disagree on the labels, is left out (None)."""
    latest = {r.reviewer: r for r in reviews if r.withdrawn_at is None}
    if not latest:
        return None
    adjudicated = [r for r in latest.values() if r.reviewer in admins]
    if adjudicated:
        return max(adjudicated, key=lambda r: r.id)
    if len(latest) < needed or len({frozenset(r.labels) for r in latest.values()}) > 1:
        return None
    return max(latest.values(), key=lambda r: r.id)


def _reviews_by_document(
    session: Session, doc_ids: list[str] | None = None
) -> Iterator[tuple[DocumentRow, list[ReviewRow]]]:
    query = (
        select(DocumentRow, ReviewRow)
        .join(ReviewRow, ReviewRow.document_id == DocumentRow.id)
        .order_by(DocumentRow.id, ReviewRow.id)
    )
    if doc_ids is not None:
        query = query.where(DocumentRow.id.in_(doc_ids))
    current, reviews = None, []
    for doc, review in session.execute(query):
        if current is not None and doc.id != current.id:
            yield current, reviews
            reviews = []
        current = doc
        reviews.append(review)
    if current is not None:
        yield current, reviews


def training_reviews(session: Session, needed: int = 1) -> Iterator[tuple[DocumentRow, ReviewRow]]:
    """Each reviewed document with the review it trains on, in document order; documents whose
    reviewers disagree (``disputed_documents``), or that still wait for their ``needed``
    reviewers (double review), are left out until an admin reviews them."""
    admins = _admins(session)
    for doc, reviews in _reviews_by_document(session):
        review = _settled(reviews, admins, needed)
        if review is not None:
            yield doc, review


def _disagree(reviews: list[ReviewRow], admins: set[str]) -> dict[str, ReviewRow] | None:
    """Each reviewer's latest standing review when they disagree and no admin has settled."""
    latest = {r.reviewer: r for r in reviews if r.withdrawn_at is None}
    if any(name in admins for name in latest):
        return None
    if len({frozenset(r.labels) for r in latest.values()}) > 1:
        return latest
    return None


def disputed_documents(session: Session) -> list[str]:
    """Ids of documents whose reviewers disagree on the labels and no admin has settled."""
    admins = _admins(session)
    return [doc.id for doc, reviews in _reviews_by_document(session) if _disagree(reviews, admins)]


def disputes(session: Session, limit: int) -> list[tuple[DocumentRow, list[ReviewRow]]]:
    """Documents waiting for adjudication, each with the disagreeing reviews (one per reviewer,
    their latest)."""
    admins = _admins(session)
    found = []
    for doc, reviews in _reviews_by_document(session):
        latest = _disagree(reviews, admins)
        if latest:
            found.append((doc, sorted(latest.values(), key=lambda r: r.id)))
            if len(found) >= limit:
                break
    return found


def history(session: Session, doc_id: str, needed: int = 1) -> tuple[list, ReviewRow | None]:
    """The document's reviews oldest first, each with its version (its place among its
    reviewer's reviews), and the review that trains (or None)."""
    _document(session, doc_id)
    reviews = list(
        session.scalars(
            select(ReviewRow).where(ReviewRow.document_id == doc_id).order_by(ReviewRow.id)
        )
    )
    versions: dict[str, int] = {}
    numbered = []
    for r in reviews:
        versions[r.reviewer] = versions.get(r.reviewer, 0) + 1
        numbered.append((r, versions[r.reviewer]))
    return numbered, _settled(reviews, _admins(session), needed)


# ---- bulk acceptance ------------------------------------------------------------------------
def bulk_candidates(session: Session, margin: float, limit: int) -> list[DocumentRow]:
    """Documents still waiting for review whose margin (``margin.document_margin``: every
    score at least this share of the way from its threshold to 0 or 1) is at least ``margin``,
    not claimed by anyone, most certain first."""
    t = now()
    return list(
        session.scalars(
            select(DocumentRow)
            .where(
                DocumentRow.reviewed.is_(False),
                DocumentRow.margin >= margin,
                (DocumentRow.claimed_until.is_(None)) | (DocumentRow.claimed_until < t),
            )
            .order_by(DocumentRow.margin.desc(), DocumentRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def bulk_accept(
    session: Session, admin: str, margin: float, limit: int, needed: int = 1
) -> tuple[str, list[ReviewRow]]:
    """Accept the latest prediction's labels and evidence for each candidate, as reviews by
    ``admin`` flagged bulk and sharing one batch id; the batch id and the reviews."""
    batch = "bulk_" + secrets.token_hex(8)
    reviews = []
    for doc in bulk_candidates(session, margin, limit):
        prediction = latest_prediction(session, doc.id)
        if prediction is None:
            continue
        labels = [label["label"] for label in prediction["labels"]]
        evidence = [
            {"label": label["label"], "start": e["start"], "end": e["end"]}
            for label in prediction["labels"]
            for e in label["evidence"]
        ]
        reviews.append(
            add_review(session, doc.id, admin, labels, evidence, "", needed=needed, batch=batch)
        )
    return batch, reviews


def withdraw_batch(session: Session, batch: str, admin: str, needed: int = 1) -> list[ReviewRow]:
    """Undo a bulk acceptance: its reviews are marked withdrawn (kept in the history, never
    trained on) and their documents go back to the queue unless other reviews stand."""
    reviews = list(
        session.scalars(select(ReviewRow).where(ReviewRow.batch == batch).with_for_update())
    )
    if not reviews:
        raise NotFound(f"no bulk acceptance {batch!r}", code="batch_not_found")
    standing = [r for r in reviews if r.withdrawn_at is None]
    if not standing:
        raise Conflict(f"bulk acceptance {batch!r} was already undone", code="batch_withdrawn")
    t = now()
    for review in standing:
        review.withdrawn_at = t
        review.withdrawn_by = admin
    session.flush()
    for review in standing:
        _refresh_reviewed(session, _document(session, review.document_id), needed)
    return standing


# ---- API keys -------------------------------------------------------------------------------
def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


MAX_KEY_NAME_CHARS = 200  # the width of api_keys.name and reviews.reviewer
# Unicode categories a name may not hold: control characters (Cc), invisible format characters
# such as bidi overrides and zero-width ones (Cf), line and paragraph separators (Zl, Zp), lone
# surrogates (Cs).
_NOT_IN_A_NAME = {"Cc", "Cf", "Zl", "Zp", "Cs"}


def check_key_name(name: str) -> None:
    """The rule for a key's name, which reviews, logs and ``keys list`` show: not blank, one
    line without control or invisible characters, no white space at either end (``keys revoke``
    takes the exact name), at most MAX_KEY_NAME_CHARS; InvalidInput (code
    ``invalid_key_name``) says what is wrong. Keys stored before a rule keep their names."""
    if not name.strip():
        raise InvalidInput(
            "a key's name is empty: give who or what the key is for, e.g. monitor-1",
            code="invalid_key_name",
        )
    if len(name) > MAX_KEY_NAME_CHARS:
        raise InvalidInput(
            f"a key's name has {len(name)} characters; the limit is {MAX_KEY_NAME_CHARS}: "
            "use a shorter name",
            code="invalid_key_name",
        )
    for index, char in enumerate(name):
        if unicodedata.category(char) in _NOT_IN_A_NAME:
            raise InvalidInput(
                f"the key name {name!r} contains a control character (U+{ord(char):04X}) at "
                f"index {index}: use a name on one line, without control characters",
                code="invalid_key_name",
            )
    if name != name.strip():
        raise InvalidInput(
            f"the key name {name!r} begins or ends with white space: give the name without it",
            code="invalid_key_name",
        )


def create_key(session: Session, name: str, role: str) -> str:
    """A new key for ``name`` (``check_key_name``) with ``role``; only its hash is stored, the
    key is returned once."""
    check_key_name(name)
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
        raise NotFound(_no_active_key(session, name), code="key_not_found")


def _no_active_key(session: Session, name: str) -> str:
    """Why no key named ``name`` was revoked, naming an active key whose name differs only in
    white space at its ends (stored before check_key_name refused it), since a name is exact."""
    active = session.scalars(
        select(ApiKeyRow.name).where(ApiKeyRow.revoked_at.is_(None)).order_by(ApiKeyRow.id)
    )
    alike = [stored for stored in active if stored.strip() == name.strip()]
    if not alike:
        return f"no active key named {name!r}: `gravewatch keys list` names them"
    return (
        f"no active key named {name!r}; one named {alike[0]!r} differs only in white space at "
        f"its ends: give that exact name, `gravewatch keys revoke {shlex.quote(alike[0])}`"
    )


def authenticate(session: Session, key: str) -> ApiKeyRow | None:
    row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == _hash_key(key)))
    return row if row is not None and row.revoked_at is None else None
