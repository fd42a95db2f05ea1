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


def test_db_upgrade_and_key_lifecycle(tmp_path):
    env = {"GRAVEWATCH_DATA_DIR": str(tmp_path)}
    result = runner.invoke(app, ["db", "upgrade"], env=env)
    assert result.exit_code == 0 and "up to date" in result.output
    assert (tmp_path / "gravewatch.db").exists()

    created = runner.invoke(app, ["keys", "create", "--name", "m1", "--role", "reviewer"], env=env)
    assert created.exit_code == 0 and created.stdout.strip().startswith("gw_")
    listed = runner.invoke(app, ["keys", "list"], env=env)
    assert "m1\treviewer" in listed.stdout and "active" in listed.stdout
    assert runner.invoke(app, ["keys", "revoke", "m1"], env=env).exit_code == 0
    assert "revoked" in runner.invoke(app, ["keys", "list"], env=env).stdout

    bad = runner.invoke(app, ["keys", "create", "--name", "x", "--role", "boss"], env=env)
    assert (
        bad.exit_code == 1 and "role must be one of reader, ingest, reviewer, admin" in bad.output
    )
    again = runner.invoke(app, ["keys", "revoke", "m1"], env=env)
    assert again.exit_code == 1 and "no active key named 'm1'" in again.output


def test_store_commands_explain_a_missing_schema(tmp_path):
    result = runner.invoke(app, ["keys", "list"], env={"GRAVEWATCH_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 1 and "gravewatch db upgrade" in result.output
