"""The corpus in labels/corpus validates and meets the corpus issues' minimums."""

import pytest

from training.corpus import corpus_stats, read_corpus, validate
from training.schemas import LABELS, LANGS, NEGATIVE_TYPES
from training.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def stats():
    return corpus_stats(read_corpus())


def test_shipped_corpus_validates():
    assert [str(p) for p in validate()] == []


def test_shipped_corpus_meets_minimums(stats):
    assert stats["records"] >= 5000
    assert all(stats["labels"][label] >= 400 for label in LABELS)
    assert all(stats["negative_types"].get(t, 0) >= 40 for t in NEGATIVE_TYPES)
    assert stats["region_count"] >= 25
    share = stats["split"]["eval"] / stats["records"]
    assert 0.15 <= share <= 0.25


def test_english_articles_are_many_and_mostly_hard_negatives(stats):
    english = stats["languages"]["en"]
    assert english["length_bands"]["article"] >= 400
    articles = stats["length_bands"]["article"]
    assert articles["negative_share"] >= 0.4


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != "en"])
def test_each_other_language_meets_its_minimums(stats, lang):
    group = stats["languages"][lang]
    assert group["length_bands"]["passage"] >= 350
    assert group["length_bands"]["article"] >= 50
    assert all(group["labels"][label] >= 40 for label in LABELS)
    assert group["negative_share"] >= 1 / 3


def test_taxonomy_ids_match_schema():
    assert tuple(label.id for label in load_taxonomy().labels) == LABELS
