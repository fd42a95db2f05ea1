"""What the API accepts and returns (besides the shared prediction schema)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from training.schemas import LabelId, Prediction
from training.taxonomy import LabelDefinition

MAX_SPANS = 100  # evidence spans in one review
MAX_COMMENT_CHARS = 2000
# Documented in the schema (ECMA and Python regex engines agree on it); enforced by
# ``_plain_text`` with an error that says where.
NO_NUL = "^[^\\x00]*$"


_NOT_PLAIN = re.compile("[\x00\ud800-\udfff]")


def _plain_text(value: str) -> str:
    """Text a store and a log can hold: no NUL character, no lone surrogate (JSON allows
    ``\\ud800``, UTF-8 cannot encode it)."""
    found = _NOT_PLAIN.search(value)
    if found is None:
        return value
    index, char = found.start(), found.group()
    if char == "\x00":
        raise PydanticCustomError(
            "nul_character",
            "contains a NUL character (U+0000) at index {index}: remove it",
            {"index": index},
        )
    raise PydanticCustomError(
        "lone_surrogate",
        "contains a lone surrogate (U+{code}) at index {index}: send valid Unicode text",
        {"code": f"{ord(char):04X}", "index": index},
    )


PlainText = Annotated[str, AfterValidator(_plain_text)]


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

    text: PlainText = Field(
        description="The passage to classify (plain text without NUL characters, not blank, at "
        "most GRAVEWATCH_MAX_TEXT_CHARS characters). Evidence offsets index this exact string, "
        "in code points (Python str indices).",
        # Documented here, enforced by the route with errors that say what to fix.
        # Not blank: a character outside Python's whitespace (str.isspace) and U+FEFF; no NUL.
        # Written so that ECMA and Python regex engines agree.
        json_schema_extra={
            "minLength": 1,
            "pattern": "^[^\\x00]*[^\\s\\x00\\x1c-\\x1f\\x85\\ufeff][^\\x00]*$",
        },
    )
    id: PlainText | None = Field(
        default=None,
        max_length=200,
        description="Your id for the passage, echoed back (kept as the stored document's "
        "source_id).",
        json_schema_extra={"pattern": NO_NUL},
    )
    store: bool = Field(
        default=False,
        strict=True,
        description="Also keep the passage and its prediction in the review store (needs a key "
        "with role ingest or higher, and a database; the same exact text is stored once).",
    )


class BatchItem(ClassifyRequest):
    pass


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[BatchItem] = Field(
        description="Passages to classify (at least one, at most GRAVEWATCH_MAX_BATCH_ITEMS).",
        json_schema_extra={"minItems": 1},
    )


class ClassifyResult(Prediction):
    """The prediction, and the stored document it became when ``store`` was true."""

    document: str | None = Field(
        default=None,
        description="When the passage was stored: the id of its document in the review store "
        "(GET /v1/documents/{document}); the same exact text is always the same document. "
        "Null otherwise.",
    )


class BatchResponse(BaseModel):
    results: list[ClassifyResult] = Field(description="One prediction per item, in input order.")


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
    start: int = Field(
        ge=0, description="First character in the document, in code points (Python str index)."
    )
    end: int = Field(gt=0, description="One past the last character (code points).")


class ReviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Each once, every label with a span, spans inside the text: checked by the store with the
    # corpus's own rule (``training.schemas.annotation_problems``).
    labels: list[LabelId] = Field(
        description="Every label the document carries, each once (empty: none applies).",
        json_schema_extra={"uniqueItems": True},
    )
    evidence: list[ReviewSpan] = Field(
        default_factory=list,
        max_length=MAX_SPANS,
        description=f"Spans that state each label (at most {MAX_SPANS}); every label needs one.",
    )
    comment: PlainText = Field(
        default="",
        max_length=MAX_COMMENT_CHARS,
        description="Free-text note (no NUL characters).",
        json_schema_extra={"pattern": NO_NUL},
    )


class ReviewPublic(BaseModel):
    id: int = Field(description="Review number (increasing).")
    reviewer: str = Field(description="Name of the reviewer's API key.")
    created_at: datetime = Field(description="When the review was stored (UTC).")
    labels: list[LabelId] = Field(description="Labels the reviewer chose.")
    evidence: list[ReviewSpan] = Field(description="Evidence spans the reviewer kept or added.")
    comment: str = Field(description="The reviewer's note.")


class DocumentPublic(BaseModel):
    id: str = Field(description="Document id: doc_ and a hash of the exact text.")
    source_id: str | None = Field(
        description="The id the text came with: the caller's id, a file path or a link."
    )
    text: str = Field(description="The document's text; offsets index it (code points).")
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
