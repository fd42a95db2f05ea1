"""Table rows. Reviews are append-only: a correction is a new row, never an update; undoing a
bulk acceptance marks its rows withdrawn."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.expression import false


class UtcDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back with its timezone (SQLite keeps none)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class DocumentRow(Base):
    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(
        String(200), primary_key=True, doc="doc_ and a hash of the exact text (``document_id``)."
    )
    source_id: Mapped[str | None] = mapped_column(
        Text, doc="The id the text came with: the caller's id, a file path, a link."
    )
    content_hash: Mapped[str] = mapped_column(
        String(64), index=True, doc="Hash of the normalised text (near-duplicates share it)."
    )
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(2000))
    url: Mapped[str | None] = mapped_column(String(2000))
    title: Mapped[str | None] = mapped_column(String(2000))
    published: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    margin: Mapped[float | None] = mapped_column(
        Float,
        index=True,
        doc="How far the latest prediction is from changing a label (``margin.py``): 0 on a "
        "threshold, 1 when every score is 0 or 1.",
    )
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reviewed: Mapped[bool] = mapped_column(default=False, index=True)


class PredictionRow(Base):
    __tablename__ = "predictions"
    __table_args__ = (UniqueConstraint("document_id", "model"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    model: Mapped[str] = mapped_column(String(100))
    prediction: Mapped[dict] = mapped_column(JSON)
    thresholds: Mapped[dict | None] = mapped_column(
        JSON, doc="The model's threshold per label (None for predictions stored before 0004)."
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReviewRow(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    labels: Mapped[list] = mapped_column(JSON)
    evidence: Mapped[list] = mapped_column(JSON)
    comment: Mapped[str] = mapped_column(Text, default="")
    bulk: Mapped[bool] = mapped_column(
        default=False, server_default=false(), doc="An admin's bulk acceptance of the model."
    )
    batch: Mapped[str | None] = mapped_column(
        String(40), index=True, doc="The bulk acceptance this review belongs to."
    )
    withdrawn_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime(), doc="When it was withdrawn (undone); a withdrawn review never trains."
    )
    withdrawn_by: Mapped[str | None] = mapped_column(String(200))


class SkipRow(Base):
    """A reviewer passed on a document: the queue does not offer it to them again for a while."""

    __tablename__ = "skips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class JobRow(Base):
    """A background job (retraining). ``running`` is 1 while queued or running and NULL after;
    its unique constraint lets only one such job exist at a time."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(40), default="")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    requested_by: Mapped[str] = mapped_column(String(200))
    force: Mapped[bool] = mapped_column(default=False)
    result: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    runner: Mapped[str | None] = mapped_column(String(200), doc="host:pid of the process")
    running: Mapped[int | None] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
