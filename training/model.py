"""The Gravewatch classifier: evidence first, whole documents, six languages.

A document is segmented once into units (sentences, long ones cut at clauses) and each unit is
featurised once:

- word 1-2-gram TF-IDF of the normalised unit (ages in six languages and numbers as tokens)
  with the English cue conjunctions of ``features.cue_matrix`` (an act, with a child, in a
  document about an armed conflict, or in normative wording), beside character 3-4-gram
  TF-IDF, which carries the inflected words of French, Spanish, Arabic, Ukrainian and Russian;
- the same vectors of its neighbours (the unit before and after), so that a child named in
  one sentence and the act told in the next are read together.

1. **Unit model**: one logistic regression per label says whether a unit states that label's
   violation. A unit is a positive example when it overlaps the label's gold evidence. A unit
   that is evidence for another label only is a down-weighted negative
   (``other_label_weight``), so that a sentence stating three violations is not learnt as
   negative evidence for two of them; for the same reason a label's regression does not read
   the other labels' act cues (``own_cues_only``): "raped" is no evidence against recruitment.
   A unit of a document that reports the label but lies outside the label's evidence is left
   out of that label's regression (``unmarked_weight``, 0 by default): annotators mark the
   shortest spans that state the act, not every sentence that frames or restates it, so such a
   unit is no clean negative (learnt as one, it taught the model that a restated act is no act).
   Beside it, a logistic regression per label on the multilingual sentence embeddings of the
   unit, its neighbours and its document (``encoder.py``); a small regression per label fuses
   the two models' out-of-fold logits into the unit's probability.
2. **Context**: one logistic regression per label, trained on whole training documents'
   summed word vectors, read on the window of ``CONTEXT_WINDOW`` units around the label's best
   unit: is the passage around the evidence about that violation.
3. **Stacker** per label: a calibrated probability from the label's strongest and second
   strongest unit (its evidence), the context, the strongest unit of any other label, the
   document's length in units, whether a child (or only an adult) is named in or beside the
   evidence, whether the document names an armed conflict, and its language. Fitted on
   out-of-fold scores of stages 1 and 2, so it learns how far to trust them, and how the
   maximum over a long document's many units inflates.

4. **Armed conflict**: one logistic regression, trained on whole documents' word vectors in
   all six languages (``fit(conflict=...)``: 1 set in an armed conflict, 0 not, -1 unknown),
   read on the whole document.
   Every violation needs an armed conflict, so below a floor learnt out of fold
   (``conflict_recall``) every label's probability is damped toward 0 (``_conflict_gate``).

The label's evidence is its best units, so a label never fires on a sentence about something
else: the score is a function of that evidence. Per-label thresholds: the median of those whose
out-of-fold F1 of the damped probabilities is within ``threshold_tolerance`` of the best.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, precision_recall_curve
from sklearn.model_selection import KFold
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from training.encoder import embed
from training.features import CUE_COLUMN_LABELS, FAMILY_BITS, cue_matrix
from training.language import detect
from training.schemas import LABELS, LANGS
from training.segment import segment
from training.vectorize import SentenceFeaturizer, normalise_many

CONTEXT_WINDOW = 2
"""The context model reads the best unit with this many units either side of it: about the
size of the passages most of the corpus is made of."""
MAX_COUNTED_UNITS = 40
"""Documents longer than this count as this long in the stacker's length feature."""
FEATURES_VERSION = "5"
"""Bump when segmentation, normalisation or featurisation changes: saved models of another
version are refused (``training.registry.verify``) instead of silently scoring differently."""
STACK_FEATURES = (
    "top1",
    "top2",
    "context_window",
    "context_document",
    "other_top1",
    "log_units",
    "child_near",
    "adult_only_near",
    "conflict_in_document",
    "conflict_model",
    *LANGS,
)
_LOGIT_CLIP = 12.0


@dataclass(frozen=True)
class DocumentScores:
    """One document's units, their per-label probabilities, and its language."""

    spans: list[tuple[int, int]]
    scores: np.ndarray  # (n_units, n_labels)
    lang: str


@dataclass(frozen=True)
class _Batch:
    """Documents segmented into units: spans per document, flat normalised unit texts, the
    document of each unit, and languages."""

    spans: list[list[tuple[int, int]]]
    units: list[str]
    owner: np.ndarray
    langs: list[str]
    embeddings: np.ndarray | None  # (n_units, 512) or None without an encoder

    @property
    def counts(self) -> np.ndarray:
        return np.array([len(s) for s in self.spans], dtype=int)

    def subset(self, docs: np.ndarray) -> _Batch:
        """The batch of documents ``docs`` (sorted indices), units in the same order."""
        docs = np.sort(docs)
        keep = np.isin(self.owner, docs)
        remap = np.full(len(self.spans), -1)
        remap[docs] = np.arange(len(docs))
        return _Batch(
            spans=[self.spans[i] for i in docs],
            units=[u for u, k in zip(self.units, keep, strict=True) if k],
            owner=remap[self.owner[keep]],
            langs=[self.langs[i] for i in docs],
            embeddings=None if self.embeddings is None else self.embeddings[keep],
        )


def _batch(texts: list[str], langs: list[str] | None, encode: bool) -> _Batch:
    spans = [segment(t) for t in texts]
    raw = [t[s:e] for t, doc in zip(texts, spans, strict=True) for s, e in doc]
    owner = np.repeat(np.arange(len(texts)), [len(doc) for doc in spans])
    return _Batch(
        spans,
        normalise_many(raw),
        owner,
        langs if langs is not None else [detect(t) for t in texts],
        embed(raw) if encode else None,
    )


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.clip(np.log(p / (1 - p)), -_LOGIT_CLIP, _LOGIT_CLIP)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _neighbours(owner: np.ndarray) -> sp.csr_matrix:
    """``(n, n)`` matrix summing each unit's previous and next unit in the same document."""
    n = len(owner)
    idx = np.arange(n)
    prev = idx[1:][owner[1:] == owner[:-1]]
    rows = np.concatenate([prev, prev - 1])
    cols = np.concatenate([prev - 1, prev])
    return sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, n))


def _window(owner: np.ndarray, radius: int) -> sp.csr_matrix:
    """``(n, n)`` matrix summing each unit with the units up to ``radius`` away in its
    document."""
    n = len(owner)
    rows, cols = [np.arange(n)], [np.arange(n)]
    for d in range(1, radius + 1):
        same = np.flatnonzero(owner[d:] == owner[:-d]) if n > d else np.zeros(0, dtype=int)
        rows += [same, same + d]
        cols += [same + d, same]
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    return sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, n))


def _best_units(unit_p: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per document and label the index of the label's best unit, ``(n_docs, n_labels)``
    (0 for a document without units: read only through ``counts``)."""
    best = np.zeros((len(counts), unit_p.shape[1]), dtype=int)
    starts = np.cumsum(counts) - counts
    for i in np.flatnonzero(counts):
        best[i] = starts[i] + unit_p[starts[i] : starts[i] + counts[i]].argmax(axis=0)
    return best


def _document_sum(owner: np.ndarray, n_docs: int) -> sp.csr_matrix:
    """``(n_docs, n_units)`` matrix summing each document's units."""
    return sp.csr_matrix(
        (np.ones(len(owner), dtype=np.float32), (owner, np.arange(len(owner)))),
        shape=(n_docs, len(owner)),
    )


@contextmanager
def _columns_zeroed(X, columns):
    """Within the block, the stored values of the sparse ``X`` in ``columns`` read 0; they are
    put back after (in place: a copy of the unit matrix per label and fold added 0.1-0.2 GB to
    training's peak memory)."""
    if columns is None or not len(columns):
        yield
        return
    where = np.isin(X.indices, columns)
    kept = X.data[where]
    X.data[where] = 0.0
    try:
        yield
    finally:
        X.data[where] = kept


def _sparse_regression(C: float, random_state: int) -> LogisticRegression:
    """A balanced logistic regression for sparse rows with many more columns than rows, solved
    in the dual (liblinear's coordinate descent, which visits the rows in an order drawn from
    ``random_state``): the same optimum as the primal solver within its tolerance, three to
    five times faster on the unit matrix, which is most of training's time (see the README's
    training figures)."""
    return LogisticRegression(
        C=C,
        class_weight="balanced",
        solver="liblinear",
        dual=True,
        max_iter=1000,
        random_state=random_state,
    )


def _fit_linear(X, Y, C, random_state, weights=None, hidden=None):
    """One balanced logistic regression per label column of ``Y``: weights and intercepts.
    ``hidden[k]``: columns of the (sparse) ``X`` that label ``k``'s regression does not read
    (their weights stay 0)."""
    W = np.zeros((X.shape[1], len(LABELS)), dtype=np.float32)
    b = np.zeros(len(LABELS))
    sparse = sp.issparse(X)
    for k in range(len(LABELS)):
        yk = Y[:, k]
        if yk.min() == yk.max():
            b[k] = -10.0 if yk.max() == 0 else 10.0
            continue
        lr = (
            _sparse_regression(C, random_state)
            if sparse
            else LogisticRegression(C=C, class_weight="balanced", solver="lbfgs", max_iter=500)
        )
        with _columns_zeroed(X, None if hidden is None else hidden[k]):
            lr.fit(X, yk, sample_weight=None if weights is None else weights[:, k])
        W[:, k] = lr.coef_[0]
        b[k] = lr.intercept_[0]
    return W, b


def _evidence_cues(logits, best: np.ndarray, batch) -> np.ndarray:
    """Per document and label ``(n_docs, n_labels, 3)``: a child is named in the label's best
    unit or a neighbour; only an adult is named there; an armed conflict is named anywhere in
    the document. From the English cue words, so only ages in other languages (their
    language indicator in the stacker absorbs the difference)."""
    near = _neighbours(batch.owner)
    child = (near @ logits.child.astype(np.float32) + logits.child) > 0
    adult = (near @ logits.adult.astype(np.float32) + logits.adult) > 0
    conflict = np.zeros(len(batch.spans), dtype=bool)
    np.logical_or.at(conflict, batch.owner, logits.conflict)
    has = (batch.counts > 0)[:, None]
    out = np.zeros((*best.shape, 3))
    if len(child):
        out[:, :, 0] = child[best] & has
        out[:, :, 1] = adult[best] & ~child[best] & has
    out[:, :, 2] = conflict[:, None]
    return out


def _top_two(S: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per document and label the highest and second-highest unit score (0 when absent)."""
    top = np.zeros((len(counts), S.shape[1]))
    second = np.zeros((len(counts), S.shape[1]))
    has = counts > 0
    if not has.any():
        return top, second
    starts = (np.cumsum(counts) - counts)[has]
    t = np.maximum.reduceat(S, starts)
    owner = np.repeat(np.arange(len(starts)), counts[has])
    rest = np.where(t[owner] == S, -np.inf, S)
    r = np.maximum.reduceat(rest, starts)
    ties = np.add.reduceat((t[owner] == S).astype(int), starts) >= 2
    r = np.where(ties, t, r)
    top[has] = t
    second[has] = np.where(np.isfinite(r), r, 0.0)
    return top, second


@dataclass
class _Stages:
    """The fitted first stages: featurisers, the sparse and the encoder unit models, the
    document context model."""

    words: SentenceFeaturizer
    chars: TfidfVectorizer
    sparse_coef: np.ndarray | None = None
    sparse_intercept: np.ndarray | None = None
    dense_coef: np.ndarray | None = None
    dense_intercept: np.ndarray | None = None
    doc_coef: np.ndarray | None = None
    doc_intercept: np.ndarray | None = None
    conflict_coef: np.ndarray | None = None
    conflict_intercept: float = 0.0


@dataclass(frozen=True)
class _UnitLogits:
    """Stage outputs for a batch: per-unit logits of both unit models and of the context
    model."""

    sparse: np.ndarray  # (n_units, n_labels)
    dense: np.ndarray | None  # (n_units, n_labels), None without an encoder
    context: np.ndarray  # (n_units, n_labels): the context model on the unit's window
    document: np.ndarray  # (n_docs, n_labels): the context model on the whole document
    armed_conflict: np.ndarray  # (n_docs,): the armed-conflict model on the whole document
    child: np.ndarray  # (n_units,) the unit names a child (English cue words, ages)
    adult: np.ndarray  # (n_units,) the unit names an adult
    conflict: np.ndarray  # (n_units,) the unit names an armed conflict


class GraveViolationClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label classifier for the six grave violations, deciding from evidence units.

    ``fit(X, y, evidence=..., langs=...)``: ``X`` is a sequence of documents, ``y`` a binary
    ``(n_samples, 6)`` matrix in ``LABELS`` order, ``evidence`` for each document a list of
    ``(label_index, start, end)`` gold spans (without it every unit of a positive document is
    evidence), ``langs`` each document's language (detected when omitted).
    """

    def __init__(
        self,
        C: float = 8.0,
        doc_C: float = 4.0,
        min_df: int = 2,
        max_features: int | None = 150_000,
        char_ngram_range: tuple[int, int] = (3, 4),
        char_max_features: int | None = 150_000,
        char_weight: float = 1.0,
        cue_weight: float = 0.5,
        encoder: bool = False,
        encoder_C: float = 1.0,
        context_weight: float = 0.4,
        other_label_weight: float = 0.3,
        unmarked_weight: float = 0.0,
        own_cues_only: bool = True,
        stack_C: float = 1.0,
        cv: int = 5,
        evidence_ratio: float = 0.5,
        max_evidence: int = 5,
        threshold_tolerance: float = 0.005,
        conflict_recall: float | None = 0.99,
        random_state: int = 0,
    ):
        self.C = C
        self.doc_C = doc_C
        self.min_df = min_df
        self.max_features = max_features
        self.char_ngram_range = char_ngram_range
        self.char_max_features = char_max_features
        self.char_weight = char_weight
        self.cue_weight = cue_weight
        self.encoder = encoder
        self.encoder_C = encoder_C
        self.context_weight = context_weight
        self.other_label_weight = other_label_weight
        self.unmarked_weight = unmarked_weight
        self.own_cues_only = own_cues_only
        self.stack_C = stack_C
        self.cv = cv
        self.evidence_ratio = evidence_ratio
        self.max_evidence = max_evidence
        self.threshold_tolerance = threshold_tolerance
        self.conflict_recall = conflict_recall
        self.random_state = random_state

    def __setstate__(self, state):
        # Models saved before ``own_cues_only`` existed read every label's cues; those saved
        # before ``unmarked_weight`` learnt every unit outside the evidence as a negative.
        super().__setstate__(state)
        self.__dict__.setdefault("own_cues_only", False)
        self.__dict__.setdefault("unmarked_weight", 1.0)

    # ---- features ------------------------------------------------------------------
    def _sparse_vectors(self, stages: _Stages, batch: _Batch):
        """Unit rows ``[own, neighbours]`` of word, character and cue features, and document
        rows (L2-normalised summed word vectors)."""
        Xw, masks = stages.words.transform_with_cues(batch.units)
        blocks = [Xw, stages.chars.transform(batch.units) * self.char_weight]
        if self.cue_weight:
            cues = cue_matrix(masks, batch.owner, len(batch.spans)) * self.cue_weight
            blocks.append(sp.csr_matrix(cues))
        U = sp.csr_matrix(sp.hstack(blocks, format="csr"), dtype=np.float32)
        X = sp.hstack([U, (_neighbours(batch.owner) @ U) * self.context_weight], format="csr")
        D = normalize(_document_sum(batch.owner, len(batch.spans)) @ Xw)
        return X, D, masks, Xw

    def _other_labels_cues(self, unit_columns: int) -> list[np.ndarray] | None:
        """Per label, the columns of the unit rows ``[own, neighbours]`` that hold other labels'
        act cues: with ``own_cues_only``, a label's unit model does not learn another
        violation's cues as evidence against its own, so a sentence that states several
        violations is read as evidence for each."""
        if not (self.own_cues_only and self.cue_weight):
            return None
        first = unit_columns - len(CUE_COLUMN_LABELS)
        hidden = []
        for label in LABELS:
            own = np.array(
                [first + j for j, of in enumerate(CUE_COLUMN_LABELS) if of not in (None, label)]
            )
            hidden.append(np.concatenate([own, own + unit_columns]))
        return hidden

    def _dense_vectors(self, batch: _Batch) -> np.ndarray:
        """Unit rows ``[own, neighbours' mean, document mean]`` of sentence embeddings."""
        E = batch.embeddings
        near = _neighbours(batch.owner)
        n_near = np.maximum(np.asarray(near.sum(axis=1)).ravel(), 1.0)[:, None]
        agg = _document_sum(batch.owner, len(batch.spans))
        doc = (agg @ E) / np.maximum(batch.counts, 1)[:, None]
        return np.hstack([E, (near @ E) / n_near, doc[batch.owner]]).astype(np.float32)

    def _fit_stages(self, batch: _Batch, Y: np.ndarray, unit_y, unit_w, conflict) -> _Stages:
        words = SentenceFeaturizer(
            ngram_range=(1, 2), min_df=self.min_df, max_features=self.max_features
        ).fit(batch.units)
        chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=tuple(self.char_ngram_range),
            min_df=self.min_df,
            max_features=self.char_max_features,
            sublinear_tf=True,
            lowercase=False,
            dtype=np.float32,
        ).fit(batch.units)
        stages = _Stages(words, chars)
        X, D, _, _ = self._sparse_vectors(stages, batch)
        stages.sparse_coef, stages.sparse_intercept = _fit_linear(
            X,
            unit_y,
            self.C,
            self.random_state,
            unit_w,
            hidden=self._other_labels_cues(X.shape[1] // 2),
        )
        stages.doc_coef, stages.doc_intercept = _fit_linear(D, Y, self.doc_C, self.random_state)
        known = conflict >= 0
        if known.any() and conflict[known].min() != conflict[known].max():
            lr = _sparse_regression(self.doc_C, self.random_state)
            lr.fit(D[known], conflict[known])
            stages.conflict_coef = lr.coef_[0].astype(np.float32)
            stages.conflict_intercept = float(lr.intercept_[0])
        if self.encoder:
            stages.dense_coef, stages.dense_intercept = _fit_linear(
                self._dense_vectors(batch), unit_y, self.encoder_C, self.random_state, unit_w
            )
        return stages

    def _unit_logits(self, stages: _Stages, batch: _Batch) -> _UnitLogits:
        if not batch.units:  # nothing but blanks and punctuation: no unit to score
            none = np.zeros((0, len(LABELS)))
            no_unit = np.zeros(0, dtype=bool)
            document = np.full((len(batch.spans), len(LABELS)), -_LOGIT_CLIP)
            return _UnitLogits(
                none,
                none if self.encoder else None,
                none,
                document,
                np.full(len(batch.spans), -_LOGIT_CLIP),
                *(no_unit,) * 3,
            )
        X, D, masks, Xw = self._sparse_vectors(stages, batch)
        W = _window(batch.owner, CONTEXT_WINDOW) @ Xw
        dense = None
        if self.encoder:
            dense = self._dense_vectors(batch) @ stages.dense_coef + stages.dense_intercept
        armed_conflict = np.zeros(len(batch.spans))
        if stages.conflict_coef is not None:
            # the whole document: the best of its windows would let one noisy window of a
            # peacetime article pass (measured on the English article set)
            armed_conflict = np.asarray(D @ stages.conflict_coef).ravel()
            armed_conflict += stages.conflict_intercept
        return _UnitLogits(
            sparse=np.asarray(X @ stages.sparse_coef + stages.sparse_intercept),
            dense=dense,
            context=np.asarray(normalize(W) @ stages.doc_coef + stages.doc_intercept),
            document=np.asarray(D @ stages.doc_coef + stages.doc_intercept),
            armed_conflict=armed_conflict,
            child=(masks & FAMILY_BITS["child"]) != 0,
            adult=(masks & FAMILY_BITS["adult"]) != 0,
            conflict=(masks & FAMILY_BITS["conflict"]) != 0,
        )

    def _unit_proba(self, logits: _UnitLogits, fusion: np.ndarray) -> np.ndarray:
        """Fused unit probabilities: per label ``sigmoid(a * sparse + b * dense + c)``."""
        z = np.clip(logits.sparse, -_LOGIT_CLIP, _LOGIT_CLIP) * fusion[:, 0] + fusion[:, 2]
        if logits.dense is not None:
            z = z + np.clip(logits.dense, -_LOGIT_CLIP, _LOGIT_CLIP) * fusion[:, 1]
        return _sigmoid(z)

    def _stack_features(self, logits: _UnitLogits, fusion, batch: _Batch):
        """Stacker inputs ``(n_docs, n_labels, len(STACK_FEATURES))`` and unit probabilities."""
        unit_p = self._unit_proba(logits, fusion)
        counts = batch.counts
        top, second = _top_two(unit_p, counts)
        F = np.zeros((len(counts), len(LABELS), len(STACK_FEATURES)))
        best = _best_units(unit_p, counts)
        column = {name: j for j, name in enumerate(STACK_FEATURES)}
        F[:, :, column["top1"]] = _logit(top)
        F[:, :, column["top2"]] = second  # a probability: a one-unit document has no second
        if len(unit_p):
            window = np.clip(logits.context, -_LOGIT_CLIP, _LOGIT_CLIP)
            F[:, :, column["context_window"]] = (
                np.take_along_axis(window, best, axis=0) * (counts > 0)[:, None]
            )
        F[:, :, column["context_document"]] = np.clip(logits.document, -_LOGIT_CLIP, _LOGIT_CLIP)
        for k in range(len(LABELS)):
            F[:, k, column["other_top1"]] = np.delete(F[:, :, 0], k, axis=1).max(axis=1)
        F[:, :, column["log_units"]] = np.log1p(np.minimum(counts, MAX_COUNTED_UNITS))[:, None]
        first = column["child_near"]
        F[:, :, first : first + 3] = _evidence_cues(logits, best, batch)
        F[:, :, column["conflict_model"]] = np.clip(
            logits.armed_conflict, -_LOGIT_CLIP, _LOGIT_CLIP
        )[:, None]
        for lang in LANGS:
            F[:, :, column[lang]] = np.array([lg == lang for lg in batch.langs], float)[:, None]
        return F, unit_p

    # ---- fitting -------------------------------------------------------------------
    def _unit_labels(self, batch: _Batch, Y: np.ndarray, evidence):
        """Each unit's labels (it overlaps that label's gold span) and sample weights: 1, or
        ``other_label_weight`` for a unit that is evidence for other labels only, or
        ``unmarked_weight`` for a unit outside the evidence of a label its document reports."""
        rows = []
        for i, doc_spans in enumerate(batch.spans):
            gold = evidence[i]
            for s, e in doc_spans:
                row = np.zeros(len(LABELS), dtype=int)
                for k in np.flatnonzero(Y[i]):
                    if gold is None:
                        row[k] = 1
                        continue
                    for label_idx, gs, ge in gold:
                        ov = _overlap((s, e), (gs, ge)) if label_idx == k else 0
                        if ov and ov >= 0.5 * min(e - s, ge - gs):
                            row[k] = 1
                rows.append(row)
        unit_y = np.array(rows, dtype=int).reshape(-1, len(LABELS))
        other = (unit_y.sum(axis=1, keepdims=True) > 0) & (unit_y == 0)
        unit_w = np.where(other, self.other_label_weight, 1.0)
        # a document without gold spans has every unit positive, so it has no unmarked unit
        unmarked = (Y[batch.owner] == 1) & (unit_y == 0)
        unit_w = np.where(unmarked, np.minimum(unit_w, self.unmarked_weight), unit_w)
        return unit_y, unit_w

    def fit(self, X, y, evidence=None, langs=None, conflict=None):
        texts = list(X)
        Y = np.asarray(y, dtype=int)
        if Y.shape != (len(texts), len(LABELS)):
            raise ValueError(f"y must have shape ({len(texts)}, {len(LABELS)}), got {Y.shape}")
        evidence = list(evidence) if evidence is not None else [None] * len(texts)
        batch = _batch(texts, list(langs) if langs is not None else None, self.encoder)
        unit_y, unit_w = self._unit_labels(batch, Y, evidence)
        conflict = (
            np.asarray(conflict, dtype=int)
            if conflict is not None
            else np.where(Y.any(axis=1), 1, -1)
        )

        folds = KFold(self.cv, shuffle=True, random_state=self.random_state)
        n_units = len(batch.owner)
        oof_sparse = np.zeros((n_units, len(LABELS)))
        oof_dense = np.zeros((n_units, len(LABELS))) if self.encoder else None
        oof_context = np.zeros((n_units, len(LABELS)))
        oof_document = np.zeros((len(texts), len(LABELS)))
        oof_conflict = np.zeros(len(texts))
        for train_docs, test_docs in folds.split(texts):
            in_train = np.isin(batch.owner, train_docs)
            stages = self._fit_stages(
                batch.subset(train_docs),
                Y[train_docs],
                unit_y[in_train],
                unit_w[in_train],
                conflict[np.sort(train_docs)],
            )
            logits = self._unit_logits(stages, batch.subset(test_docs))
            in_test = ~in_train  # KFold's test indices are sorted, as subset keeps them
            oof_sparse[in_test] = logits.sparse
            if oof_dense is not None:
                oof_dense[in_test] = logits.dense
            oof_context[in_test] = logits.context
            oof_document[np.sort(test_docs)] = logits.document
            oof_conflict[np.sort(test_docs)] = logits.armed_conflict
        full = self._fit_stages(batch, Y, unit_y, unit_w, conflict)
        masks = full.words.transform_with_cues(batch.units)[1]
        oof = _UnitLogits(
            oof_sparse,
            oof_dense,
            oof_context,
            oof_document,
            oof_conflict,
            child=(masks & FAMILY_BITS["child"]) != 0,
            adult=(masks & FAMILY_BITS["adult"]) != 0,
            conflict=(masks & FAMILY_BITS["conflict"]) != 0,
        )
        self.fusion_ = self._fit_fusion(oof, unit_y, unit_w)
        oof_F = self._stack_features(oof, self.fusion_, batch)[0]

        self.stages_ = full
        self.conflict_floor_ = self._conflict_floor(oof_conflict, Y, full)
        oof_proba = (
            np.column_stack(
                [
                    self._cross_val_stacker(oof_F[:, k, :], Y[:, k], folds)
                    for k in range(len(LABELS))
                ]
            )
            * self._conflict_gate(oof_conflict)[:, None]
        )
        self.stackers_ = [
            LogisticRegression(C=self.stack_C, max_iter=2000).fit(oof_F[:, k, :], Y[:, k])
            for k in range(len(LABELS))
        ]
        self.thresholds_ = np.array(
            [self._best_threshold(Y[:, k], oof_proba[:, k]) for k in range(len(LABELS))]
        )
        self.cv_report_ = self._cv_report(Y, oof_proba, batch.langs)
        self.classes_ = np.array(LABELS)
        return self

    def _conflict_floor(self, oof_conflict, Y, stages: _Stages) -> float:
        """The armed-conflict score below which a document's labels are damped: the
        ``1 - conflict_recall`` quantile of the out-of-fold scores of training documents that
        report a violation (every violation needs an armed conflict; see ``_conflict_gate``)."""
        labelled = Y.any(axis=1)
        if self.conflict_recall is None or stages.conflict_coef is None or not labelled.any():
            return -np.inf
        return float(np.quantile(oof_conflict[labelled], 1 - self.conflict_recall))

    def _conflict_gate(self, armed_conflict: np.ndarray) -> np.ndarray:
        """Per document a factor in ``[0, 1]`` on every label's probability: 1 at or above the
        conflict floor, falling to 0 below it (half a logit below the floor gives 0.24)."""
        if not np.isfinite(self.conflict_floor_):
            return np.ones(len(armed_conflict))
        return np.minimum(1.0, 2 * _sigmoid(4 * (armed_conflict - self.conflict_floor_)))

    def _fit_fusion(self, oof: _UnitLogits, unit_y, unit_w) -> np.ndarray:
        """Per label ``(a, b, c)``: how to weigh the two unit models' out-of-fold logits."""
        fusion = np.zeros((len(LABELS), 3))
        for k in range(len(LABELS)):
            cols = [np.clip(oof.sparse[:, k], -_LOGIT_CLIP, _LOGIT_CLIP)]
            if oof.dense is not None:
                cols.append(np.clip(oof.dense[:, k], -_LOGIT_CLIP, _LOGIT_CLIP))
            if unit_y[:, k].min() == unit_y[:, k].max():
                fusion[k] = (1.0, 0.0, 0.0)
                continue
            lr = LogisticRegression(C=1.0).fit(
                np.column_stack(cols), unit_y[:, k], sample_weight=unit_w[:, k]
            )
            fusion[k, : len(cols)] = lr.coef_[0]
            fusion[k, 2] = lr.intercept_[0]
        return fusion

    def _cv_report(self, Y, proba, langs) -> dict:
        """Out-of-fold threshold, Brier score and support per label, and per language."""
        langs = np.array(langs)
        report = {}
        for k, label in enumerate(LABELS):
            by_lang = {
                lang: {
                    "brier": float(brier_score_loss(Y[m, k], proba[m, k], labels=[0, 1])),
                    "documents": int(m.sum()),
                    "positives": int(Y[m, k].sum()),
                }
                for lang in LANGS
                if (m := langs == lang).any()
            }
            report[label] = {
                "threshold": float(self.thresholds_[k]),
                "brier": float(brier_score_loss(Y[:, k], proba[:, k], labels=[0, 1])),
                "positives": int(Y[:, k].sum()),
                "by_language": by_lang,
            }
        return report

    def _cross_val_stacker(self, F, yk, folds):
        out = np.zeros(len(yk))
        for tr, te in folds.split(F):
            if yk[tr].min() == yk[tr].max():
                out[te] = yk[tr].mean()
                continue
            m = LogisticRegression(C=self.stack_C, max_iter=2000).fit(F[tr], yk[tr])
            out[te] = m.predict_proba(F[te])[:, 1]
        return out

    def _best_threshold(self, yk, pk) -> float:
        """The median of the thresholds whose out-of-fold F1 is within ``threshold_tolerance``
        of the best: near its top the F1 curve is flat, and its upper edge, which favours
        precision, lies where real reporting's positives, stated less plainly than the
        corpus's, fall below it (see the README's side by side of threshold rules)."""
        if yk.sum() == 0:
            return 0.5
        precision, recall, thr = precision_recall_curve(yk, pk)
        f1 = 2 * precision[:-1] * recall[:-1] / np.maximum(precision[:-1] + recall[:-1], 1e-12)
        good = np.flatnonzero(f1 >= f1.max() - self.threshold_tolerance)
        return float(np.clip(np.median(thr[good]), 0.05, 0.95))

    # ---- scoring -------------------------------------------------------------------
    def score_documents(self, X, langs=None) -> tuple[np.ndarray, list[DocumentScores]]:
        """Document probabilities ``(n, 6)`` and each document's unit scores and language."""
        check_is_fitted(self, "stackers_")
        texts = list(X)
        batch = _batch(texts, list(langs) if langs is not None else None, self.encoder)
        logits = self._unit_logits(self.stages_, batch)
        F, unit_p = self._stack_features(logits, self.fusion_, batch)
        coef = np.stack([s.coef_[0] for s in self.stackers_])  # (labels, features)
        intercept = np.array([s.intercept_[0] for s in self.stackers_])
        proba = _sigmoid(np.einsum("nkf,kf->nk", F, coef) + intercept)
        proba *= self._conflict_gate(logits.armed_conflict)[:, None]
        counts = batch.counts
        proba[counts == 0] = 0.0
        offsets = np.concatenate([[0], np.cumsum(counts)])
        docs = [
            DocumentScores(spans, unit_p[offsets[i] : offsets[i + 1]], batch.langs[i])
            for i, spans in enumerate(batch.spans)
        ]
        return proba, docs

    def predict_proba(self, X) -> np.ndarray:
        return self.score_documents(X)[0]

    def predict(self, X) -> np.ndarray:
        return (self.predict_proba(X) >= self.thresholds_).astype(int)

    def evidence_for(self, doc: DocumentScores, label_index: int) -> list[tuple[int, int, float]]:
        """Evidence spans ``(start, end, score)`` for one label, strongest first: the best unit,
        and up to ``max_evidence`` more whose score is at least half the best (never empty when
        the document has a unit)."""
        col = doc.scores[:, label_index] if len(doc.spans) else np.zeros(0)
        if not len(col):
            return []
        order = np.argsort(-col, kind="stable")
        floor = max(0.5, self.evidence_ratio * col[order[0]])
        chosen = [order[0]] + [j for j in order[1 : self.max_evidence] if col[j] >= floor]
        return [(*doc.spans[j], float(col[j])) for j in chosen]
