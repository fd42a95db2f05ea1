"""The evaluation gate fails closed: an active model that cannot be loaded blocks promotion (the
candidate is kept, not active, and the reasons say how to go on); only a registry that never had
an active model promotes its first candidate without a comparison.

Training is replaced by registering a copy of the suite's model as the candidate, so that these
tests exercise the gate and the registry, not the estimator."""

import json

import pytest
from typer.testing import CliRunner

import training.retrain as retrain_module
from service.cli import app as cli
from service.store.db import Database, upgrade
from service.store.tables import JobRow
from tests.factories import clone_model
from training.corpus import read_corpus
from training.registry import (
    ACTIVATIONS_FILE,
    ACTIVE_FILE,
    activations,
    active_version,
    new_version,
    read_card,
    set_active,
    statuses,
)


@pytest.fixture
def quick_candidates(trained, monkeypatch):
    """``retrain`` registers a copy of the suite's model as its candidate instead of training,
    and evaluates both models on a small part of the corpus."""
    source, card, _ = trained

    def register_copy(records, models_dir, **kwargs):
        version = clone_model(source, card.version, new_version(), models_dir)
        return read_card(version, models_dir)

    small = read_corpus()[::20]
    monkeypatch.setattr(retrain_module, "train_records", register_copy)
    monkeypatch.setattr(retrain_module, "training_data", lambda reviews, corpus=None: small)


def damage_checksum(models, version):
    (models / version / "model.joblib").write_bytes(b"not a model")


def other_sklearn(models, version):
    """The active model's card says it was trained with another scikit-learn (checksums kept
    valid, so that only the version check refuses it)."""
    card = json.loads((models / version / "card.json").read_text())
    card["libraries"]["scikit-learn"] = "0.0.1"
    (models / version).rename(models / f".{version}")
    clone_model(models, f".{version}", version, libraries=card["libraries"])


@pytest.mark.parametrize(
    "damage, why",
    [(damage_checksum, "checksum"), (other_sklearn, "scikit-learn 0.0.1")],
    ids=["bad-checksum", "other-scikit-learn"],
)
def test_an_active_model_that_cannot_be_loaded_blocks_promotion(
    models_copy, quick_candidates, damage, why
):
    before = active_version(models_copy)
    log_before = activations(models_copy)
    damage(models_copy, before)

    result = retrain_module.retrain([], models_copy)

    assert not result.promoted and not result.compared
    assert active_version(models_copy) == before
    assert activations(models_copy) == log_before
    (reason,) = result.reasons
    assert f"the active model {before} cannot be loaded" in reason and why in reason
    assert f"gravewatch models promote {result.candidate}" in reason
    by_version = {m.version: m.status for m in statuses(models_copy)}
    assert by_version[result.candidate] == "candidate"  # kept, neither active nor rejected
    assert not (models_copy / result.candidate / "REJECTED.json").exists()


def test_force_promotes_over_an_active_model_that_cannot_be_loaded(models_copy, quick_candidates):
    before = active_version(models_copy)
    damage_checksum(models_copy, before)
    result = retrain_module.retrain([], models_copy, force_by="cli:alice")
    assert result.promoted and result.forced_by == "cli:alice" and not result.compared
    assert active_version(models_copy) == result.candidate
    assert activations(models_copy)[-1]["by"] == "cli:alice"


def test_an_active_file_naming_a_missing_model_blocks_promotion(models_copy, quick_candidates):
    (models_copy / ACTIVE_FILE).write_text("20000101T000000000000Z-gone00\n")
    result = retrain_module.retrain([], models_copy)
    assert not result.promoted and "20000101T000000000000Z-gone00" in result.reasons[0]
    assert active_version(models_copy) == "20000101T000000000000Z-gone00"


def test_only_a_registry_without_an_active_model_promotes_the_first_candidate(
    models_copy, quick_candidates
):
    (models_copy / ACTIVE_FILE).unlink()
    (models_copy / ACTIVATIONS_FILE).unlink()
    result = retrain_module.retrain([], models_copy)
    assert result.promoted and result.active is None and result.reasons == []
    assert active_version(models_copy) == result.candidate
    assert [a["version"] for a in activations(models_copy)] == [result.candidate]


def test_the_retrain_command_says_why_and_what_to_do(models_copy, quick_candidates, tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    before = active_version(models_copy)
    damage_checksum(models_copy, before)
    env = {"GRAVEWATCH_MODELS_DIR": str(models_copy), "GRAVEWATCH_DATABASE_URL": url}

    run = CliRunner().invoke(cli, ["retrain"], env=env)

    assert run.exit_code == 4, run.output
    assert "Traceback" not in run.output
    assert "rejected" in run.output and "not compared" in run.output
    assert f"the active model {before} cannot be loaded" in run.output
    assert "gravewatch models promote" in run.output
    assert active_version(models_copy) == before
    store = Database(url)
    with store.sessions() as session:
        (job,) = session.query(JobRow).all()
        assert job.state == "rejected" and job.result["compared"] is False
    store.close()


def test_a_candidate_is_not_promoted_over_a_model_activated_during_its_comparison(
    trained, models_copy, quick_candidates, monkeypatch
):
    before = active_version(models_copy)
    other = clone_model(models_copy, trained[1].version, "29990101T000000000000Z-other")

    def gate_while_someone_promotes(*args):
        set_active(other, models_copy, by="cli:bob", reason="promoted")
        return []

    monkeypatch.setattr(retrain_module, "gate", gate_while_someone_promotes)
    result = retrain_module.retrain([], models_copy)
    assert not result.promoted and result.active == before
    assert f"changed from {before} to {other}" in result.reasons[-1]
    assert active_version(models_copy) == other
    assert activations(models_copy)[-1]["by"] == "cli:bob"
