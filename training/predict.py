"""Turn model scores into the prediction schema.

A document of any length is scored in one pass: the model reads it unit by unit (sentences),
each unit with its neighbours and the document as context, and evidence offsets index the
whole document.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from training.language import UNDETERMINED, is_supported
from training.model import DocumentScores, GraveViolationClassifier
from training.schemas import LABELS, Evidence, LabelPrediction, Prediction


def _flags(lang: str) -> list[str]:
    if lang == UNDETERMINED:
        return ["no_words"]  # no letter, so no sentence: every score is 0
    return [] if is_supported(lang) else ["unsupported_language"]


@dataclass(frozen=True)
class Predictor:
    """A fitted model with the version it is registered under."""

    model: GraveViolationClassifier
    version: str

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
        """Predictions, and how many units (sentences) each document was read as."""
        ids = list(ids) if ids is not None else [None] * len(texts)
        proba, docs = self.model.score_documents(list(texts))
        out = [
            self._prediction(text, doc_id, p, doc)
            for text, doc_id, p, doc in zip(texts, ids, proba, docs, strict=True)
        ]
        return out, [len(doc.spans) for doc in docs]

    def _prediction(
        self, text: str, doc_id: str | None, p: np.ndarray, doc: DocumentScores
    ) -> Prediction:
        thresholds = self.model.thresholds_  # the array, not the dict: this is the hot path
        fired = sorted(
            (k for k in range(len(LABELS)) if p[k] >= thresholds[k]), key=lambda k: -p[k]
        )
        labels = []
        for k in fired:
            spans = self.model.evidence_for(doc, k)
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
            lang=doc.lang,
            flags=_flags(doc.lang),
        )
