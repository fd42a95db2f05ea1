"""Turn model scores into the prediction schema.

A document longer than ``max_passage_chars`` is scored as overlapping windows of a few
sentences, the size of the passages the model was trained on; its score for a label is the
highest of its windows', and its evidence offsets are relative to the whole document.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from training.model import GraveViolationClassifier, SentenceScores
from training.schemas import LABELS, Evidence, LabelPrediction, Prediction
from training.segment import segment

MAX_PASSAGE_CHARS = 1000
WINDOW_SENTENCES = 3


def passage_windows(
    text: str, max_chars: int = MAX_PASSAGE_CHARS, sentences: int = WINDOW_SENTENCES
) -> list[tuple[int, int]]:
    """The whole text when it is at most ``max_chars`` long; otherwise overlapping windows of
    ``sentences`` consecutive sentences (stride one), so that an incident told in one sentence
    of a long article is not diluted by the article's other sentences."""
    spans = segment(text) if len(text) > max_chars else []
    if len(spans) <= sentences:
        return [(0, len(text))]
    return [(spans[i][0], spans[i + sentences - 1][1]) for i in range(len(spans) - sentences + 1)]


@dataclass(frozen=True)
class Predictor:
    """A fitted model with the version it is registered under."""

    model: GraveViolationClassifier
    version: str
    max_passage_chars: int = MAX_PASSAGE_CHARS

    @property
    def thresholds(self) -> dict[str, float]:
        """Decision threshold per label."""
        return {label: float(t) for label, t in zip(LABELS, self.model.thresholds_, strict=True)}

    def predict(
        self, texts: Sequence[str], ids: Sequence[str | None] | None = None
    ) -> list[Prediction]:
        """Predictions for a batch of documents, in input order."""
        return self.predict_with_passages(texts, ids)[0]

    def predict_with_passages(
        self, texts: Sequence[str], ids: Sequence[str | None] | None = None
    ) -> tuple[list[Prediction], list[int]]:
        """Predictions, and how many passages (windows) each document was scored as."""
        ids = list(ids) if ids is not None else [None] * len(texts)
        windows = [passage_windows(t, self.max_passage_chars) for t in texts]
        passages = [t[s:e] for t, ws in zip(texts, windows, strict=True) for s, e in ws]
        proba, sentences = self.model.score_sentences(passages)
        out, i = [], 0
        for text, doc_id, ws in zip(texts, ids, windows, strict=True):
            n = len(ws)
            if n == 1:
                p, sent = proba[i], sentences[i]
            else:
                p = proba[i : i + n].max(axis=0)
                best: dict[tuple[int, int], np.ndarray] = {}  # a sentence's best scores
                for j in range(n):
                    for (s, e), row in zip(
                        sentences[i + j].spans, sentences[i + j].scores, strict=True
                    ):
                        key = (ws[j][0] + s, ws[j][0] + e)
                        best[key] = np.maximum(best[key], row) if key in best else row
                sent = SentenceScores(spans=list(best), scores=np.array(list(best.values())))
            out.append(self._prediction(text, doc_id, p, sent))
            i += n
        return out, [len(ws) for ws in windows]

    def _prediction(
        self, text: str, doc_id: str | None, p: np.ndarray, sent: SentenceScores
    ) -> Prediction:
        thresholds = self.model.thresholds_  # the array, not the dict: this is the hot path
        fired = sorted(
            (k for k in range(len(LABELS)) if p[k] >= thresholds[k]), key=lambda k: -p[k]
        )
        labels = []
        for k in fired:
            spans = self.model.evidence_for(sent, k)
            if not spans:
                continue
            labels.append(
                LabelPrediction.model_construct(
                    label=LABELS[k],
                    score=round(float(p[k]), 4),
                    evidence=[
                        Evidence.model_construct(start=s, end=e, text=text[s:e], score=round(sc, 4))
                        for s, e, sc in spans
                    ],
                )
            )
        return Prediction.model_construct(
            id=doc_id,
            model=self.version,
            labels=labels,
            scores={label: round(float(p[k]), 4) for k, label in enumerate(LABELS)},
        )
