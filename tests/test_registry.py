"""What the card records (library, feature-code and taxonomy versions) and the models the
registry refuses to load, each with a message that says to retrain."""

import hashlib
import json

import pytest
from typer.testing import CliRunner

from service.cli import app as cli
from tests.factories import clone_model
from training.model import FEATURES_VERSION
from training.registry import (
    IncompatibleModel,
    RegistryError,
    active_version,
    load_predictor,
    read_card,
    taxonomy_fingerprint,
    verify,
)
from training.schemas import LABELS
from training.taxonomy import load_taxonomy


def test_the_card_records_the_code_and_taxonomy_versions(trained):
    models, card, _ = trained
    assert card.libraries["gravewatch-features"] == FEATURES_VERSION
    assert "gravewatch" in card.libraries and "scikit-learn" in card.libraries
    assert card.taxonomy == taxonomy_fingerprint()
    assert card.taxonomy["version"] == load_taxonomy().version
    assert card.taxonomy["labels"] == list(LABELS) and len(card.taxonomy["sha256"]) == 64
    assert read_card(card.version, models).taxonomy == card.taxonomy  # saved, not only built


def test_a_model_of_other_feature_code_is_refused_with_a_message_to_retrain(trained, models_copy):
    card = trained[1]
    libraries = {**card.libraries, "gravewatch-features": "0-older"}
    old = clone_model(
        models_copy, card.version, "29990101T000000000000Z-oldfea", libraries=libraries
    )
    with pytest.raises(IncompatibleModel) as refused:
        load_predictor(old, models_copy)
    message = str(refused.value)
    assert "feature code version 0-older" in message and FEATURES_VERSION in message
    assert "retrain with `gravewatch train`" in message

    before = active_version(models_copy)
    run = CliRunner().invoke(
        cli, ["models", "promote", old], env={"GRAVEWATCH_MODELS_DIR": str(models_copy)}
    )
    assert run.exit_code == 1 and "feature code version 0-older" in run.output
    assert "Traceback" not in run.output
    assert active_version(models_copy) == before


def test_a_model_trained_for_other_labels_is_refused(trained, models_copy):
    card = trained[1]
    taxonomy = {**card.taxonomy, "labels": list(reversed(LABELS))}
    other = clone_model(
        models_copy, card.version, "29990101T000000000000Z-labels", taxonomy=taxonomy
    )
    with pytest.raises(IncompatibleModel, match="trained for the labels .* retrain"):
        verify(other, models_copy)


def test_a_model_trained_before_the_taxonomy_was_recorded_still_loads(trained, models_copy):
    card = trained[1]
    old = clone_model(models_copy, card.version, "29990101T000000000000Z-notaxo")
    card_path = models_copy / old / "card.json"
    content = json.loads(card_path.read_text())
    del content["taxonomy"]
    card_path.write_text(json.dumps(content))
    sums = json.loads((models_copy / old / "checksums.json").read_text())
    sums["card.json"] = hashlib.sha256(card_path.read_bytes()).hexdigest()
    (models_copy / old / "checksums.json").write_text(json.dumps(sums))
    assert verify(old, models_copy).taxonomy == {}


def test_a_checksummed_file_that_is_not_a_model_is_refused_without_a_traceback(
    trained, models_copy
):
    card = trained[1]
    bad = clone_model(models_copy, card.version, "29990101T000000000000Z-notpkl")
    (models_copy / bad / "model.joblib").write_bytes(b"not a pickle at all")
    sums = json.loads((models_copy / bad / "checksums.json").read_text())
    sums["model.joblib"] = hashlib.sha256(b"not a pickle at all").hexdigest()
    (models_copy / bad / "checksums.json").write_text(json.dumps(sums))
    with pytest.raises(IncompatibleModel, match="cannot be read .* retrain"):
        load_predictor(bad, models_copy)


@pytest.mark.parametrize("content", ["{not json", '{"version": 3}'])
def test_a_damaged_card_or_checksum_file_is_a_registry_error(trained, models_copy, content):
    card = trained[1]
    (models_copy / card.version / "checksums.json").write_text(content)
    with pytest.raises(RegistryError, match="damaged|does not match"):
        verify(card.version, models_copy)
    (models_copy / card.version / "card.json").write_text(content)
    with pytest.raises(RegistryError, match="damaged"):
        read_card(card.version, models_copy)
