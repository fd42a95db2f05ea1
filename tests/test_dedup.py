"""Duplicate detection: syndicated copies are found, distinct reports are not merged."""

from benchmarks.dedup_quality import build, measure
from service.batch.dedup import DuplicateIndex, content_hash, signature


def test_whitespace_and_case_do_not_make_a_new_document():
    assert content_hash("Gunmen  took\nthe boys.") == content_hash("gunmen took the boys.")


def test_copies_with_datelines_headlines_and_signoffs_are_all_found():
    result = measure(build(300, seed=1))
    recall = result["recall_by_edit"]
    assert recall["dateline"] == recall["headline"] == recall["signoff"] == 1.0
    assert result["precision"] >= 0.98
    assert result["recall"] >= 0.8


def test_index_answers_with_the_first_document():
    index = DuplicateIndex()
    text = "Fighters raided the village of Kalo at night and abducted fourteen boys, officials said."
    index.add("first", content_hash(text), signature(text))
    copy = "KALO (Wire) - " + text + " (Reporting by A. Writer)"
    assert index.find(content_hash(copy), signature(copy)) == "first"
    other = "The council approved the budget for new roads and two clinics on Monday."
    assert index.find(content_hash(other), signature(other)) is None
