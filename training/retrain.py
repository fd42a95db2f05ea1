"""Retraining from reviews, behind an evaluation gate.

The candidate learns from the corpus training split plus the latest review of every reviewed
document; a review replaces any corpus passage with the same text. About a fifth of the
reviewed documents (by a hash of their id, the corpus's own rule) are held out and join the
corpus evaluation split, so the evaluation set grows with the reviews. The candidate and the
active model are evaluated on that same set; the candidate is promoted only if its macro-F1 is
not lower by more than ``macro_tolerance`` and no label's F1 falls by more than
``label_tolerance``. Otherwise it is kept, marked rejected, with the comparison.

The gate fails closed: only a registry that has never had an active model promotes its first
candidate without a comparison. An active model that cannot be loaded or evaluated (a bad
checksum, another scikit-learn or feature-code version, a missing folder) blocks promotion: the
candidate stays registered, not active, and the reasons say how to go on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from training.corpus import corpus_checksum, corpus_files, read_corpus, split_of
from training.defaults import RETRAIN_LABEL_TOLERANCE, RETRAIN_MACRO_TOLERANCE
from training.evaluate import EvaluationReport, evaluate
from training.model import GraveViolationClassifier
from training.registry import (
    DEFAULT_MODELS_DIR,
    ActiveChanged,
    NoActiveModel,
    RegistryError,
    active_version,
    load_predictor,
    mark_rejected,
    read_card,
    set_active,
)
from training.schemas import LABELS, Record, annotation_problems, normalised_text
from training.train import train_records


class LabelChange(BaseModel):
    active: float | None = Field(description="The active model's F1 (None without one).")
    candidate: float = Field(description="The candidate's F1.")


class Comparison(BaseModel):
    candidate: str = Field(description="Version of the newly trained model.")
    active: str | None = Field(description="Version it was compared with.")
    evaluation_passages: int = Field(description="Passages both were evaluated on.")
    held_out_reviews: int = Field(description="Reviewed documents among them.")
    training_reviews: int = Field(description="Reviewed documents the candidate learnt from.")
    macro_f1: LabelChange = Field(description="Macro-F1 of both.")
    per_label: dict[str, LabelChange] = Field(description="F1 of both, per label.")
    promoted: bool = Field(description="Whether the candidate is now active.")
    reasons: list[str] = Field(description="Why the gate refused it (empty when it passed).")
    compared: bool = Field(
        default=True,
        description="False when the active model could not be evaluated, so the candidate "
        "was kept without a verdict on its quality.",
    )
    forced_by: str | None = Field(default=None, description="Who promoted it despite the gate.")
    skipped_reviews: list[str] = Field(
        default_factory=list,
        description="Reviews left out because their annotation is invalid, each with why.",
    )


def usable_reviews(reviews: Sequence[Record]) -> tuple[list[Record], list[str]]:
    """The reviews that pass the annotation rule every corpus record passes
    (``annotation_problems``), and one line per review left out, saying why."""
    usable, skipped = [], []
    for review in reviews:
        problems = annotation_problems(review.text, review.labels, review.evidence)
        if problems:
            skipped.append(f"{review.id}: {'; '.join(p.message for p in problems)}")
        else:
            usable.append(review)
    return usable, skipped


def training_data(
    reviews: Sequence[Record], corpus: Sequence[Path | str] | None = None
) -> list[Record]:
    """The corpus without the passages that reviews cover, plus the reviews."""
    reviewed = {normalised_text(r.text) for r in reviews}
    corpus_records = read_corpus(corpus)
    return [r for r in corpus_records if normalised_text(r.text) not in reviewed] + list(reviews)


def gate(
    candidate: EvaluationReport,
    active: EvaluationReport | None,
    macro_tolerance: float,
    label_tolerance: float,
) -> list[str]:
    """Reasons to refuse the candidate; empty when it may be promoted."""
    if active is None:
        return []
    reasons = []
    drop = active.macro_f1 - candidate.macro_f1
    if drop > macro_tolerance:
        reasons.append(
            f"macro-F1 falls by {drop:.3f} ({active.macro_f1:.3f} -> {candidate.macro_f1:.3f}), "
            f"more than the tolerance {macro_tolerance}"
        )
    for label in LABELS:
        fall = active.per_label[label].f1 - candidate.per_label[label].f1
        if fall > label_tolerance:
            reasons.append(
                f"{label} F1 falls by {fall:.3f}, more than the tolerance {label_tolerance}"
            )
    return reasons


def _active_parameters(models_dir: Path) -> dict:
    """The active model's estimator parameters, except its seed; empty without one."""
    try:
        card = read_card(active_version(models_dir), models_dir)
    except RegistryError:
        return {}  # without a readable active card, the estimator's defaults
    known = GraveViolationClassifier().get_params()
    return {k: v for k, v in card.parameters.items() if k in known and k != "random_state"}


def retrain(
    reviews: Sequence[Record],
    models_dir: Path = DEFAULT_MODELS_DIR,
    *,
    corpus: Sequence[Path | str] | None = None,
    seed: int = 0,
    macro_tolerance: float = RETRAIN_MACRO_TOLERANCE,
    label_tolerance: float = RETRAIN_LABEL_TOLERANCE,
    force_by: str | None = None,
    by: str = "gravewatch retrain",
    progress: Callable[[str, float], None] = lambda stage, fraction: None,
    params: dict | None = None,
) -> Comparison:
    """Train a candidate, compare it with the active model, promote it or mark it rejected.

    The candidate is fitted with ``params``, by default the active model's own estimator
    parameters (from its card), so that the comparison is between like and like."""
    if params is None:
        params = _active_parameters(models_dir)
    reviews, skipped = usable_reviews(reviews)
    records = training_data(reviews, corpus)
    held_out = [r for r in reviews if split_of(r) == "eval"]
    evaluation = [r for r in records if split_of(r) == "eval"]
    progress("training", 0.1)
    snapshot = "".join(r.model_dump_json() + "\n" for r in reviews).encode("utf-8")
    card = train_records(
        records,
        seed=seed,
        models_dir=models_dir,
        activate=False,
        data={
            "files": [str(p) for p in corpus_files(corpus)],
            "reviews": len(reviews),
            "reviews_checksum": corpus_checksum(reviews),
            "reviews_file": "reviews.jsonl",
        },
        extra_files={"reviews.jsonl": snapshot},
        params=params,
    )
    progress("evaluating", 0.8)
    candidate, _ = load_predictor(card.version, models_dir)
    candidate_report = evaluate(candidate, evaluation, "evaluation split with held-out reviews")
    active_report, unusable = None, None
    try:
        active_name = active_version(models_dir)
    except NoActiveModel:
        active_name = None  # the first model of this registry: nothing to compare with
    except RegistryError as e:
        active_name, unusable = None, str(e)
    else:
        try:
            active, _ = load_predictor(active_name, models_dir)
            active_report = evaluate(active, evaluation, "evaluation split with held-out reviews")
        except Exception as e:  # noqa: BLE001 - whatever stops the comparison blocks promotion
            unusable = str(e) if isinstance(e, RegistryError) else f"{type(e).__name__}: {e}"
    if unusable is not None:
        what = f"the active model {active_name}" if active_name else "the active model"
        reasons = [
            f"{what} cannot be loaded, so the candidate was not compared with it: {unusable}. "
            f"The candidate {card.version} is kept but not promoted: promote it explicitly with "
            f"`gravewatch models promote {card.version}` (or POST /v1/models/{card.version}/promote), "
            "or fix the active model and retrain"
        ]
    else:
        reasons = gate(candidate_report, active_report, macro_tolerance, label_tolerance)

    def change(get) -> LabelChange:
        return LabelChange(
            active=get(active_report) if active_report else None, candidate=get(candidate_report)
        )

    comparison = Comparison(
        candidate=card.version,
        active=active_name,
        evaluation_passages=len(evaluation),
        held_out_reviews=len(held_out),
        training_reviews=len(reviews) - len(held_out),
        macro_f1=change(lambda r: r.macro_f1),
        per_label={label: change(lambda r, k=label: r.per_label[k].f1) for label in LABELS},
        promoted=not reasons or force_by is not None,
        reasons=reasons,
        forced_by=force_by if reasons else None,
        compared=unusable is None,
        skipped_reviews=skipped,
    )
    if comparison.promoted:
        reason = "retrained" if not reasons else f"forced by {force_by} despite the gate"
        # Compared with a model that must still be the active one when the candidate replaces
        # it; forced over an unusable active model, the candidate replaces whatever is there.
        expect = {"expected_active": active_name} if unusable is None else {}
        try:
            set_active(card.version, models_dir, by=force_by or by, reason=reason, **expect)
        except ActiveChanged as e:
            comparison.promoted, comparison.forced_by = False, None
            comparison.reasons = [*reasons, str(e)]
    elif unusable is None:
        mark_rejected(card.version, comparison.model_dump(), models_dir)
    progress("done", 1.0)
    return comparison
