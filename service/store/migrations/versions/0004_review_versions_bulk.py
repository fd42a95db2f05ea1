"""Reviews that can be withdrawn and bulk acceptances; the thresholds a prediction was made
against.

A bulk acceptance (an admin accepting the model's labels for documents far from every
threshold) is a review with ``bulk`` set and the acceptance's ``batch`` id; undoing it sets
``withdrawn_at`` and ``withdrawn_by`` instead of deleting the rows, so the history stays whole.
A prediction keeps its model's thresholds so the page can show each score beside its threshold.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("bulk", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("batch", sa.String(40), nullable=True))
        batch.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("withdrawn_by", sa.String(200), nullable=True))
        batch.create_index("ix_reviews_batch", ["batch"])
    with op.batch_alter_table("predictions") as batch:
        batch.add_column(sa.Column("thresholds", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("predictions") as batch:
        batch.drop_column("thresholds")
    with op.batch_alter_table("reviews") as batch:
        batch.drop_index("ix_reviews_batch")
        for column in ("withdrawn_by", "withdrawn_at", "batch", "bulk"):
            batch.drop_column(column)
