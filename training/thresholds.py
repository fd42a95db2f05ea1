"""A label's decision threshold, chosen on out-of-fold probabilities.

The F1 of one threshold on out-of-fold probabilities is noisy: near its maximum the curve is
flat and jagged, so its argmax (or the highest threshold near it) jumps between neighbouring
corpora by 0.1 or more. The rule here averages F1 over a window of thresholds first and takes
the centre of the best window: a threshold in a broad good region, not on a lone spike.
"""

from __future__ import annotations

import numpy as np

STEP = 0.01
GRID = np.round(np.arange(0.05, 0.95 + STEP / 2, STEP), 2)
"""Thresholds considered: 0.05 to 0.95 in steps of 0.01."""


def f1_by_threshold(y: np.ndarray, p: np.ndarray, grid: np.ndarray = GRID) -> np.ndarray:
    """F1 of ``p >= t`` against the binary ``y`` for every ``t`` of ``grid``."""
    y = np.asarray(y).astype(bool)
    fired = np.asarray(p)[:, None] >= grid[None, :]
    tp = (fired & y[:, None]).sum(axis=0)
    return 2 * tp / np.maximum(fired.sum(axis=0) + y.sum(), 1)


def smoothed_best_threshold(y: np.ndarray, p: np.ndarray, half_width: float) -> float:
    """The threshold of ``GRID`` whose F1, averaged over the grid thresholds within
    ``half_width`` of it, is highest (the lowest such threshold on a tie; 0.5 without
    positives). ``half_width`` 0 is the plain F1 argmax on the grid."""
    if not np.asarray(y).any():
        return 0.5
    f1 = f1_by_threshold(y, p)
    k = int(round(half_width / STEP))
    index = np.arange(len(f1))
    lo, hi = np.maximum(index - k, 0), np.minimum(index + k + 1, len(f1))
    total = np.concatenate([[0.0], np.cumsum(f1)])
    return float(GRID[np.argmax((total[hi] - total[lo]) / (hi - lo))])
