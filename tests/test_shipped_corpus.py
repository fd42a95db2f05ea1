"""The corpus in labels/corpus validates and meets the issue's minimums."""

from training.corpus import corpus_stats, read_corpus, validate
from training.schemas import LABELS, NEGATIVE_TYPES
from training.taxonomy import load_taxonomy


def test_shipped_corpus_validates():
    assert [str(p) for p in validate()] == []


def test_shipped_corpus_meets_minimums():
    stats = corpus_stats(read_corpus())
    assert stats["passages"] >= 1500
    assert all(stats["labels"][label] >= 150 for label in LABELS)
    assert stats["multi_label_passages"] >= 150
    assert stats["negatives"] >= 450
    assert all(stats["negative_types"].get(t, 0) >= 40 for t in NEGATIVE_TYPES)
    assert stats["region_count"] >= 25
    share = stats["split"]["eval"] / stats["passages"]
    assert 0.15 <= share <= 0.25


def test_taxonomy_ids_match_schema():
    assert tuple(label.id for label in load_taxonomy().labels) == LABELS
