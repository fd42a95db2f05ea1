"""What the API accepts and returns (besides the shared prediction schema)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
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
    bulk: bool = Field(
        default=False, description="An admin's bulk acceptance of the model's labels."
    )
    batch: str | None = Field(
        default=None, description="The bulk acceptance it belongs to (undo it as a whole)."
    )
    withdrawn_at: datetime | None = Field(
        default=None, description="When it was withdrawn (undone); it then never trains."
    )


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
    thresholds: dict[LabelId, float] = Field(
        default_factory=dict,
        description="The latest prediction's model's threshold per label (empty when unknown).",
    )
    reviews: list[ReviewPublic] = Field(description="Full review history, oldest first.")


class QueueItem(BaseModel):
    document: DocumentPublic = Field(description="The document, its predictions and reviews.")
    claimed_until: datetime = Field(description="The item is yours until then (UTC).")


class Queue(BaseModel):
    items: list[QueueItem] = Field(description="Documents to review, most uncertain first.")
    unreviewed: int = Field(description="Documents in the store with no review yet.")


class DocumentSummary(BaseModel):
    id: str = Field(description="Document id.")
    source_id: str | None = Field(description="The id the text came with.")
    title: str | None = Field(description="Title, when known.")
    source: str | None = Field(description="Where the document came from.")
    url: str | None = Field(description="Link, when known.")
    published: str | None = Field(description="Publication date, when known.")
    created_at: datetime = Field(description="When it was stored (UTC).")
    snippet: str = Field(description="The text's first 200 characters.")
    labels: list[LabelId] = Field(description="Labels the latest prediction gave.")
    scores: dict[LabelId, float] = Field(description="The latest prediction's scores.")
    margin: float | None = Field(
        description="How far the latest prediction is from changing a label: each score's "
        "distance from its threshold as a share of the way to 0 (below) or 1 (above), the "
        "smallest of them. 0: a score on its threshold; 1: every score is 0 or 1."
    )
    reviewed: bool = Field(description="Whether it has the reviews it needs.")
    reviewers: list[str] = Field(description="Who has reviewed it (reviews that stand).")


class DocumentList(BaseModel):
    items: list[DocumentSummary] = Field(description="Matching documents, most uncertain first.")
    total: int = Field(description="How many documents match in all.")


class HistoryEntry(BaseModel):
    review: ReviewPublic = Field(description="The review.")
    version: int = Field(description="Its place among its reviewer's reviews of the document.")
    trains: bool = Field(description="Whether this is the review the document trains on.")


class DocumentHistory(BaseModel):
    document: str = Field(description="Document id.")
    status: Literal["unreviewed", "waiting", "disputed", "settled"] = Field(
        description="unreviewed: no review stands; waiting: for its second reviewer (double "
        "review); disputed: reviewers disagree and no admin has adjudicated; settled: it trains."
    )
    predictions: list[Prediction] = Field(description="The model's suggestions, oldest first.")
    reviews: list[HistoryEntry] = Field(description="Every review, oldest first.")


class ReviewerCountPublic(BaseModel):
    reviewer: str = Field(description="Name of the reviewer's key.")
    reviews: int = Field(description="Reviews written, every version and bulk one counted.")
    documents: int = Field(description="Documents with a standing review by them.")
    bulk: int = Field(description="Bulk acceptances among their reviews.")
    withdrawn: int = Field(description="Reviews of theirs that were withdrawn.")


class LabelAgreementPublic(BaseModel):
    label: LabelId = Field(description="The label.")
    documents: int = Field(description="Documents two reviewers answered.")
    observed: float | None = Field(description="Share of those on which they agreed.")
    kappa: float | None = Field(
        description="Cohen's kappa; null when undefined (no pairs, or both reviewers gave one "
        "same answer on every document)."
    )


class ReviewStats(BaseModel):
    double_review: bool = Field(description="Whether each document goes to two reviewers.")
    unreviewed: int = Field(description="Documents still waiting for reviews.")
    disputed: int = Field(description="Documents waiting for an admin's adjudication.")
    paired_documents: int = Field(
        description="Documents with two reviewers (not admins), the base of the agreement."
    )
    reviewers: list[ReviewerCountPublic] = Field(description="Counts per reviewer.")
    agreement: list[LabelAgreementPublic] = Field(
        description="Per label, agreement between the first two reviewers of each document."
    )


class Dispute(BaseModel):
    document: DocumentSummary = Field(description="The document.")
    reviews: list[ReviewPublic] = Field(
        description="Each reviewer's latest review, the ones that disagree."
    )


class DisputeList(BaseModel):
    items: list[Dispute] = Field(description="Documents waiting for adjudication.")


def _json_number(value):
    """A JSON number: true is not 1, and "5" is not 5 (128.0 is 128, as JSON Schema has it)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


class BulkAcceptRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: Annotated[int, BeforeValidator(_json_number)] = Field(
        default=100, ge=1, le=500, description="Most documents to accept."
    )


class BulkAcceptResult(BaseModel):
    batch: str | None = Field(
        description="Id of this acceptance, to undo it; null when no document qualified."
    )
    margin: float = Field(
        description="Every accepted score has gone at least this share of the way from its "
        "threshold to 0 or to 1 (GRAVEWATCH_BULK_ACCEPT_MARGIN)."
    )
    documents: list[str] = Field(description="The documents accepted.")


class BulkUndoResult(BaseModel):
    batch: str = Field(description="The acceptance undone.")
    documents: list[str] = Field(description="Documents whose bulk review was withdrawn.")


class Me(BaseModel):
    name: str = Field(description="Name of the caller's key.")
    role: str = Field(description="Its role.")
    double_review: bool = Field(description="Whether each document goes to two reviewers.")
    bulk_accept_margin: float = Field(
        description="The margin bulk acceptance needs (GRAVEWATCH_BULK_ACCEPT_MARGIN): every "
        "score this share of the way from its threshold to 0 or to 1."
    )
