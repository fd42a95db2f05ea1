"""Margins measured as a share of the way from each threshold to 0 or 1.

A document's margin was the smallest raw |score - threshold|. Three of the six thresholds are
usually below the default GRAVEWATCH_BULK_ACCEPT_MARGIN (0.4), so a document scoring 0 on any
of them was never far enough from its threshold, and bulk acceptance could take nothing. The
margin is now each score's distance from its threshold as a share of the way to 0 or to 1
(``service.store.margin``); every document's margin is recomputed from its latest prediction.
A prediction stored before 0004 kept no thresholds: its document keeps the margin it had, which
is never larger than the new measure would be (so it is not bulk-accepted more readily).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from service.store.margin import document_margin

revision = "0005"
down_revision = "0004"

documents = sa.table("documents", sa.column("id", sa.String), sa.column("margin", sa.Float))
predictions = sa.table(
    "predictions",
    sa.column("id", sa.Integer),
    sa.column("document_id", sa.String),
    sa.column("prediction", sa.JSON),
    sa.column("thresholds", sa.JSON),
)


def _raw_margin(scores: dict, thresholds: dict) -> float:
    """The margin before 0005."""
    return min(abs(scores.get(label, 0.0) - t) for label, t in thresholds.items())


def _remeasure(measure: Callable[[dict, dict], float]) -> None:
    """Set each document's margin to ``measure`` of its latest prediction's scores and
    thresholds, where both are known."""
    conn = op.get_bind()
    latest = (
        sa.select(sa.func.max(predictions.c.id).label("id"))
        .group_by(predictions.c.document_id)
        .subquery()
    )
    rows = conn.execute(
        sa.select(
            predictions.c.document_id, predictions.c.prediction, predictions.c.thresholds
        ).join(latest, latest.c.id == predictions.c.id)
    )
    changes = [
        {"doc": doc_id, "new_margin": measure(prediction["scores"], thresholds)}
        for doc_id, prediction, thresholds in rows
        if thresholds and isinstance(prediction, dict) and prediction.get("scores")
    ]
    if changes:
        conn.execute(
            documents.update()
            .where(documents.c.id == sa.bindparam("doc"))
            .values(margin=sa.bindparam("new_margin")),
            changes,
        )


def upgrade() -> None:
    _remeasure(document_margin)


def downgrade() -> None:
    _remeasure(_raw_margin)
