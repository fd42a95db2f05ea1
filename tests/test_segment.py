"""Sentence segmentation: offsets are exact for any input."""

from hypothesis import given
from hypothesis import strategies as st

from training.segment import segment


@given(st.text(max_size=2000))
def test_spans_lie_inside_text_in_order(text):
    last = 0
    for start, end in segment(text):
        assert 0 <= last <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
        last = end


def test_abbreviations_and_missing_spaces():
    text = "The U.N. said Gen. Smith left. Then 5 children died.Others fled.\n- bullet two"
    assert [text[s:e] for s, e in segment(text)] == [
        "The U.N. said Gen. Smith left.",
        "Then 5 children died.",
        "Others fled.",
        "bullet two",
    ]


def test_a_piece_without_letters_is_no_sentence():
    text = "Shelling hit the school.\n2024\n12 / 14\nFive pupils were hurt."
    assert [text[s:e] for s, e in segment(text)] == [
        "Shelling hit the school.",
        "Five pupils were hurt.",
    ]
