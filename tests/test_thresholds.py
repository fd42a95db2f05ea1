"""A label's threshold is chosen where out-of-fold F1 is good over a window of thresholds."""

import numpy as np
import pytest
from sklearn.metrics import f1_score

from training.thresholds import GRID, f1_by_threshold, smoothed_best_threshold


def test_f1_by_threshold_is_f1_of_each_threshold():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    p = np.clip(y * 0.3 + rng.random(300) * 0.7, 0, 1)
    expected = [f1_score(y, p >= t) for t in GRID]
    np.testing.assert_allclose(f1_by_threshold(y, p), expected)


def cliff():
    """Positives spread over 0.3-0.9; negatives mostly far below, but 400 of them score
    exactly 0.50: F1 is best just above 0.50 and collapses one step below it."""
    rng = np.random.default_rng(1)
    p = np.concatenate([rng.uniform(0.3, 0.9, 300), rng.uniform(0.0, 0.3, 300), np.full(400, 0.5)])
    y = np.concatenate([np.ones(300), np.zeros(700)]).astype(int)
    return y, p


def test_without_smoothing_the_rule_is_the_plain_f1_argmax():
    y, p = cliff()
    assert smoothed_best_threshold(y, p, 0.0) == pytest.approx(0.51)


def test_smoothing_keeps_the_threshold_a_window_away_from_a_cliff():
    # at 0.51 a shift of the scores by 0.01 would let 400 false alarms through; averaged over
    # +-0.05, the rule settles where the whole window stays above the cliff
    y, p = cliff()
    assert smoothed_best_threshold(y, p, 0.05) - 0.05 > 0.50


def test_a_label_without_positives_gets_the_middle_threshold():
    assert smoothed_best_threshold(np.zeros(10, int), np.linspace(0, 1, 10), 0.03) == 0.5
