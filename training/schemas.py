"""The types and rules every layer shares: the annotated record and its spans, the prediction
schema, and the one rule each for a valid annotation (``annotation_problems``), a blank text
(``is_blank``) and the text normalisation that deduplication compares (``normalised_text``).

The corpus validator, the review store, retraining, batch scoring and the CLI all call these;
none writes its own copy."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

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
    # start < end <= len(text) is part of the annotation rule (``annotation_problems``): a span
    # alone does not know its text.


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
        default="en",
        description=(
            "ISO 639-1 code of the language detected in the text (`und` when it has no letter)."
        ),
    )
    flags: list[Literal["unsupported_language", "no_words"]] = Field(
        default_factory=list,
        description=(
            "Warnings about the prediction. `unsupported_language`: the text is not in English, "
            "French, Spanish, Arabic, Ukrainian or Russian, so its scores are not reliable. "
            "`no_words`: the text has no letter in any script (numbers, signs or emoji only), so "
            "there is nothing to read and every score is 0; its `lang` is `und`."
        ),
    )


# ---- shared rules -----------------------------------------------------------------------------
def field_path(loc) -> str:
    """Where a problem is in a record or a request, one way everywhere: ``items[1].text``,
    ``evidence[0].start``, ``query.limit`` (numbers are positions in a list)."""
    where = ""
    for part in loc:
        if isinstance(part, int):
            where += f"[{part}]"
        else:
            where += f".{part}" if where else str(part)
    return where


_VISIBLE = re.compile(
    r"[^\s\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)


def is_blank(text: str) -> bool:
    """No character but whitespace and invisible format characters (zero-width spaces and
    joiners, direction marks, U+FEFF, the soft hyphen): the one rule for an empty text, in the
    corpus, the API, batch input and the CLI."""
    return _VISIBLE.search(text) is None


def normalised_text(text: str) -> str:
    """The text as deduplication compares it: lowercased, whitespace runs as one space."""
    return " ".join(text.lower().split())


@dataclass(frozen=True)
class AnnotationProblem:
    """Why an annotation is invalid: a stable ``code`` and a message that says what to fix."""

    code: str
    message: str

    def __str__(self) -> str:
        return self.message


def _span(span) -> tuple[str, int, int]:
    if isinstance(span, Mapping):
        return span["label"], span["start"], span["end"]
    return span.label, span.start, span.end


def annotation_problems(
    text: str, labels: Sequence[str], evidence: Sequence
) -> list[AnnotationProblem]:
    """Every way ``labels`` and ``evidence`` (spans with ``label``, ``start``, ``end``, as
    objects or mappings) fail to annotate ``text``: the one validity rule for corpus records
    and reviews. Empty when the annotation is valid."""
    out = []
    if is_blank(text):
        out.append(AnnotationProblem("blank_text", "text is blank: give the passage's text"))
    repeated = sorted({label for label in labels if list(labels).count(label) > 1})
    if repeated:
        out.append(
            AnnotationProblem(
                "repeated_label",
                f"labels: {', '.join(repeated)} listed more than once: give each label once",
            )
        )
    for i, span in enumerate(evidence):
        label, start, end = _span(span)
        where = f"evidence[{i}] ({label} {start}-{end})"
        if label not in labels:
            out.append(
                AnnotationProblem(
                    "evidence_label_not_chosen",
                    f"{where}: label {label!r} is not among the labels: add it to the labels "
                    "or remove the span",
                )
            )
        if not 0 <= start < end <= len(text):
            out.append(
                AnnotationProblem(
                    "evidence_out_of_range",
                    f"{where}: offsets must satisfy 0 <= start < end <= {len(text)} "
                    "(the text's length in code points)",
                )
            )
        elif is_blank(text[start:end]):
            out.append(
                AnnotationProblem(
                    "evidence_blank",
                    f"{where}: the span is only whitespace: select the words that state the act",
                )
            )
    spanned = {_span(s)[0] for s in evidence}
    missing = [label for label in dict.fromkeys(labels) if label not in spanned]
    if missing:
        out.append(
            AnnotationProblem(
                "label_without_evidence",
                f"label(s) {', '.join(missing)} need at least one evidence span each",
            )
        )
    return out
