"""`gravewatch train` options that need no training run: --sample draws the same records for the
same seed; --params takes only the estimator's parameters, with one line when it is wrong."""

import pytest
from typer.testing import CliRunner

from service.cli import app
from training.corpus import read_corpus
from training.train import sample_records


def test_a_sample_is_drawn_by_the_seed_and_keeps_corpus_order():
    records = read_corpus()
    first, again, other = (sample_records(records, 50, seed) for seed in (0, 0, 1))
    assert [r.id for r in first] == [r.id for r in again] != [r.id for r in other]
    positions = [records.index(r) for r in first]
    assert len(first) == 50 and positions == sorted(positions)
    assert sample_records(records[:10], 50) == records[:10]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("{cv: 3}", "error: --params is not JSON (Expecting property name enclosed in double "
         "quotes at character 1): {cv: 3}"),
        ("[3]", 'error: --params takes a JSON object such as {"cv": 3}, not [3]'),
        ('{"folds": 3}', "error: --params: unknown parameter folds; the estimator takes C, "),
        ('{"random_state": 3}', "error: --params: unknown parameter random_state (use --seed)"),
    ],
)  # fmt: skip
def test_params_that_are_not_the_estimators_are_refused_in_one_line(tmp_path, params, message):
    env = {"GRAVEWATCH_MODELS_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, ["train", "--params", params], env=env)
    assert result.exit_code == 2
    assert len(result.output.splitlines()) == 1 and result.output.startswith(message)
    assert not any(tmp_path.iterdir())


def test_a_sample_too_small_to_train_on_is_one_line(tmp_path):
    env = {"GRAVEWATCH_MODELS_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, ["train", "--sample", "5"], env=env)
    assert result.exit_code == 1 and len(result.output.splitlines()) == 1
    assert result.output.startswith("error: training failed with --sample/--params: ")
    assert result.output.endswith("(a larger sample or the default parameters may train)\n")
