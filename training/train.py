"""Train a model on the corpus training split and register it."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from training.corpus import corpus_checksum, corpus_files, read_corpus, split_of
from training.evaluate import evaluate
from training.model import GraveViolationClassifier
from training.predict import Predictor
from training.registry import (
    DEFAULT_MODELS_DIR,
    ModelCard,
    library_versions,
    new_version,
    save_model,
    set_active,
    taxonomy_fingerprint,
)
from training.schemas import LABELS, Record

THRESHOLD_RULE = (
    "per label, the median of the thresholds whose F1 on out-of-fold probabilities of the training "
    "split (5-fold cross-validation) is within the model's threshold_tolerance of the best, "
    "clipped to [0.05, 0.95]"
)


ARMED_CONFLICT = {
    "conflict_no_child_victims": 1,
    "children_in_conflict_no_violation": 1,
    "release_rescue_reintegration": 1,
    "peacetime_lookalike": 0,
    "children_no_conflict": 0,
}
"""Whether a negative record is set in an armed conflict, by its type (a labelled record always
is); the other types (adult victims, abstract mentions) may be either."""


def armed_conflict(record: Record) -> int:
    """1 when the record is set in an armed conflict, 0 when not, -1 when its type leaves it
    open."""
    if record.labels:
        return 1
    return ARMED_CONFLICT.get(record.negative_type or "", -1)


def training_arrays(records: Sequence[Record]):
    """Texts, the label matrix, gold spans and armed-conflict flags as the estimator takes
    them."""
    texts = [r.text for r in records]
    Y = np.array([[label in r.labels for label in LABELS] for r in records], dtype=int)
    evidence = [[(LABELS.index(s.label), s.start, s.end) for s in r.evidence] for r in records]
    return texts, Y, evidence, [armed_conflict(r) for r in records]


def fit_model(records: Sequence[Record], seed: int = 0, **params) -> GraveViolationClassifier:
    texts, Y, evidence, conflict = training_arrays(records)
    return GraveViolationClassifier(random_state=seed, **params).fit(
        texts, Y, evidence=evidence, conflict=conflict
    )


def sample_records(records: Sequence[Record], size: int, seed: int = 0) -> list[Record]:
    """``size`` of the records drawn at random (``seed``), in their order; all when fewer."""
    if size >= len(records):
        return list(records)
    keep = set(random.Random(seed).sample(range(len(records)), size))
    return [r for i, r in enumerate(records) if i in keep]


def train(
    corpus: Sequence[Path | str] | None = None,
    seed: int = 0,
    models_dir: Path = DEFAULT_MODELS_DIR,
    activate: bool = True,
    params: dict | None = None,
    sample: int | None = None,
) -> ModelCard:
    """Fit on the corpus training split, evaluate on its evaluation split, save and activate;
    ``params`` overrides the estimator's defaults; ``sample`` trains and evaluates on that many
    corpus records drawn at random (a quick check, recorded in the card)."""
    records = read_corpus(corpus)
    data: dict = {"files": [str(p) for p in corpus_files(corpus)]}
    if sample is not None:
        data["sampled_from_records"] = len(records)
        records = sample_records(records, sample, seed)
    return train_records(
        records, seed=seed, models_dir=models_dir, activate=activate, data=data, params=params
    )


def train_records(
    records: Sequence[Record],
    seed: int = 0,
    models_dir: Path = DEFAULT_MODELS_DIR,
    activate: bool = True,
    data: dict | None = None,
    extra_files: dict[str, bytes] | None = None,
    params: dict | None = None,
) -> ModelCard:
    """Fit on the records' training split, evaluate on their evaluation split and save;
    ``data`` adds to the card's description of the training data, ``params`` overrides the
    estimator's defaults."""
    train_set = [r for r in records if split_of(r) == "train"]
    eval_set = [r for r in records if split_of(r) == "eval"]
    if not train_set or not eval_set:
        raise ValueError(
            f"{len(train_set)} record(s) in the training split and {len(eval_set)} in the "
            "evaluation split: both need records"
        )
    model = fit_model(train_set, seed=seed, **(params or {}))
    version = new_version(corpus_checksum(records))
    report = evaluate(Predictor(model, version), eval_set, "evaluation split")
    card = ModelCard(
        version=version,
        created_at=datetime.now(UTC),
        libraries=library_versions(),
        corpus={
            **(data or {}),
            "checksum": corpus_checksum(records),
            "records": len(records),
            "train_records": len(train_set),
            "eval_records": len(eval_set),
            "seed": seed,
        },
        parameters={k: v for k, v in model.get_params().items()},
        thresholds={label: float(t) for label, t in zip(LABELS, model.thresholds_, strict=True)},
        threshold_rule=THRESHOLD_RULE,
        cross_validation=model.cv_report_,
        evaluation=report.model_dump(exclude={"worst_errors", "pr_curves"}),
        taxonomy=taxonomy_fingerprint(),
    )
    save_model(model, card, models_dir, extra_files)
    if activate:
        set_active(version, models_dir)
    return card
