"""Agreement between reviewers: Cohen's kappa per label, and what each reviewer has done."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy.orm import Session

from service.store.repository import _admins, _reviews_by_document
from training.schemas import LABELS


def cohen_kappa(pairs: list[tuple[bool, bool]]) -> float | None:
    """Cohen's kappa of two raters' yes/no answers; None when it is undefined (no pairs, or
    chance agreement is 1 because both raters gave one same answer throughout)."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(a == b for a, b in pairs) / n
    yes_a = sum(a for a, _ in pairs) / n
    yes_b = sum(b for _, b in pairs) / n
    chance = yes_a * yes_b + (1 - yes_a) * (1 - yes_b)
    if chance >= 1:
        return None
    return (observed - chance) / (1 - chance)


@dataclass
class LabelAgreement:
    label: str
    documents: int
    observed: float | None
    kappa: float | None


@dataclass
class ReviewerCount:
    reviewer: str
    reviews: int
    documents: int
    bulk: int
    withdrawn: int


def review_stats(session: Session) -> tuple[list[ReviewerCount], list[LabelAgreement], int]:
    """Per-reviewer counts; per-label agreement of the first two reviewers (not admins, whose
    reviews adjudicate, and without withdrawn reviews) of every document that has two, each
    with their latest review; the number of such documents."""
    admins = _admins(session)
    counts: dict[str, Counter] = {}
    pairs: list[tuple[frozenset, frozenset]] = []
    for _, reviews in _reviews_by_document(session):
        docs_seen = set()
        for r in reviews:
            c = counts.setdefault(r.reviewer, Counter())
            c["reviews"] += 1
            c["bulk"] += r.bulk
            c["withdrawn"] += r.withdrawn_at is not None
            if r.reviewer not in docs_seen and r.withdrawn_at is None:
                c["documents"] += 1
                docs_seen.add(r.reviewer)
        latest: dict[str, frozenset] = {}
        for r in reviews:
            standing = r.withdrawn_at is None and r.reviewer not in admins
            if standing and (r.reviewer in latest or len(latest) < 2):
                latest[r.reviewer] = frozenset(r.labels)
        if len(latest) == 2:
            pairs.append(tuple(latest.values()))
    reviewers = [
        ReviewerCount(name, c["reviews"], c["documents"], c["bulk"], c["withdrawn"])
        for name, c in sorted(counts.items())
    ]
    agreement = []
    for label in LABELS:
        answers = [(label in a, label in b) for a, b in pairs]
        observed = sum(x == y for x, y in answers) / len(answers) if answers else None
        agreement.append(LabelAgreement(label, len(answers), observed, cohen_kappa(answers)))
    return reviewers, agreement, len(pairs)
