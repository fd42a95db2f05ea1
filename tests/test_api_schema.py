"""Schemathesis drives the live API from its own OpenAPI schema with an admin key, on SQLite and
on PostgreSQL: no 5xx, no response that breaks the schema, no undocumented status code."""

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from service.app import create_app
from service.config import Settings
from service.store import repository as repo
from service.store.db import Database
from tests.conftest import STORES
from tests.servers import live_server

LIMITS = {"max_text_chars": 2000, "max_batch_items": 8}
# The API answers 413 (not 422) for a passage or batch over the limits, as its schema documents.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "checks": {
            "negative_data_rejection": {"expected-statuses": [400, 401, 403, 404, 405, 413, 422]}
        }
    }
)
schema = schemathesis.openapi.from_dict(create_app(Settings(**LIMITS)).openapi(), config=CONFIG)


@pytest.fixture(params=STORES)
def api(request, trained, tmp_path_factory, monkeypatch_module):
    """The live API with a migrated store, an admin key (so that every endpoint is exercised
    past authentication) and its own copy of the models (promote and rollback change it).
    Retraining jobs are recorded but not started: a training run per example would take the
    machine."""
    from tests.conftest import migrated_store_url

    folder = tmp_path_factory.mktemp("store")
    url = migrated_store_url(request.param, folder)
    models = folder / "models"
    shutil.copytree(trained[0], models)
    store = Database(url)
    with store.sessions.begin() as session:
        key = repo.create_key(session, "schemathesis", "admin")
    store.close()
    monkeypatch_module.setattr(
        "service.routes.models.launch", lambda settings, job_id, store=None: None
    )
    settings = Settings(models_dir=models, database_url=url, data_dir=folder, **LIMITS)
    with live_server(settings) as base:
        yield base, {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@schema.parametrize()
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, api):
    base_url, headers = api
    case.call_and_validate(base_url=base_url, headers=headers)
