"""What the API accepts and returns (besides the shared prediction schema)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from training.schemas import Prediction
from training.taxonomy import LabelDefinition


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
