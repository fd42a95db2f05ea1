"""Typed records shared by the corpus, the model, the API and the batch output."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

LabelId = Literal[
    "killing_maiming",
    "recruitment_use",
    "sexual_violence",
    "attacks_schools_hospitals",
    "abduction",
    "denial_humanitarian_access",
]
LABELS: tuple[str, ...] = get_args(LabelId)

NegativeType = Literal[
    "conflict_no_child_victims",
    "peacetime_lookalike",
    "abstract_mention",
    "children_no_conflict",
    "adult_only",
    "release_rescue_reintegration",
    "children_in_conflict_no_violation",
]
NEGATIVE_TYPES: tuple[str, ...] = get_args(NegativeType)

LangId = Literal["en", "fr", "es", "ar", "uk", "ru"]
LANGS: tuple[str, ...] = get_args(LangId)


class GoldSpan(BaseModel):
    """An annotated evidence span: ``text[start:end]`` states the act for ``label``."""

    model_config = ConfigDict(extra="forbid")

    label: LabelId
    start: int = Field(ge=0, description="First character (Python str index, code points).")
    end: int = Field(gt=0, description="One past the last character.")

    @model_validator(mode="after")
    def _ordered(self) -> GoldSpan:
        if self.end <= self.start:
            raise ValueError(f"span end {self.end} must be greater than start {self.start}")
        return self


class Record(BaseModel):
    """One annotated passage of the corpus (the annotation guide's record format)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    labels: list[LabelId]
    evidence: list[GoldSpan]
    source: str = Field(min_length=1)
    style: str = Field(min_length=1)
    region: str = Field(min_length=1)
    negative_type: NegativeType | None = None
    lang: LangId = Field(default="en", description="ISO 639-1 language of the text.")
    split: Literal["train", "eval"] | None = Field(
        default=None, description="Overrides the hash rule in labels/guidelines.md when set."
    )


class Evidence(BaseModel):
    """A predicted evidence span; ``text`` is exactly ``passage[start:end]``."""

    start: int = Field(ge=0, description="First character of the span in the submitted text.")
    end: int = Field(ge=0, description="One past the last character of the span.")
    text: str = Field(description="The span's text, equal to text[start:end].")
    score: float = Field(ge=0, le=1, description="How strongly this span supports the label.")


class LabelPrediction(BaseModel):
    """A label at or above its decision threshold, with the spans that support it."""

    label: LabelId = Field(description="Label id from the taxonomy.")
    score: float = Field(ge=0, le=1, description="Calibrated probability that the label applies.")
    evidence: list[Evidence] = Field(
        min_length=1, description="Spans supporting the label, strongest first."
    )


class Prediction(BaseModel):
    """The prediction schema used unchanged by the CLI, the API, batch output and review."""

    id: str | None = Field(default=None, description="The caller's id for the passage.")
    model: str = Field(description="Version of the model that produced the prediction.")
    labels: list[LabelPrediction] = Field(
        description="Labels at or above their thresholds, highest score first."
    )
    scores: dict[LabelId, float] = Field(
        description="Calibrated probability for each of the six labels."
    )
    lang: str = Field(
        default="en", description="ISO 639-1 code of the language detected in the text."
    )
    flags: list[Literal["unsupported_language"]] = Field(
        default_factory=list,
        description=(
            "Warnings about the prediction. `unsupported_language`: the text is not in English, "
            "French, Spanish, Arabic, Ukrainian or Russian, so its scores are not reliable."
        ),
    )
