"""A document's margin: how far its prediction is from changing any label. The review queue
offers the smallest margins first (the most uncertain documents); bulk acceptance takes only
documents whose margin is at least GRAVEWATCH_BULK_ACCEPT_MARGIN.

A score's distance from its threshold is measured as a share of the way from the threshold to
the end on the score's side: down to 0 below the threshold, up to 1 at or above it. 0 is a
score on its threshold, 1 a score of 0 or 1. Raw distances could not be compared across
labels: with a threshold of 0.33, a score of 0 is only 0.33 away, yet as sure as can be.
"""

from __future__ import annotations

from collections.abc import Mapping


def score_margin(score: float, threshold: float) -> float:
    """How far ``score`` has gone from ``threshold`` towards 0 (below) or 1 (at or above)."""
    room = 1.0 - threshold if score >= threshold else threshold
    return min(1.0, abs(score - threshold) / room) if room > 0 else 0.0


def document_margin(scores: Mapping[str, float], thresholds: Mapping[str, float]) -> float:
    """The smallest ``score_margin`` over the labels with a threshold (a missing score is 0)."""
    return min(score_margin(scores.get(label, 0.0), t) for label, t in thresholds.items())
