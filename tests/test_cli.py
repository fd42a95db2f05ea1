"""`gravewatch classify`: one passage in, the prediction JSON out."""

import json

import pytest
from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()


@pytest.fixture
def models_env(trained):
    return {"GRAVEWATCH_MODELS_DIR": str(trained[0])}


def test_classify_empty_text_fails(models_env):
    result = runner.invoke(app, ["classify", "   "], env=models_env)
    assert result.exit_code == 1 and "the passage is empty" in result.output


def test_classify_prints_prediction(models_env):
    result = runner.invoke(
        app, ["classify", "Shelling killed three children in Gaza."], env=models_env
    )
    assert result.exit_code == 0
    assert set(json.loads(result.output)["scores"]) >= {"killing_maiming", "abduction"}
