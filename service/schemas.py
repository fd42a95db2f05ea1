"""What the API accepts and returns (besides the shared prediction schema)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from training.schemas import LabelId, Prediction
from training.taxonomy import LabelDefinition


def is_blank(text: str) -> bool:
    """No character but whitespace (Python's ``str.isspace``) and U+FEFF: the one rule for an
    empty passage, in the API (documented by ``ClassifyRequest.text``'s pattern) and in batch
    input."""
    return not text.replace("\ufeff", "").strip()


class ClassifyRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "a1",
                    "text": "An air strike hit the primary school on Tuesday, killing two "
                    "pupils aged 9 and 11.",
                }
            ]
        },
    )

    text: str = Field(
        description="The passage to classify (plain text, not blank, at most "
        "GRAVEWATCH_MAX_TEXT_CHARS characters). Evidence offsets index this exact string.",
        # Documented here, enforced by the route with errors that say what to fix.
        # Not blank: a character outside Python's whitespace (str.isspace) and U+FEFF, written so
        # that ECMA and Python regex engines agree.
        json_schema_extra={"minLength": 1, "pattern": "[^\\s\\x1c-\\x1f\\x85\\ufeff]"},
    )
    id: str | None = Field(
        default=None, max_length=200, description="Your id for the passage, echoed back."
    )
    store: bool = Field(
        default=False,
        strict=True,
        description="Also keep the passage and its prediction in the review store (needs a "
        "database; the same text is stored once).",
    )


class BatchItem(ClassifyRequest):
    pass


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[BatchItem] = Field(
        description="Passages to classify (at least one, at most GRAVEWATCH_MAX_BATCH_ITEMS).",
        json_schema_extra={"minItems": 1},
    )


class BatchResponse(BaseModel):
    results: list[Prediction] = Field(description="One prediction per item, in input order.")


class TaxonomyResponse(BaseModel):
    version: str = Field(description="Taxonomy version.")
    child_definition: str = Field(description="Who counts as a child.")
    labels: list[LabelDefinition] = Field(
        description="The six labels: id, name, definition, legal basis (Security Council "
        "resolutions), what counts, what does not, and typical cues."
    )


class Health(BaseModel):
    status: str = Field(description="`ok` when the process is alive.")


class Readiness(BaseModel):
    status: str = Field(description="`ready` when a model is loaded and answers.")
    model: str = Field(description="Version of the model being served.")


class ReviewSpan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: LabelId = Field(description="Label the span is evidence for.")
    start: int = Field(ge=0, description="First character (Python str index) in the document.")
    end: int = Field(gt=0, description="One past the last character.")


class ReviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    labels: list[LabelId] = Field(
        description="Every label the document carries (empty: none applies)."
    )
    evidence: list[ReviewSpan] = Field(
        default_factory=list, description="Spans that state each label; every label needs one."
    )
    comment: str = Field(default="", max_length=10_000, description="Free-text note.")


class ReviewPublic(BaseModel):
    id: int = Field(description="Review number (increasing).")
    reviewer: str = Field(description="Name of the reviewer's API key.")
    created_at: datetime = Field(description="When the review was stored (UTC).")
    labels: list[LabelId] = Field(description="Labels the reviewer chose.")
    evidence: list[ReviewSpan] = Field(description="Evidence spans the reviewer kept or added.")
    comment: str = Field(description="The reviewer's note.")


class DocumentPublic(BaseModel):
    id: str = Field(description="Document id.")
    text: str = Field(description="The document's text; offsets index it.")
    source: str | None = Field(description="Where the document came from.")
    url: str | None = Field(description="Link, when known.")
    title: str | None = Field(description="Title, when known.")
    published: str | None = Field(description="Publication date, when known.")
    content_hash: str = Field(description="Hash of the normalised text.")
    predictions: list[Prediction] = Field(description="Predictions by model version, oldest first.")
    reviews: list[ReviewPublic] = Field(description="Full review history, oldest first.")


class QueueItem(BaseModel):
    document: DocumentPublic = Field(description="The document, its predictions and reviews.")
    claimed_until: datetime = Field(description="The item is yours until then (UTC).")


class Queue(BaseModel):
    items: list[QueueItem] = Field(description="Documents to review, most uncertain first.")
    unreviewed: int = Field(description="Documents in the store with no review yet.")
