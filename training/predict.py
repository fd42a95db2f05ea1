"""Turn model scores into the prediction schema."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from training.model import GraveViolationClassifier
from training.schemas import LABELS, Evidence, LabelPrediction, Prediction


@dataclass(frozen=True)
class Predictor:
    """A fitted model with the version it is registered under."""

    model: GraveViolationClassifier
    version: str

    def predict(
        self, texts: Sequence[str], ids: Sequence[str | None] | None = None
    ) -> list[Prediction]:
        """Predictions for a batch of passages, in input order."""
        ids = list(ids) if ids is not None else [None] * len(texts)
        proba, sentences = self.model.score_sentences(texts)
        thresholds = self.model.thresholds_
        out = []
        for text, doc_id, p, sent in zip(texts, ids, proba, sentences, strict=True):
            fired = [k for k in range(len(LABELS)) if p[k] >= thresholds[k]]
            fired.sort(key=lambda k: -p[k])
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
                            Evidence.model_construct(
                                start=s, end=e, text=text[s:e], score=round(sc, 4)
                            )
                            for s, e, sc in spans
                        ],
                    )
                )
            out.append(
                Prediction.model_construct(
                    id=doc_id,
                    model=self.version,
                    labels=labels,
                    scores={label: round(float(p[k]), 4) for k, label in enumerate(LABELS)},
                )
            )
        return out
