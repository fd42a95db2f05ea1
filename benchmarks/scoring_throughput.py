"""Scoring throughput on one core: Gravewatch (scores and evidence spans) beside a plain word
TF-IDF + logistic regression pipeline, on the same 600-character passages, in the same run.

Target (issue 3, for the first model): at least 70% of the plain pipeline's passages per second.
The second model adds character n-grams and sentence embeddings and does not meet it; per
language figures with 1 and 2 workers are in ``language_throughput.py``.

    .venv/bin/python benchmarks/scoring_throughput.py [--passages 5000] [--repeat 3]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from benchmarks.passages import passages, plain_pipeline  # noqa: E402
from training.corpus import read_corpus, split_of  # noqa: E402
from training.registry import load_predictor  # noqa: E402


def best_rate(fn, texts: list[str], batch: int, repeat: int) -> float:
    """Passages per second: the best of ``repeat`` timed passes over ``texts``."""
    best = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        for i in range(0, len(texts), batch):
            fn(texts[i : i + batch])
        best = max(best, len(texts) / (time.perf_counter() - start))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    texts = passages(args.passages)
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    records = [r for r in read_corpus() if split_of(r) == "train"]
    plain = plain_pipeline(records)
    predictor, _ = load_predictor()

    model = predictor.model

    def scores_and_evidence(batch: list[str]) -> None:
        proba, docs = model.score_documents(batch)
        for i, k in zip(*np.nonzero(proba >= model.thresholds_), strict=True):
            model.evidence_for(docs[i], k)

    predictor.predict(texts[:64])
    plain.predict_proba(texts[:64])
    ours = best_rate(scores_and_evidence, texts, args.batch, args.repeat)
    schema = best_rate(predictor.predict, texts, args.batch, args.repeat)
    baseline = best_rate(plain.predict_proba, texts, args.batch, args.repeat)
    seconds = args.passages / ours
    print(
        f"{args.passages} passages of 600 characters ({mb:.1f} MB), batches of {args.batch}, "
        f"one core, best of {args.repeat}"
    )
    print("| pipeline | passages/s | MB/s |")
    print("|---|---|---|")
    print(
        f"| Gravewatch {predictor.version}: scores + evidence spans | {ours:.0f} | "
        f"{mb / seconds:.2f} |"
    )
    print(
        f"| the same, as prediction-schema objects | {schema:.0f} | "
        f"{mb * schema / args.passages:.2f} |"
    )
    print(
        f"| plain TF-IDF + logistic regression | {baseline:.0f} | "
        f"{mb * baseline / args.passages:.2f} |"
    )
    ratio = ours / baseline
    print(
        f"Gravewatch / plain = {ratio:.0%}; target >= 70%: {'met' if ratio >= 0.7 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
