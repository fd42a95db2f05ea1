"""Sentence features in one fast pass: TF-IDF rows and cue flags for many sentences.

scikit-learn's ``TfidfVectorizer`` fits the vocabulary and idf weights; ``transform`` here
reproduces its output (word n-grams up to 2, sublinear tf, idf, L2 norm) without per-sentence
call overhead, and reads the cue word lists (``features.CUE_FAMILIES``) from the same tokens.
"""

from __future__ import annotations

import re
from itertools import repeat

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from training.features import CUE_FAMILIES, CUE_PHRASES, FAMILY_BITS, TOKEN_PATTERN, normalise

_SEP = "\x00"
_TOKEN_OR_SEP = re.compile(f"{_SEP}|{TOKEN_PATTERN.removeprefix('(?u)')}")
_SEP_BIT = 1 << 15  # marks the separator token; cue families use the bits below
_CUE_BITS = _SEP_BIT - 1
_PHRASE_MASKS: dict[str, int] = {}
for _name, _phrases in CUE_PHRASES.items():
    for _p in _phrases:
        _PHRASE_MASKS[_p] = _PHRASE_MASKS.get(_p, 0) | FAMILY_BITS[_name]
_MAX_CACHED_TOKENS = 500_000


def _token_mask(token: str) -> int:
    word = token.split("'", 1)[0]
    mask = 0
    for name, pattern in CUE_FAMILIES.items():
        if pattern.fullmatch(word):
            mask |= FAMILY_BITS[name]
    return mask


def normalise_many(sentences: list[str]) -> list[str]:
    """``features.normalise`` of every sentence, in one pass over their concatenation."""
    if not sentences:
        return []
    joined = _SEP.join(s.replace(_SEP, " ") for s in sentences)
    return normalise(joined).split(_SEP)


class SentenceFeaturizer(TransformerMixin, BaseEstimator):
    """TF-IDF (word 1..n-grams) of normalised sentences, and a bit mask of cue families each
    sentence contains (bit ``i`` is ``list(CUE_FAMILIES)[i]``)."""

    def __init__(self, ngram_range=(1, 2), min_df=2, max_features=100_000):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features

    def fit(self, sentences, y=None):
        if tuple(self.ngram_range) not in ((1, 1), (1, 2)):
            raise ValueError(f"ngram_range must be (1, 1) or (1, 2), got {self.ngram_range}")
        tfidf = TfidfVectorizer(
            lowercase=False,
            token_pattern=TOKEN_PATTERN,
            ngram_range=tuple(self.ngram_range),
            min_df=self.min_df,
            max_features=self.max_features,
            sublinear_tf=True,
            dtype=np.float32,
        ).fit(sentences)
        self.vocabulary_ = tfidf.vocabulary_
        self.idf_ = tfidf.idf_.astype(np.float32)
        return self

    def transform(self, sentences):
        return self.transform_with_cues(sentences)[0]

    def _lookup_tables(self) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
        """Token and word-pair tables: ``(vocabulary index + 1) << 16 | cue mask``.

        Built on first use and not pickled; the token table also caches tokens outside the
        vocabulary (index part 0) for their cue masks."""
        tables = getattr(self, "_tables", None)
        if tables is None:
            tokens: dict[str, int] = {_SEP: _SEP_BIT}
            pairs: dict[tuple[str, str], int] = {
                tuple(p.split(" ")): m for p, m in _PHRASE_MASKS.items()
            }
            for term, j in self.vocabulary_.items():
                if " " in term:  # only present when ngram_range reaches 2
                    pair = tuple(term.split(" "))
                    pairs[pair] = ((j + 1) << 16) | pairs.get(pair, 0)
                else:
                    tokens[term] = ((j + 1) << 16) | _token_mask(term)
            tables = self._tables = (tokens, pairs)
        return tables

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_tables", None)
        return state

    def transform_with_cues(self, sentences) -> tuple[sp.csr_matrix, np.ndarray]:
        """TF-IDF rows ``(n, vocabulary)`` and cue masks ``(n,)`` of normalised sentences.

        The whole batch is tokenised in one pass, with a separator token between sentences;
        token and word-pair lookups run in C (``map``), bit arithmetic and counting in numpy.
        Word pairs that span the separator are in no table, so no bigram crosses sentences."""
        check_is_fitted(self, "vocabulary_")
        tokens, pairs = self._lookup_tables()
        if len(tokens) > len(self.vocabulary_) + _MAX_CACHED_TOKENS:
            del self._tables
            tokens, pairs = self._lookup_tables()
        n = len(sentences)
        if n == 0:
            return sp.csr_matrix((0, len(self.vocabulary_)), dtype=np.float32), np.zeros(0, int)
        words = _TOKEN_OR_SEP.findall(_SEP.join(sentences) + _SEP)
        found = list(map(tokens.get, words))
        if None in found:  # first sight of words outside the vocabulary: cache their cue masks
            for word in set(words).difference(tokens):
                tokens[word] = _token_mask(word)
            found = list(map(tokens.get, words))
        n_words = len(found)
        found += map(pairs.get, zip(words, words[1:], strict=False), repeat(0))
        info = np.fromiter(found, dtype=np.int64, count=len(found))
        is_sep = (info[:n_words] & _SEP_BIT) != 0
        row = np.cumsum(is_sep) - is_sep
        rows = np.concatenate([row, row[:-1]])
        masks = np.zeros(n, dtype=np.int64)
        np.bitwise_or.at(masks, rows, info & _CUE_BITS)  # rows: each sentence's entries
        column = (info >> 16) - 1
        keep = column >= 0
        X = sp.csr_matrix(
            (np.ones(int(keep.sum()), dtype=np.float32), (rows[keep], column[keep])),
            shape=(n, len(self.vocabulary_)),
        )
        X.sum_duplicates()
        np.log(X.data, out=X.data)
        X.data += 1.0
        X.data *= self.idf_[X.indices]
        return normalize(X, copy=False), masks
