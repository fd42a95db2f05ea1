"""Reviews as training data: the review each document trains on (`training_reviews`), in the
corpus format."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from sqlalchemy.orm import Session

from service.store.repository import training_reviews
from training.errors import InvalidInput


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
    """Write the records atomically: into a temporary file beside ``output``, renamed over it
    once complete, so that a failure leaves no partial or temporary file and an earlier export
    stays as it was; the file gets the mode of any new file (0644 under the usual umask), as
    `gravewatch score` output does. ``needed`` is how many reviewers a document needs (2 in
    double review) unless an admin settles it."""
    tmp = output.with_name(f".{output.name}.{secrets.token_hex(4)}.tmp")
    count = 0
    try:
        with tmp.open("x", encoding="utf-8") as fh:
            for doc, review in training_reviews(session, needed):
                fh.write(json.dumps(review_record(doc, review), ensure_ascii=False) + "\n")
                count += 1
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, output)
    except OSError as e:
        raise InvalidInput(
            f"{output}: {e.strerror or e}; choose another -o", code="invalid_output"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
    return count
