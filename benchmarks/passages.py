"""Synthetic 600-character passages for the benchmarks (written for Gravewatch, no real text),
and the plain pipeline every speed benchmark runs beside Gravewatch."""

from __future__ import annotations

import random

_SENTENCES = [
    "Local officials said an air strike hit a market on the edge of the town on Tuesday morning.",
    "Two boys aged 9 and 12 were among the wounded taken to the district hospital.",
    "The armed group denied any role and accused the army of shelling residential areas.",
    "Aid agencies said trucks carrying food had been held at the checkpoint for eleven days.",
    "Witnesses described fighters arriving at night and taking several teenagers from a camp.",
    "The ministry announced a new budget for road repairs and rural electrification.",
    "A spokesperson for the mission said a patrol had been sent to verify the reports.",
    "Teachers said the primary school had been closed since soldiers set up positions there.",
    "Families who fled the fighting are sheltering in schools and churches in the capital.",
    "The United Nations verified the recruitment of 31 children by parties to the conflict.",
    "Heavy rain has cut the main road, and prices of maize and cooking oil have doubled.",
    "Community leaders called for the release of everyone still held by the militia.",
]


def passages(n: int, length: int = 600, seed: int = 0) -> list[str]:
    """``n`` passages of exactly ``length`` characters, sentences drawn at random."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        text = ""
        while len(text) < length:
            text += rng.choice(_SENTENCES) + " "
        out.append(text[:length])
    return out


def plain_pipeline(records):
    """Word TF-IDF + one logistic regression per label, fitted on ``records``: the baseline
    the speed benchmarks time in the same run."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline

    from training.schemas import LABELS

    Y = np.array([[label in r.labels for label in LABELS] for r in records], dtype=int)
    return make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        OneVsRestClassifier(LogisticRegression(max_iter=1000)),
    ).fit([r.text for r in records], Y)
