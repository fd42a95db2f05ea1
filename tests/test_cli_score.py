"""`gravewatch score` and `classify`: bad lines are reported and the rest is scored."""

import json

import pytest
from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()


@pytest.fixture
def models_env(trained):
    return {"GRAVEWATCH_MODELS_DIR": str(trained[0])}


def test_bad_line_reported_rest_scored(models_env, write_jsonl, tmp_path):
    src = write_jsonl(
        [
            {"id": "a", "text": "Militiamen abducted four girls aged 12 to 15."},
            "{broken",
            {"id": "c"},
            {"id": "d", "text": "Markets reopened."},
        ]
    )
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["score", str(src), "-o", str(out)], env=models_env)
    assert result.exit_code == 3
    assert f"{src}:2: invalid JSON" in result.output
    assert f'{src}:3: missing or empty "text"' in result.output
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["a", "d"]


def test_missing_file(models_env, tmp_path):
    result = runner.invoke(
        app,
        ["score", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "o.jsonl")],
        env=models_env,
    )
    assert result.exit_code == 1 and "no such file" in result.output


def test_classify_empty_text_fails(models_env):
    result = runner.invoke(app, ["classify", "   "], env=models_env)
    assert result.exit_code == 1 and "the passage is empty" in result.output


def test_classify_prints_prediction(models_env):
    result = runner.invoke(
        app, ["classify", "Shelling killed three children in Gaza."], env=models_env
    )
    assert result.exit_code == 0
    assert set(json.loads(result.output)["scores"]) >= {"killing_maiming", "abduction"}
