"""Reviews as training data: the review each document trains on (`training_reviews`), in the
corpus format."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from service.store.repository import training_reviews


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
    """Write the records atomically (a temporary file renamed over ``output``); ``needed`` is
    how many reviewers a document needs (2 in double review) unless an admin settles it."""
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
    count = 0
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        for doc, review in training_reviews(session, needed):
            fh.write(json.dumps(review_record(doc, review), ensure_ascii=False) + "\n")
            count += 1
    os.replace(tmp, output)
    return count
