"""Documents keyed to their exact text, with opaque ids; the caller's id kept as ``source_id``;
skips.

Before, a document was keyed to a hash of its normalised text and took the caller's id, so a
prediction made for one text could be attached to another (offsets that do not fit), and ids with
``/`` could not be used in URLs. Each document now gets ``doc_`` and a hash of its exact text as
id; the old id is kept as ``source_id`` and predictions and reviews follow the new id.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from service.store.ids import document_id

revision = "0003"
down_revision = "0002"

documents = sa.table(
    "documents",
    sa.column("id", sa.String),
    sa.column("source_id", sa.Text),
    sa.column("text", sa.Text),
)


def upgrade() -> None:
    op.add_column("documents", sa.Column("source_id", sa.Text))
    op.drop_index("ix_documents_content_hash", table_name="documents")
    op.create_index("ix_documents_content_hash", "documents", ["content_hash"])
    op.create_table(
        "skips",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "document_id", sa.String(200), sa.ForeignKey("documents.id"), index=True, nullable=False
        ),
        sa.Column("reviewer", sa.String(200), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    conn = op.get_bind()
    columns = [c["name"] for c in sa.inspect(conn).get_columns("documents")]
    copy = ", ".join(c for c in columns if c not in ("id", "source_id"))
    for old, text in conn.execute(sa.select(documents.c.id, documents.c.text)).all():
        new = document_id(text)
        if new == old:
            continue
        # A copy under the new id, children moved to it, then the old row removed: no foreign
        # key ever points nowhere, on SQLite or PostgreSQL.
        conn.execute(
            sa.text(
                f"INSERT INTO documents (id, source_id, {copy}) "
                f"SELECT :new, :old, {copy} FROM documents WHERE id = :old"
            ),
            {"new": new, "old": old},
        )
        for child in ("predictions", "reviews"):
            conn.execute(
                sa.text(f"UPDATE {child} SET document_id = :new WHERE document_id = :old"),
                {"new": new, "old": old},
            )
        conn.execute(sa.text("DELETE FROM documents WHERE id = :old"), {"old": old})


def downgrade() -> None:
    op.drop_table("skips")
    op.drop_index("ix_documents_content_hash", table_name="documents")
    op.create_index("ix_documents_content_hash", "documents", ["content_hash"], unique=True)
    op.drop_column("documents", "source_id")
