"""The Gravewatch classifier: sentence-level evidence, document-level calibrated scores.

Three linear scikit-learn stages:

1. A sentence model. Each passage is segmented into sentences; a sentence is a positive
   example of a label when it overlaps that label's gold evidence. Word 1-2-gram TF-IDF
   (with ages and numbers normalised), beside binary cue conjunctions that restate the
   annotation guide (an act of the label's kind, with a child named, in a passage about an
   armed conflict, or in normative wording; ``features.cue_features``), feeds one logistic
   regression per label. Its sentence scores are the evidence.
2. A passage model: one logistic regression per label on the passage vector (the
   L2-normalised sum of its sentence vectors), trained on the passage labels.
3. A stacker per label. It reads the sentence scores (strongest, second strongest, mean), the
   passage model's score and passage-level cues (a child is named, only an adult age, normative
   wording), and outputs a calibrated probability. It is fitted on out-of-fold scores of the
   first two stages, so it learns how far to trust them.

Per-label decision thresholds maximise F1 on out-of-fold probabilities of the training data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, precision_recall_curve
from sklearn.model_selection import KFold
from sklearn.utils.validation import check_is_fitted

from training.features import CUE_FAMILIES, CUE_GROUPS, cue_matrix
from training.schemas import LABELS
from training.segment import segment
from training.vectorize import SentenceFeaturizer, normalise_many

N_STACK_FEATURES = 8


@dataclass(frozen=True)
class SentenceScores:
    """One passage's sentences and their per-label scores."""

    spans: list[tuple[int, int]]
    scores: np.ndarray  # (n_sentences, n_labels)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _cue_columns(vec) -> dict[str, np.ndarray]:
    """Vocabulary columns of each passage-level cue: words naming a child (the ``child`` cue
    family), an adult, or normative wording."""
    words = [(w, i) for w, i in vec.vocabulary_.items() if " " not in w]
    columns = {"child": sorted(i for w, i in words if CUE_FAMILIES["child"].fullmatch(w))}
    columns |= {name: sorted(i for w, i in words if w in cues) for name, cues in CUE_GROUPS.items()}
    return {name: np.array(cols, dtype=int) for name, cols in columns.items()}


def _sentences(texts, spans) -> tuple[list[str], np.ndarray]:
    """Every sentence normalised, and the index of its passage."""
    flat = normalise_many([t[s:e] for t, doc in zip(texts, spans, strict=True) for s, e in doc])
    owner = np.repeat(np.arange(len(texts)), [len(doc) for doc in spans])
    return flat, owner


def _sentence_matrix(featurizer, sentences, owner, n_passages, cue_weight):
    """TF-IDF rows of normalised sentences, beside their weighted cue conjunctions."""
    X, masks = featurizer.transform_with_cues(sentences)
    if cue_weight == 0:
        return X
    cues = cue_matrix(masks, owner, n_passages) * cue_weight
    return sp.csr_matrix(sp.hstack([X, sp.csr_matrix(cues)]))


def _vectorise(featurizer, texts, spans, cue_weight):
    """Sentence rows, passage rows (L2-normalised sums of their sentences) and counts."""
    flat, owner = _sentences(texts, spans)
    Xs = _sentence_matrix(featurizer, flat, owner, len(texts), cue_weight)
    counts = np.array([len(doc) for doc in spans], dtype=int)
    agg = sp.csr_matrix(
        (np.ones(len(owner), dtype=np.float32), (owner, np.arange(len(owner)))),
        shape=(len(texts), len(owner)),
    )
    Xd = agg @ Xs
    norms = np.sqrt(np.asarray(Xd.multiply(Xd).sum(axis=1))).ravel()
    Xd = sp.diags(1.0 / np.maximum(norms, 1e-12)) @ Xd
    return Xs, sp.csr_matrix(Xd), counts


def _top_two_and_mean(S: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per passage and label: highest, second highest (0 with one sentence) and mean sentence
    score, ``(n_passages, n_labels, 3)``; all 0 for a passage without sentences."""
    out = np.zeros((len(counts), S.shape[1], 3))
    has = counts > 0
    if not has.any():
        return out
    starts = (np.cumsum(counts) - counts)[has]
    n = counts[has][:, None]
    owner = np.repeat(np.arange(len(starts)), counts[has])
    top = np.maximum.reduceat(S, starts)
    is_top = top[owner] == S
    rest = np.maximum.reduceat(np.where(is_top, -np.inf, S), starts)
    second = np.where(np.add.reduceat(is_top, starts) >= 2, top, rest)
    second = np.where(n > 1, second, 0.0)
    out[has] = np.stack([top, second, np.add.reduceat(S, starts) / n], axis=-1)
    return out


class GraveViolationClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label classifier for the six grave violations, with sentence evidence.

    ``fit(X, y, evidence=...)``: ``X`` is a sequence of passages, ``y`` a binary
    ``(n_samples, 6)`` matrix in ``LABELS`` order, ``evidence`` for each passage a list of
    ``(label_index, start, end)`` gold spans (optional: without it every sentence of a
    positive passage counts as evidence).
    """

    def __init__(
        self,
        C: float = 16.0,
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int = 2,
        max_features: int | None = 100_000,
        stack_C: float = 1.0,
        cv: int = 5,
        evidence_ratio: float = 0.5,
        max_evidence: int = 5,
        cue_weight: float = 0.5,
        threshold_tolerance: float = 0.01,
        cv_repeats: int = 3,
        random_state: int = 0,
    ):
        self.C = C
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.stack_C = stack_C
        self.cv = cv
        self.evidence_ratio = evidence_ratio
        self.max_evidence = max_evidence
        self.cue_weight = cue_weight
        self.threshold_tolerance = threshold_tolerance
        self.cv_repeats = cv_repeats
        self.random_state = random_state

    # ---- fitting -------------------------------------------------------------------
    def fit(self, X, y, evidence=None):
        texts = list(X)
        Y = np.asarray(y, dtype=int)
        if Y.shape != (len(texts), len(LABELS)):
            raise ValueError(f"y must have shape ({len(texts)}, {len(LABELS)}), got {Y.shape}")
        evidence = list(evidence) if evidence is not None else [None] * len(texts)
        spans = [segment(t) for t in texts]
        sent_doc, sent_y = self._sentence_labels(spans, Y, evidence)
        sent_texts, sent_owner = _sentences(texts, spans)

        rng = np.random.RandomState(self.random_state)
        repeats = []  # (folds, out-of-fold stacker inputs) per repetition of the CV
        for _ in range(self.cv_repeats):
            folds = KFold(self.cv, shuffle=True, random_state=rng.randint(2**31 - 1))
            oof = np.zeros((len(texts), len(LABELS), N_STACK_FEATURES))
            for train_docs, test_docs in folds.split(texts):
                in_train = np.isin(sent_doc, train_docs)
                vec, W, b = self._fit_sentence_model(
                    [s for s, keep in zip(sent_texts, in_train, strict=True) if keep],
                    sent_owner[in_train],
                    len(texts),
                    sent_y[in_train],
                )
                Wd, bd = self._fit_doc_model(
                    vec,
                    [texts[i] for i in train_docs],
                    [spans[i] for i in train_docs],
                    Y[train_docs],
                )
                fold_texts = [texts[i] for i in test_docs]
                fold_spans = [spans[i] for i in test_docs]
                oof[test_docs] = self._stack_features(
                    (vec, W, b, Wd, bd), fold_texts, fold_spans, _cue_columns(vec)
                )[0]
            repeats.append((folds, oof))

        self.featurizer_, self.coef_, self.intercept_ = self._fit_sentence_model(
            sent_texts, sent_owner, len(texts), sent_y
        )
        self.doc_coef_, self.doc_intercept_ = self._fit_doc_model(self.featurizer_, texts, spans, Y)
        self.cue_columns_ = _cue_columns(self.featurizer_)
        # Stackers learn from every repetition's out-of-fold inputs; thresholds and the Brier
        # score come from out-of-fold stacker probabilities pooled over the repetitions.
        Y_pool = np.concatenate([Y] * len(repeats))
        oof_pool = np.concatenate([oof for _, oof in repeats])
        oof_proba = np.concatenate(
            [
                np.column_stack(
                    [
                        self._cross_val_stacker(oof[:, k, :], Y[:, k], folds)
                        for k in range(len(LABELS))
                    ]
                )
                for folds, oof in repeats
            ]
        )
        self.stackers_ = [
            LogisticRegression(C=self.stack_C, max_iter=1000).fit(oof_pool[:, k, :], Y_pool[:, k])
            for k in range(len(LABELS))
        ]
        self.thresholds_ = np.array(
            [self._best_threshold(Y_pool[:, k], oof_proba[:, k]) for k in range(len(LABELS))]
        )
        self.cv_report_ = {
            label: {
                "threshold": float(self.thresholds_[k]),
                "brier": float(brier_score_loss(Y_pool[:, k], oof_proba[:, k])),
                "positives": int(Y[:, k].sum()),
            }
            for k, label in enumerate(LABELS)
        }
        self.classes_ = np.array(LABELS)
        return self

    def _sentence_labels(self, spans, Y, evidence):
        """Each sentence's passage index and labels (it overlaps that label's gold span)."""
        sent_doc, rows = [], []
        for i, doc_spans in enumerate(spans):
            gold = evidence[i]
            for s, e in doc_spans:
                row = np.zeros(len(LABELS), dtype=int)
                for k in np.flatnonzero(Y[i]):
                    if gold is None:
                        row[k] = 1
                        continue
                    for label_idx, gs, ge in gold:
                        if label_idx != k:
                            continue
                        ov = _overlap((s, e), (gs, ge))
                        if ov and ov >= 0.5 * min(e - s, ge - gs):
                            row[k] = 1
                sent_doc.append(i)
                rows.append(row)
        return np.array(sent_doc), np.array(rows)

    def _fit_sentence_model(self, sentences, owner, n_passages, Ys):
        """``sentences`` are normalised (``features.normalise``); ``owner`` their passages."""
        featurizer = SentenceFeaturizer(
            ngram_range=self.ngram_range, min_df=self.min_df, max_features=self.max_features
        ).fit(sentences)
        Xs = _sentence_matrix(featurizer, sentences, owner, n_passages, self.cue_weight)
        return (featurizer, *self._fit_linear(Xs, Ys))

    def _fit_doc_model(self, vec, texts, spans, Y):
        _, Xd, _ = _vectorise(vec, texts, spans, self.cue_weight)
        return self._fit_linear(Xd, Y)

    def _fit_linear(self, X, Y):
        W = np.zeros((X.shape[1], len(LABELS)), dtype=np.float64)
        b = np.zeros(len(LABELS))
        for k in range(len(LABELS)):
            if Y[:, k].min() == Y[:, k].max():
                b[k] = -10.0 if Y[:, k].max() == 0 else 10.0
                continue
            lr = LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000)
            lr.fit(X, Y[:, k])
            W[:, k] = lr.coef_[0]
            b[k] = lr.intercept_[0]
        return W, b

    def _cross_val_stacker(self, F, yk, folds):
        out = np.zeros(len(yk))
        for tr, te in folds.split(F):
            if yk[tr].min() == yk[tr].max():
                out[te] = yk[tr].mean()
                continue
            m = LogisticRegression(C=self.stack_C, max_iter=1000).fit(F[tr], yk[tr])
            out[te] = m.predict_proba(F[te])[:, 1]
        return out

    def _best_threshold(self, yk, pk) -> float:
        """The highest threshold whose out-of-fold F1 is within ``threshold_tolerance`` of the
        best: where the F1 curve is flat, prefer precision (real reporting brings more
        look-alikes than the training data)."""
        if yk.sum() == 0:
            return 0.5
        precision, recall, thr = precision_recall_curve(yk, pk)
        f1 = 2 * precision[:-1] * recall[:-1] / np.maximum(precision[:-1] + recall[:-1], 1e-12)
        good = np.flatnonzero(f1 >= f1.max() - self.threshold_tolerance)
        return float(np.clip(thr[good].max(), 0.05, 0.95))

    # ---- scoring -------------------------------------------------------------------
    def _stack_features(self, weights, texts, spans, cue_columns):
        """Stacker inputs ``(n_docs, n_labels, N_STACK_FEATURES)`` and sentence scores."""
        vec, W, b, Wd, bd = weights
        Xs, Xd, counts = _vectorise(vec, texts, spans, self.cue_weight)
        sent_scores = _sigmoid(Xs @ W + b)
        offsets = np.concatenate([[0], np.cumsum(counts)])
        doc_scores = _sigmoid(Xd @ Wd + bd)
        present = sp.csr_matrix(
            (
                np.ones(sum(len(c) for c in cue_columns.values())),
                np.concatenate(list(cue_columns.values())),
                np.cumsum([0, *(len(c) for c in cue_columns.values())]),
            ),
            shape=(len(cue_columns), Xd.shape[1]),
        )
        hits = np.asarray((Xd > 0).astype(np.float32) @ present.T.toarray()) > 0
        cues = {name: hits[:, j].astype(float) for j, name in enumerate(cue_columns)}
        F = np.zeros((len(texts), len(LABELS), N_STACK_FEATURES))
        F[:, :, :3] = _top_two_and_mean(sent_scores, counts)
        per_doc = [sent_scores[offsets[i] : offsets[i + 1]] for i in range(len(texts))]
        F[:, :, 3] = doc_scores
        F[:, :, 4] = cues["child"][:, None]
        F[:, :, 5] = cues["adult"][:, None] * (1 - cues["child"][:, None])
        F[:, :, 6] = cues["abstract"][:, None]
        F[:, :, 7] = F[:, :, 0] * cues["child"][:, None]
        return F, per_doc

    def score_sentences(self, X) -> tuple[np.ndarray, list[SentenceScores]]:
        """Document probabilities ``(n, 6)`` and each document's sentence scores."""
        check_is_fitted(self, "stackers_")
        texts = list(X)
        spans = [segment(t) for t in texts]
        weights = (
            self.featurizer_,
            self.coef_,
            self.intercept_,
            self.doc_coef_,
            self.doc_intercept_,
        )
        F, per_doc = self._stack_features(weights, texts, spans, self.cue_columns_)
        # The stackers' own predict_proba, computed for all labels at once.
        coef = np.stack([s.coef_[0] for s in self.stackers_])  # (labels, features)
        intercept = np.array([s.intercept_[0] for s in self.stackers_])
        proba = _sigmoid(np.einsum("nkf,kf->nk", F, coef) + intercept)
        empty = np.array([len(s) == 0 for s in spans])
        proba[empty] = 0.0
        return proba, [SentenceScores(s, S) for s, S in zip(spans, per_doc, strict=True)]

    def predict_proba(self, X) -> np.ndarray:
        return self.score_sentences(X)[0]

    def predict(self, X) -> np.ndarray:
        return (self.predict_proba(X) >= self.thresholds_).astype(int)

    def evidence_for(
        self, sentences: SentenceScores, label_index: int
    ) -> list[tuple[int, int, float]]:
        """Evidence spans ``(start, end, score)`` for one label, strongest first (never empty
        when the passage has a sentence)."""
        col = sentences.scores[:, label_index] if len(sentences.spans) else np.zeros(0)
        if not len(col):
            return []
        order = np.argsort(-col, kind="stable")
        floor = max(0.5, self.evidence_ratio * col[order[0]])
        chosen = [order[0]] + [j for j in order[1 : self.max_evidence] if col[j] >= floor]
        return [(*sentences.spans[j], float(col[j])) for j in chosen]
