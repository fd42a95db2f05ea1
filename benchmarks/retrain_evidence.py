"""Evidence that retraining from reviews works, and that the gate stops bad reviews.

1. A model is trained on the corpus without its real-register files (UN and NGO reports,
   schools and sieges, long articles, denial without child victims, indirect recruitment, and
   their hard negatives): it has not seen that kind of text.
2. Reviews correct its output on those documents (their gold labels, as a monitor would give).
   Retraining promotes a candidate; on the held-out reviewed documents of that kind (never
   trained on), F1 rises.
3. Deliberately wrong reviews (labels swapped for others) on the same documents: the candidate
   is rejected by the gate and the active model stays.

    .venv/bin/python benchmarks/retrain_evidence.py
"""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from training.corpus import corpus_files, read_corpus, split_of  # noqa: E402
from training.evaluate import evaluate  # noqa: E402
from training.registry import active_version, load_predictor  # noqa: E402
from training.retrain import Comparison, retrain  # noqa: E402
from training.schemas import LABELS, GoldSpan, Record  # noqa: E402
from training.train import train  # noqa: E402

HELD_BACK = (
    "un.jsonl",
    "ng.jsonl",
    "sh.jsonl",
    "lg.jsonl",
    "dx.jsonl",
    "rx.jsonl",
    "nx.jsonl",
    "ny.jsonl",
)


def as_reviews(records: list[Record], wrong: bool = False, seed: int = 0) -> list[Record]:
    """Reviews of ``records``: their gold labels, or (``wrong``) other labels on each."""
    rng = random.Random(seed)
    out = []
    for r in records:
        labels, evidence = list(r.labels), list(r.evidence)
        if wrong:
            others = [label for label in LABELS if label not in r.labels]
            labels = rng.sample(others, k=min(len(others), max(1, len(r.labels))))
            evidence = [GoldSpan(label=label, start=0, end=len(r.text)) for label in labels]
        out.append(
            r.model_copy(
                update={
                    "id": f"review-{r.id}",
                    "labels": labels,
                    "evidence": evidence,
                    "negative_type": None if labels else r.negative_type,
                }
            )
        )
    return out


def held_out_f1(version: str, models: Path, reviews: list[Record]) -> dict:
    predictor, _ = load_predictor(version, models)
    report = evaluate(predictor, [r for r in reviews if split_of(r) == "eval"], "held-out reviews")
    return {"macro": report.macro_f1, **{k: v.f1 for k, v in report.per_label.items()}}


def base_files() -> list[Path]:
    """The corpus files without the held-back ones."""
    return [p for p in corpus_files() if p.name not in HELD_BACK]


def run(
    models: Path, params: dict | None = None, base: list[Path] | None = None
) -> tuple[dict, dict, Comparison, Comparison]:
    """``params`` overrides the estimator's defaults for every model trained here; ``base``
    (default ``base_files()``) is what every model learns from beside the reviews."""
    base = base or base_files()
    kept_back = read_corpus([p for p in corpus_files() if p.name in HELD_BACK])
    first = train(base, models_dir=models, params=params).version
    good = as_reviews(kept_back)
    before = held_out_f1(first, models, good)
    accepted = retrain(good, models, corpus=base)
    after = held_out_f1(active_version(models), models, good)
    rejected = retrain(as_reviews(kept_back, wrong=True), models, corpus=base)
    return before, after, accepted, rejected


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        before, after, accepted, rejected = run(Path(tmp))
    print(
        f"correcting reviews: {accepted.training_reviews} trained on, "
        f"{accepted.held_out_reviews} held out; promoted: {accepted.promoted}"
    )
    print(f"held-out reviewed documents, macro-F1 {before['macro']:.3f} -> {after['macro']:.3f}")
    for label in LABELS:
        print(f"  {label}: {before[label]:.3f} -> {after[label]:.3f}")
    print(
        f"gate set macro-F1: active {accepted.macro_f1.active:.3f}, "
        f"candidate {accepted.macro_f1.candidate:.3f}"
    )
    print(f"wrong reviews: promoted: {rejected.promoted}; reasons: {'; '.join(rejected.reasons)}")


if __name__ == "__main__":
    main()
