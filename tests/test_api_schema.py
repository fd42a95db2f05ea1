"""Schemathesis drives the live API from its own OpenAPI schema: no 5xx, no response that breaks
the schema, no undocumented status code."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from service.app import create_app
from service.config import Settings
from tests.servers import live_server

LIMITS = {"max_text_chars": 2000, "max_batch_items": 8}
# The API answers 413 (not 422) for a passage or batch over the limits, as its schema documents.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": [400, 404, 405, 413, 422]}}}
)
schema = schemathesis.openapi.from_dict(
    create_app(Settings(**LIMITS)).openapi(), config=CONFIG
)


@pytest.fixture(scope="module")
def base_url(trained):
    with live_server(Settings(models_dir=trained[0], **LIMITS)) as base:
        yield base


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, base_url):
    case.call_and_validate(base_url=base_url)
