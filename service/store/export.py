"""Reviews as training data: the review each document trains on (`training_reviews`), in the
corpus format."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.orm import Session

from service.store.repository import training_reviews
from training.errors import InvalidInput
from training.files import write_atomic


def review_record(doc, review) -> dict:
    return {
        "id": f"review-{doc.id}",
        "text": doc.text,
        "labels": review.labels,
        "evidence": review.evidence,
        "source": f"review {review.id} by {review.reviewer} at {review.created_at.isoformat()}",
        "style": "reviewed",
        "region": "unknown",
        "negative_type": None,
    }


def export_reviews(session: Session, output: Path, needed: int = 1) -> int:
    """Write the records atomically (``write_atomic``), so that a failure leaves no partial or
    temporary file and an earlier export stays as it was; the file gets the mode of any new file
    (0644 under the usual umask), as `gravewatch score` output does. ``needed`` is how many
    reviewers a document needs (2 in double review) unless an admin settles it."""
    lines = (
        json.dumps(review_record(doc, review), ensure_ascii=False) + "\n"
        for doc, review in training_reviews(session, needed)
    )
    try:
        return write_atomic(output, lines)
    except OSError as e:
        raise InvalidInput(
            f"{output}: {e.strerror or e}; choose another -o", code="invalid_output"
        ) from None
