"""Model versions: statuses, promotion and rollback, from the CLI and the API."""

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.app import create_app
from service.cli import app as cli
from service.config import Settings
from service.store import repository as repo
from service.store.db import Database, upgrade
from tests.factories import clone_model
from training.registry import active_version, mark_rejected, set_active, statuses

runner = CliRunner()


def clone(models, version: str, new: str) -> str:
    """A second registered version: the same model under another name, checksums renewed."""
    return clone_model(models, version, new)


@pytest.fixture
def registry(trained, models_copy):
    first = trained[1].version
    second = clone(models_copy, first, "29990101T000000000000Z-second")
    third = clone(models_copy, first, "29990102T000000000000Z-third")
    set_active(second, models_copy, by="test", reason="trained")
    return models_copy, first, second, third


def test_statuses_follow_the_activation_history(registry):
    models, first, second, third = registry
    mark_rejected(third, {"macro_f1": {"active": 0.8, "candidate": 0.7}}, models)
    by_version = {m.version: m.status for m in statuses(models)}
    assert by_version == {second: "active", first: "retired", third: "rejected"}


def test_cli_promote_list_and_rollback(registry):
    models, first, second, third = registry
    env = {"GRAVEWATCH_MODELS_DIR": str(models)}
    assert runner.invoke(cli, ["models", "promote", third], env=env).exit_code == 0
    assert active_version(models) == third
    listed = runner.invoke(cli, ["models", "list"], env=env).stdout
    assert f"{third}\tactive" in listed and f"{second}\tretired" in listed
    back = runner.invoke(cli, ["models", "rollback"], env=env)
    assert back.exit_code == 0 and active_version(models) == second
    missing = runner.invoke(cli, ["models", "promote", "nope"], env=env)
    assert missing.exit_code == 1 and "nope" in missing.output


@pytest.fixture
def api(registry, tmp_path):
    models = registry[0]
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    store = Database(url)
    with store.sessions.begin() as session:
        admin = repo.create_key(session, "ops", "admin")
        reader = repo.create_key(session, "newsroom", "reader")
    store.close()
    settings = Settings(models_dir=models, database_url=url, data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        yield client, {"Authorization": f"Bearer {admin}"}, {"Authorization": f"Bearer {reader}"}


def test_api_lists_promotes_and_rolls_back(registry, api):
    models, first, second, third = registry
    client, admin, reader = api
    listed = client.get("/v1/models", headers=reader).json()
    assert [m["status"] for m in listed if m["version"] == second] == ["active"]
    assert client.post(f"/v1/models/{third}/promote", headers=reader).status_code == 403
    promoted = client.post(f"/v1/models/{third}/promote", headers=admin)
    assert promoted.status_code == 200 and promoted.json() == {"active": third}
    assert active_version(models) == third
    assert client.post("/v1/models/rollback", headers=admin).json() == {"active": second}
    assert client.post("/v1/models/nope/promote", headers=admin).status_code == 404


def test_a_damaged_version_cannot_be_promoted(registry, api):
    models, first, second, third = registry
    client, admin, _ = api
    (models / third / "model.joblib").write_bytes(b"not a model")
    refused = client.post(f"/v1/models/{third}/promote", headers=admin)
    assert refused.status_code == 422 and "checksum" in refused.json()["error"]["message"]
    assert active_version(models) == second


def test_rollback_to_a_damaged_version_is_refused_as_a_promotion_is(registry, api):
    """The same registry error gets one status: a damaged model is 422 model_refused whether
    it is promoted or rolled back to (rollback used to answer 409 no_earlier_model)."""
    models, first, second, third = registry
    client, admin, _ = api
    assert client.post(f"/v1/models/{third}/promote", headers=admin).status_code == 200
    (models / second / "model.joblib").write_bytes(b"not a model")
    refused = client.post("/v1/models/rollback", headers=admin)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "model_refused"
    assert "checksum" in refused.json()["error"]["message"]
    assert active_version(models) == third


def test_rollback_without_an_earlier_version_is_409(trained, models_copy, tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    store = Database(url)
    with store.sessions.begin() as session:
        admin = {"Authorization": f"Bearer {repo.create_key(session, 'ops', 'admin')}"}
    store.close()
    settings = Settings(models_dir=models_copy, database_url=url, data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        response = client.post("/v1/models/rollback", headers=admin)
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "no_earlier_model",
        "message": f"no earlier model to roll back to from {trained[1].version}: the activation "
        "log names no other version that is still registered; promote a version by name",
    }


def test_cli_reports_registry_errors_in_one_line(registry):
    models, first, second, third = registry
    env = {"GRAVEWATCH_MODELS_DIR": str(models)}
    (models / third / "model.joblib").write_bytes(b"not a model")
    refused = runner.invoke(cli, ["models", "promote", third], env=env)
    assert refused.exit_code == 1 and refused.exception is not None
    assert isinstance(refused.exception, SystemExit)
    assert refused.output.startswith(f"error: model {third!r}: model.joblib does not match")
    assert "Traceback" not in refused.output


@pytest.mark.parametrize("folder", ["empty", "missing"])
def test_cli_list_without_a_model_says_how_to_train_one(tmp_path, folder):
    models = tmp_path / "models"
    if folder == "empty":
        models.mkdir()
    listed = runner.invoke(cli, ["models", "list"], env={"GRAVEWATCH_MODELS_DIR": str(models)})
    assert listed.exit_code == 1
    assert listed.output.splitlines() == [
        f"error: no model in {models}: train one with `gravewatch train`"
    ]
