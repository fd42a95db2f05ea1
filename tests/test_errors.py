"""One error hierarchy: every Gravewatch error has a kind, the API gives each kind one status
and the same JSON body, the CLI one line and exit status 1."""

import pytest
import typer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from service.batch.engines import EngineError
from service.batch.fetch import FetchError
from service.batch.journal import JournalError
from service.batch.lock import LockedError
from service.batch.sources import SourceError
from service.cli import _Commands
from service.errors import ApiError, install_error_handlers
from service.scorer import ModelUnavailable
from training.corpus import CorpusError
from training.errors import Conflict, GravewatchError, InvalidInput, NotFound, Unavailable
from training.registry import ModelNotFound, ModelRefused, RegistryConflict

KINDS = (InvalidInput, NotFound, Conflict, Unavailable)


@pytest.mark.parametrize(
    "error",
    [
        CorpusError,
        ModelNotFound,
        ModelRefused,
        RegistryConflict,
        ModelUnavailable,
        EngineError,
        FetchError,
        JournalError,
        LockedError,
        SourceError,
    ],
)
def test_every_error_has_exactly_one_kind(error):
    assert issubclass(error, GravewatchError)
    assert sum(issubclass(error, kind) for kind in KINDS) == 1


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidInput("the span is empty: select words", code="evidence_blank"), 422),
        (NotFound("no job 3", code="job_not_found"), 404),
        (RegistryConflict("no earlier model", code="no_earlier_model"), 409),
        (ModelUnavailable("no model is loaded"), 503),
        (ApiError(413, "text_too_long", "too long: split it"), 413),
    ],
)
def test_the_api_handler_maps_each_kind_to_its_status_and_the_error_body(error, status):
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/fail")
    async def fail():
        raise error

    response = TestClient(app).get("/fail")
    assert response.status_code == status
    assert response.json() == {"error": {"code": error.code, "message": error.message}}


@pytest.mark.parametrize(
    ("error", "headers"),
    [
        (ModelUnavailable("no model is loaded"), {"retry-after": "7"}),
        (
            Unavailable("the review store has no tables", code="store_unavailable"),
            {"retry-after": "7"},
        ),
        (ApiError(503, "retrain_unavailable", "cannot start: retry"), {"retry-after": "7"}),
        (OperationalError("SELECT 1", {}, Exception("gone")), {"retry-after": "7"}),
        (NotFound("no job 3", code="job_not_found"), {}),
        (
            ApiError(401, "missing_key", "send a key", headers={"WWW-Authenticate": "Bearer"}),
            {"www-authenticate": "Bearer"},
        ),
    ],
)
def test_every_503_and_no_other_error_says_when_to_retry(error, headers):
    app = FastAPI()
    install_error_handlers(app, retry_after=7)

    @app.get("/fail")
    async def fail():
        raise error

    response = TestClient(app).get("/fail")
    sent = {k: v for k, v in response.headers.items() if k in ("retry-after", "www-authenticate")}
    assert sent == headers


def test_the_cli_handler_prints_one_line_and_exits_1():
    app = typer.Typer(cls=_Commands)

    @app.command()
    def go() -> None:
        raise ModelNotFound("model 'x' not found: `gravewatch models list` names them")

    @app.command()
    def other() -> None:
        pass

    result = CliRunner().invoke(app, ["go"])
    assert result.exit_code == 1
    assert result.output == "error: model 'x' not found: `gravewatch models list` names them\n"
