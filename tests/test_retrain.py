"""Retraining from reviews: corrections make the model better on documents of their kind, and
the gate refuses a candidate trained on wrong reviews (benchmarks/retrain_evidence.py)."""

import json

from benchmarks.retrain_evidence import base_files, run
from tests.conftest import TEST_MODEL_PARAMS
from tests.factories import write_corpus
from training.corpus import read_corpus
from training.registry import active_version, statuses, verify


def test_corrections_are_learnt_and_wrong_reviews_are_rejected(tmp_path):
    # every third record of the rest of the corpus, so that the three trainings stay quick
    base = write_corpus(tmp_path / "base.jsonl", read_corpus(base_files())[::3])
    models = tmp_path / "models"
    before, after, accepted, rejected = run(models, params=TEST_MODEL_PARAMS, base=[base])

    assert accepted.promoted and accepted.reasons == []
    assert after["macro"] > before["macro"]
    assert accepted.held_out_reviews > 50 and accepted.training_reviews > 200

    assert not rejected.promoted and rejected.reasons
    assert active_version(models) == accepted.candidate
    by_version = {m.version: m for m in statuses(models)}
    assert by_version[rejected.candidate].status == "rejected"
    assert by_version[accepted.candidate].status == "active"
    comparison = json.loads((models / rejected.candidate / "REJECTED.json").read_text())
    assert comparison["reasons"] == rejected.reasons

    card = verify(accepted.candidate, models)  # reviews.jsonl is checksummed with the model
    assert card.corpus["reviews"] == 550 and card.corpus["reviews_file"] == "reviews.jsonl"
    snapshot = (models / accepted.candidate / "reviews.jsonl").read_text().splitlines()
    assert len(snapshot) == 550
