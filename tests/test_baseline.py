"""The keyword matcher the model is compared with."""

from training.baseline import KeywordMatcher
from training.schemas import LABELS


def test_a_cue_fires_its_label():
    (row,) = KeywordMatcher().fit().predict(["Gunmen kidnapped the headman."])
    assert row[LABELS.index("abduction")] == 1


def test_words_that_only_name_a_child_fire_nothing():
    (row,) = KeywordMatcher().fit().predict(["A boy and a girl went to the market."])
    assert row.sum() == 0
