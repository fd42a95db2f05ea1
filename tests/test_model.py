"""The classifier: spans inside the text, determinism, thresholds, and a refused tampered artifact."""

import hashlib
import json
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from training.corpus import read_corpus, split_of
from training.registry import RegistryError, load_predictor
from training.schemas import LABELS
from training.train import train


@pytest.fixture(scope="module")
def trained_predictor(trained):
    return trained[2]


def test_prediction_schema_and_evidence(trained):
    _, _, predictor = trained
    text = (
        "Witnesses said an air strike hit the Al-Noor primary school in the morning. "
        "Two pupils aged 9 and 11 were killed and four others wounded."
    )
    (pred,) = predictor.predict([text], ["a1"])
    assert pred.id == "a1" and set(pred.scores) == set(LABELS)
    fired = [lp.label for lp in pred.labels]
    assert "killing_maiming" in fired
    assert [lp.score for lp in pred.labels] == sorted(
        (lp.score for lp in pred.labels), reverse=True
    )
    for lp in pred.labels:
        assert lp.evidence and all(text[e.start : e.end] == e.text for e in lp.evidence)


def test_thresholds_recorded_and_applied(trained):
    _, card, predictor = trained
    assert set(card.thresholds) == set(LABELS)
    (pred,) = predictor.predict(["Rebels abducted 30 schoolchildren from their dormitory."])
    for label, score in pred.scores.items():
        assert (label in {lp.label for lp in pred.labels}) == (score >= card.thresholds[label])


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=3000))
def test_spans_inside_any_text(trained_predictor, text):
    (pred,) = trained_predictor.predict([text])
    for lp in pred.labels:
        for e in lp.evidence:
            assert 0 <= e.start < e.end <= len(text) and text[e.start : e.end] == e.text


def test_same_corpus_and_seed_give_same_predictions(trained, tmp_path):
    _, _, first = trained
    train(seed=0, models_dir=tmp_path)
    second, _ = load_predictor(models_dir=tmp_path)
    texts = [r.text for r in read_corpus() if split_of(r) == "eval"][:200]
    a = [p.model_dump(exclude={"model"}) for p in first.predict(texts)]
    b = [p.model_dump(exclude={"model"}) for p in second.predict(texts)]
    assert a == b


def test_tampered_artifact_is_refused(trained, models_copy):
    version = trained[1].version
    model_file = models_copy / version / "model.joblib"
    model_file.write_bytes(model_file.read_bytes() + b"x")
    with pytest.raises(RegistryError, match="does not match its recorded checksum"):
        load_predictor(version, models_copy)


def test_other_sklearn_version_is_refused(trained, tmp_path):
    models, card, _ = trained
    copy = tmp_path / card.version
    shutil.copytree(models / card.version, copy)
    card_path = copy / "card.json"
    data = json.loads(card_path.read_text())
    data["libraries"]["scikit-learn"] = "0.0.1"
    card_path.write_text(json.dumps(data))
    sums = json.loads((copy / "checksums.json").read_text())
    sums["card.json"] = hashlib.sha256(card_path.read_bytes()).hexdigest()
    (copy / "checksums.json").write_text(json.dumps(sums))
    with pytest.raises(RegistryError, match="retrain with `gravewatch train`"):
        load_predictor(card.version, tmp_path)


def test_missing_active_model_says_how_to_train(tmp_path):
    with pytest.raises(RegistryError, match="gravewatch train"):
        load_predictor(models_dir=tmp_path)


def test_incident_in_a_long_article_is_found_with_document_offsets(trained_predictor):
    filler = "The ministry announced a new budget for road repairs and rural electrification. "
    incident = "Gunmen stormed the school and abducted 30 girls aged 12 to 15."
    article = filler * 40 + incident + " " + filler * 40
    (pred,) = trained_predictor.predict([article])
    abduction = next(label for label in pred.labels if label.label == "abduction")
    assert abduction.evidence[0].text == incident
    assert article[abduction.evidence[0].start : abduction.evidence[0].end] == incident
