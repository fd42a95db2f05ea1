"""Evaluation: label metrics, false positives on negatives, evidence quality, calibration."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, Field
from sklearn.metrics import brier_score_loss, precision_recall_curve

from training.baseline import KeywordMatcher
from training.predict import Predictor
from training.schemas import LABELS, Prediction, Record


class LabelMetrics(BaseModel):
    precision: float
    recall: float
    f1: float
    support: int = Field(description="Passages that carry the label.")
    predicted: int = Field(description="Passages the model gave the label.")
    threshold: float
    brier: float = Field(description="Brier score of the label's probabilities (lower is better).")
    evidence_hit_rate: float | None = Field(
        description="Among correctly predicted labels, share whose evidence overlaps a gold span."
    )
    keyword_f1: float = Field(
        description="F1 of the keyword matcher (training.baseline) on the same passages."
    )


class ErrorCase(BaseModel):
    id: str
    label: str
    kind: str = Field(description="false_positive or false_negative")
    score: float
    text: str


class LanguageMetrics(BaseModel):
    """The headline figures on the passages of one language (the ``lang`` of the records)."""

    passages: int
    macro_f1: float = Field(description="Mean F1 over the labels that occur in this language.")
    f1: dict[str, float | None] = Field(description="Per label F1 (None: no gold, no prediction).")
    negative_passages: int
    negative_false_positive_rate: float
    detected_as: dict[str, int] = Field(description="Languages the model detected, with counts.")


class EvaluationReport(BaseModel):
    data: str
    model: str
    passages: int
    per_label: dict[str, LabelMetrics]
    macro_f1: float
    micro_f1: float
    negative_passages: int
    negative_false_positive_rate: float = Field(
        description="Share of passages with no gold label that received any label."
    )
    evidence_hit_rate: float | None
    evidence_char_precision: float | None
    evidence_char_recall: float | None
    evidence_char_f1: float | None
    worst_errors: list[ErrorCase]
    pr_curves: dict[str, list[tuple[float, float]]] = Field(
        description="Per label (recall, precision) points."
    )
    per_language: dict[str, LanguageMetrics] = Field(default_factory=dict)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _label_f1(predicted: np.ndarray, gold: np.ndarray) -> float:
    tp = int((predicted & gold).sum())
    p = tp / predicted.sum() if predicted.sum() else 0.0
    r = tp / gold.sum() if gold.sum() else 0.0
    return _f1(p, r)


def _by_language(records, preds, Y, fired) -> dict[str, LanguageMetrics]:
    langs = np.array([r.lang for r in records])
    out = {}
    for lang in dict.fromkeys(langs):
        m = langs == lang
        f1 = {}
        for k, label in enumerate(LABELS):
            gold, got = Y[m, k], fired[m, k]
            f1[label] = _label_f1(got, gold) if gold.any() or got.any() else None
        present = [v for label, v in f1.items() if Y[m, LABELS.index(label)].any()]
        neg = m & (Y.sum(axis=1) == 0)
        out[str(lang)] = LanguageMetrics(
            passages=int(m.sum()),
            macro_f1=float(np.mean(present)) if present else 0.0,
            f1=f1,
            negative_passages=int(neg.sum()),
            negative_false_positive_rate=float(fired[neg].any(axis=1).mean()) if neg.any() else 0.0,
            detected_as=dict(Counter(p.lang for p, keep in zip(preds, m, strict=True) if keep)),
        )
    return out


def _chars(spans: Sequence[tuple[int, int]]) -> set[int]:
    return {i for s, e in spans for i in range(s, e)}


def evaluate(
    predictor: Predictor, records: Sequence[Record], data_name: str, worst: int = 20
) -> EvaluationReport:
    """Score ``records`` and compare with their gold labels and spans."""
    preds: list[Prediction] = predictor.predict([r.text for r in records], [r.id for r in records])
    Y = np.array([[label in r.labels for label in LABELS] for r in records], dtype=int)
    P = np.array([[p.scores[label] for label in LABELS] for p in preds], dtype=float)
    fired = np.array(
        [[any(lp.label == label for lp in p.labels) for label in LABELS] for p in preds], dtype=int
    )
    thresholds = predictor.model.thresholds_
    keywords = KeywordMatcher().fit().predict([r.text for r in records])

    per_label: dict[str, LabelMetrics] = {}
    curves: dict[str, list[tuple[float, float]]] = {}
    hits_all, tp_all = 0, 0
    char_tp = char_pred = char_gold = 0
    for k, label in enumerate(LABELS):
        tp = int((fired[:, k] & Y[:, k]).sum())
        npred, nsup = int(fired[:, k].sum()), int(Y[:, k].sum())
        prec = tp / npred if npred else 0.0
        rec = tp / nsup if nsup else 0.0
        hits = 0
        for i in np.flatnonzero(fired[:, k] & Y[:, k]):
            gold = [(s.start, s.end) for s in records[i].evidence if s.label == label]
            lp = next(x for x in preds[i].labels if x.label == label)
            got = [(e.start, e.end) for e in lp.evidence]
            if any(min(a[1], b[1]) > max(a[0], b[0]) for a in got for b in gold):
                hits += 1
            g, q = _chars(gold), _chars(got)
            char_tp += len(g & q)
            char_pred += len(q)
            char_gold += len(g)
        hits_all += hits
        tp_all += tp
        if 0 < nsup < len(records):
            pr, rc, _ = precision_recall_curve(Y[:, k], P[:, k])
            curves[label] = [(float(r), float(p)) for r, p in zip(rc, pr, strict=True)]
        per_label[label] = LabelMetrics(
            precision=prec,
            recall=rec,
            f1=_f1(prec, rec),
            support=nsup,
            predicted=npred,
            threshold=float(thresholds[k]),
            brier=float(brier_score_loss(Y[:, k], P[:, k])) if len(records) else 0.0,
            evidence_hit_rate=hits / tp if tp else None,
            keyword_f1=_label_f1(keywords[:, k], Y[:, k]),
        )
    tp_sum = int((fired & Y).sum())
    micro_p = tp_sum / fired.sum() if fired.sum() else 0.0
    micro_r = tp_sum / Y.sum() if Y.sum() else 0.0
    negatives = Y.sum(axis=1) == 0
    cp = char_tp / char_pred if char_pred else None
    cr = char_tp / char_gold if char_gold else None

    errors = []
    for i, r in enumerate(records):
        for k, label in enumerate(LABELS):
            if fired[i, k] != Y[i, k]:
                kind = "false_positive" if fired[i, k] else "false_negative"
                margin = abs(P[i, k] - thresholds[k])
                errors.append(
                    (
                        margin,
                        ErrorCase(
                            id=r.id, label=label, kind=kind, score=float(P[i, k]), text=r.text
                        ),
                    )
                )
    errors.sort(key=lambda x: -x[0])

    return EvaluationReport(
        data=data_name,
        model=predictor.version,
        passages=len(records),
        per_label=per_label,
        macro_f1=float(np.mean([m.f1 for m in per_label.values()])),
        micro_f1=_f1(micro_p, micro_r),
        negative_passages=int(negatives.sum()),
        negative_false_positive_rate=float(fired[negatives].any(axis=1).mean())
        if negatives.any()
        else 0.0,
        evidence_hit_rate=hits_all / tp_all if tp_all else None,
        evidence_char_precision=cp,
        evidence_char_recall=cr,
        evidence_char_f1=_f1(cp, cr) if cp is not None and cr is not None else None,
        worst_errors=[e for _, e in errors[:worst]],
        pr_curves=curves,
        per_language=_by_language(records, preds, Y, fired),
    )


def summary_table(report: EvaluationReport) -> str:
    """A plain-text table of the report's figures."""
    lines = [
        f"{'label':30} {'P':>6} {'R':>6} {'F1':>6} {'supp':>5} {'thr':>5} {'brier':>6} "
        f"{'ev.hit':>6} {'kw.F1':>6}"
    ]
    for label, m in report.per_label.items():
        hit = f"{m.evidence_hit_rate:.2f}" if m.evidence_hit_rate is not None else "-"
        lines.append(
            f"{label:30} {m.precision:6.3f} {m.recall:6.3f} {m.f1:6.3f} {m.support:5d} "
            f"{m.threshold:5.2f} {m.brier:6.3f} {hit:>6} {m.keyword_f1:6.3f}"
        )

    def fmt(x):
        return f"{x:.3f}" if x is not None else "-"

    lines.append(
        f"macro-F1 {report.macro_f1:.3f}  micro-F1 {report.micro_f1:.3f}  negative FPR "
        f"{report.negative_false_positive_rate:.3f} ({report.negative_passages} negatives)  "
        f"evidence hit {fmt(report.evidence_hit_rate)}  char P/R/F1 "
        f"{fmt(report.evidence_char_precision)}/{fmt(report.evidence_char_recall)}/"
        f"{fmt(report.evidence_char_f1)}"
    )
    if len(report.per_language) > 1:
        names = " ".join(f"{label[:5]:>5}" for label in LABELS)
        lines.append(f"{'language':10} {'n':>5} {'macro-F1':>9} {'neg FPR':>8}  {names}")
        for lang, m in report.per_language.items():
            per = " ".join(f"{'-' if v is None else f'{v:.2f}':>5}" for v in m.f1.values())
            lines.append(
                f"{lang:10} {m.passages:5d} {m.macro_f1:9.3f} "
                f"{m.negative_false_positive_rate:8.3f}  {per}"
            )
    return "\n".join(lines)


def _svg_curve(points: list[tuple[float, float]], size: int = 220) -> str:
    pts = " ".join(
        f"{10 + r * (size - 20):.1f},{size - 10 - p * (size - 20):.1f}" for r, p in points
    )
    return (
        f'<svg width="{size}" height="{size}" role="img" aria-label="precision-recall curve">'
        f'<rect x="10" y="10" width="{size - 20}" height="{size - 20}" fill="none" stroke="#999"/>'
        f'<polyline points="{pts}" fill="none" stroke="#b22" stroke-width="2"/>'
        f'<text x="{size // 2}" y="{size - 1}" font-size="10" text-anchor="middle">recall</text>'
        f'<text x="2" y="{size // 2}" font-size="10" transform="rotate(-90 8,{size // 2})">'
        "precision</text></svg>"
    )


def render_html(report: EvaluationReport) -> str:
    """A self-contained HTML report: figures, PR curves, thresholds and worst errors."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(label)}</td><td>{m.precision:.3f}</td><td>{m.recall:.3f}</td>"
        f"<td>{m.f1:.3f}</td><td>{m.support}</td><td>{m.threshold:.2f}</td>"
        f"<td>{m.brier:.3f}</td><td>"
        f"{'' if m.evidence_hit_rate is None else f'{m.evidence_hit_rate:.2f}'}</td></tr>"
        for label, m in report.per_label.items()
    )
    curves = "".join(
        f"<figure><figcaption>{e(label)}</figcaption>{_svg_curve(pts)}</figure>"
        for label, pts in report.pr_curves.items()
    )
    errors = "".join(
        f"<tr><td>{e(x.id)}</td><td>{e(x.label)}</td><td>{e(x.kind)}</td><td>{x.score:.3f}</td>"
        f"<td>{e(x.text)}</td></tr>"
        for x in report.worst_errors
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Gravewatch evaluation: {e(report.model)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:70em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top}}figure{{display:inline-block}}</style>
</head><body><h1>Gravewatch evaluation</h1>
<p>Model <code>{e(report.model)}</code> on <code>{e(report.data)}</code>: {report.passages} passages,
{report.negative_passages} without a label.</p>
<p>Macro-F1 <b>{report.macro_f1:.3f}</b>, micro-F1 {report.micro_f1:.3f}, false-positive rate on
negative passages {report.negative_false_positive_rate:.3f}, evidence hit rate
{report.evidence_hit_rate if report.evidence_hit_rate is not None else "-"}.</p>
<table><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>support</th>
<th>threshold</th><th>Brier</th><th>evidence hit</th></tr>{rows}</table>
<h2>Precision-recall curves</h2>{curves}
<h2>Worst errors</h2><table><tr><th>id</th><th>label</th><th>error</th><th>score</th>
<th>text</th></tr>{errors}</table></body></html>"""
