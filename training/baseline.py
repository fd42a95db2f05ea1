"""A keyword matcher, the yardstick the model must beat on every label.

A passage gets a label when it contains any of that label's cues from ``labels/taxonomy.toml``
(whole words or phrases, case-insensitive), leaving out the cues that only name a child ("boy",
"girl", "child"...), which say who the victim is but not what happened.
"""

from __future__ import annotations

import re

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from training.features import CUE_FAMILIES
from training.schemas import LABELS
from training.taxonomy import load_taxonomy


def _cue_pattern(cues: list[str]) -> re.Pattern:
    child = CUE_FAMILIES["child"]
    kept = [c for c in cues if not all(child.fullmatch(w) for w in c.lower().split())]
    kept = [c for c in kept if not re.search(r"\d", c)]  # "aged 12" is an example of a form
    return re.compile(r"\b(?:" + "|".join(re.escape(c.lower()) for c in kept) + r")\b")


class KeywordMatcher(ClassifierMixin, BaseEstimator):
    """Label ``k`` fires when one of the taxonomy's cues for it occurs in the passage."""

    def fit(self, X=None, y=None):
        """Nothing is learnt: the cues come from the taxonomy."""
        self.patterns_ = [_cue_pattern(label.cues) for label in load_taxonomy().labels]
        self.classes_ = np.array(LABELS)
        return self

    def predict(self, X) -> np.ndarray:
        return np.array(
            [[bool(p.search(text.lower())) for p in self.patterns_] for text in X], dtype=int
        ).reshape(-1, len(LABELS))
