"""The fast sentence featuriser gives exactly scikit-learn's TF-IDF, and batch normalisation
gives exactly per-sentence normalisation."""

import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from training.features import TOKEN_PATTERN, normalise
from training.vectorize import SentenceFeaturizer, normalise_many

WORDS = [
    "the",
    "boys",
    "aged",
    "12",
    "were",
    "abducted",
    "school",
    "shelled",
    "by",
    "forces",
    "children's",
    "aid",
    "convoy",
    "blocked",
    "U.N.",
    "Gen.",
    "Ahmed,",
    "14,",
    "said",
    "—",
    "“siege”",
    "1,127",
    "killed.",
    "\n",
    "été",
    "air",
    "strike",
]
sentences = st.lists(
    st.lists(st.sampled_from(WORDS), min_size=0, max_size=25).map(" ".join),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(sentences, sentences)
def test_transform_equals_scikit_learn_tfidf(fit_on, transform):
    fit_on, transform = normalise_many(fit_on), normalise_many(transform)
    assume(any(re.search(TOKEN_PATTERN, s) for s in fit_on))  # a vocabulary to fit
    ours = SentenceFeaturizer(min_df=1).fit(fit_on)
    reference = TfidfVectorizer(
        lowercase=False, token_pattern=TOKEN_PATTERN, ngram_range=(1, 2), sublinear_tf=True
    ).fit(fit_on)
    X, masks = ours.transform_with_cues(transform)
    assert X.shape == (len(transform), len(reference.vocabulary_))
    np.testing.assert_allclose(X.toarray(), reference.transform(transform).toarray(), atol=1e-6)
    assert masks.shape == (len(transform),)


@given(st.lists(st.text(max_size=80), max_size=20))
def test_batch_normalisation_equals_one_by_one(texts):
    assert normalise_many(texts) == [normalise(t.replace("\x00", " ")) for t in texts]


def test_ages_become_tokens():
    assert normalise("Two boys aged 9 and 11").split() == [
        "two",
        "boys",
        "aged",
        "ageminor",
        "and",
        "num",
    ]
    assert "ageadult" in normalise("a 19-year-old woman")
    assert "ageminor" in normalise("Ahmed, 12, said")
    assert "ageminor" in normalise("children under the age of 15")


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("children between the ages of 12 and 14", "ageminor"),
        ("boys as young as 8 were trained", "ageminor"),
        ("girls as young as four", "ageminor"),
        ("recruits no older than 14", "ageminor"),
        ("two boys aged nine and eleven", "ageminor"),
        ("conscripts as young as 19", "ageadult"),
        ("men aged twenty-five", None),
        ("the page of 12 notes", None),
    ],
)
def test_ages_said_in_other_english_ways_become_tokens(text, token):
    tokens = set(normalise(text).split())
    if token is None:
        assert not {"ageminor", "ageadult"} & tokens
    else:
        assert token in tokens


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("un garçon de 12 ans", "ageminor"),
        ("une femme âgée de 70 ans", "ageadult"),
        ("des enfants de moins de 18 ans", "ageminor"),
        ("una niña de 9 años", "ageminor"),
        ("menores de 18 años", "ageminor"),
        ("14-летний мальчик", "ageminor"),
        ("в возрасте 15 лет", "ageminor"),
        ("до 18 лет", "ageminor"),
        ("загинула 70-річна жінка", "ageadult"),
        ("віком 14 років", "ageminor"),
        ("طفل يبلغ من العمر 12 عاما", "ageminor"),
        ("دون سن 18", "ageminor"),
    ],
)
def test_ages_in_the_other_languages_become_tokens(text, token):
    assert token in normalise(text).split()


@pytest.mark.parametrize(
    "text", ["depuis 12 ans de guerre", "hace 10 años", "за 5 лет", "منذ 10 سنوات", "в 2022 году"]
)
def test_spans_of_time_stay_numbers(text):
    assert "num" in normalise(text).split()
    assert not {"ageminor", "ageadult"} & set(normalise(text).split())


def test_cue_masks_mark_a_sentence_once_per_family():
    featurizer = SentenceFeaturizer(min_df=1).fit(["fighters abducted two boys"])
    _, masks = featurizer.transform_with_cues(["fighters abducted two boys", "the weather"])
    assert masks[0] != 0 and masks[1] == 0
