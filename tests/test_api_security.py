"""Safe defaults: body limits on the stream, keys before bodies, who may store, no passage text in
logs, limits on reviews, browser security headers, and the documented security scheme."""

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from service.app import create_app
from service.config import Settings
from service.store.db import upgrade
from tests.factories import add_documents, error_of, key
from tests.servers import live_server

SECRET = "Amina, aged 12, was taken from the Qasr al-Nil school by the militia on Tuesday."
MB = 1024 * 1024


@pytest.fixture
def store_url(tmp_path) -> str:
    """These tests need one store, not one per database: SQLite only."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    return url


@pytest.fixture
def settings(trained, store_url, tmp_path) -> Settings:
    return Settings(
        models_dir=trained[0], database_url=store_url, data_dir=tmp_path, max_request_bytes=MB
    )


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as c:
        yield c


class Counted:
    """A request body sent in 64 KiB chunks, counting how much the server made us send."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.sent = 0

    def __iter__(self):
        chunk = b"x" * 65536
        while self.sent < self.total:
            self.sent += len(chunk)
            yield chunk


def post_stream(url: str, body: Counted, headers: dict) -> httpx.Response | None:
    """The response, or None when the server closed the connection while we still sent."""
    try:
        return httpx.post(url, content=body, headers=headers, timeout=30)
    except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError):
        return None


def test_a_chunked_body_over_the_limit_is_refused_without_reading_it(settings):
    body = Counted(200 * MB)
    with live_server(settings) as base:
        response = post_stream(f"{base}/v1/classify", body, {"content-type": "application/json"})
    assert body.sent < 24 * MB  # the limit (1 MB) plus what the socket buffers hold
    if response is not None:
        assert response.status_code == 413
        assert error_of(response) == {
            "code": "request_too_large",
            "message": f"the request body has more than {MB} bytes; the limit is {MB} "
            "(GRAVEWATCH_MAX_REQUEST_BYTES): send fewer passages",
        }


def test_a_chunked_body_over_the_limit_is_413_in_process(client):
    def chunks():
        for _ in range(40):
            yield b"x" * 65536

    response = client.post(
        "/v1/classify", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"


def test_the_key_is_checked_before_the_body_is_read(settings):
    body = Counted(200 * MB)
    with live_server(settings) as base:
        response = post_stream(
            f"{base}/v1/documents/doc_{'0' * 32}/reviews",
            body,
            {"content-type": "application/json"},
        )
    assert body.sent < 24 * MB
    if response is not None:
        assert response.status_code == 401
        assert error_of(response)["code"] == "missing_api_key"


def test_a_review_body_from_an_unknown_key_is_401_before_parsing(client):
    response = client.post(
        f"/v1/documents/doc_{'0' * 32}/reviews",
        content=b"{not json",
        headers={"Authorization": "Bearer wrong", "content-type": "application/json"},
    )
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_api_key"


def test_storing_needs_an_ingest_key(client, store):
    body = {"text": SECRET, "store": True}
    anonymous = client.post("/v1/classify", json=body)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert error_of(anonymous) == {
        "code": "missing_api_key",
        "message": "storing passages needs an API key with role ingest or higher: send "
        "'Authorization: Bearer <key>' (create one with `gravewatch keys create`)",
    }
    reader = client.post("/v1/classify", json=body, headers=key(store, "newsroom", "reader"))
    assert reader.status_code == 403
    assert error_of(reader) == {
        "code": "forbidden",
        "message": "the key 'newsroom' has role reader; storing passages needs ingest",
    }
    batch = client.post("/v1/classify/batch", json={"items": [{"text": "calm"}, body]})
    assert batch.status_code == 401
    with store.sessions() as session:
        assert session.execute(text("SELECT count(*) FROM documents")).scalar() == 0
    ingest = client.post("/v1/classify", json=body, headers=key(store, "feeds", "ingest"))
    assert ingest.status_code == 200 and ingest.json()["document"].startswith("doc_")
    assert client.post("/v1/classify", json={"text": SECRET}).status_code == 200


def test_listing_models_needs_a_key(client, store):
    response = client.get("/v1/models")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert error_of(response)["code"] == "missing_api_key"
    assert client.get("/v1/models", headers=key(store, "newsroom", "reader")).status_code == 200


def test_every_401_says_how_to_authenticate(client):
    missing = client.get("/v1/review/queue")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    wrong = client.get("/v1/review/queue", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_no_passage_text_reaches_the_logs_even_in_sql_errors(settings, store, capsys):
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON documents "
            "BEGIN SELECT RAISE(ABORT, 'disk quota'); END"
        )
    headers = key(store, "feeds", "ingest")
    with TestClient(create_app(settings)) as client:
        capsys.readouterr()
        response = client.post(
            "/v1/classify", json={"text": SECRET, "id": "case-7", "store": True}, headers=headers
        )
    assert response.status_code == 503
    assert error_of(response) == {
        "code": "store_unavailable",
        "message": "the review store failed (IntegrityError); the operator has the details "
        "in the log",
    }
    logged = capsys.readouterr().err
    assert "disk quota" in logged  # the error is logged ...
    for fragment in ("Amina", "Qasr", "militia", "case-7"):
        assert fragment not in logged  # ... without the passage or its id


@pytest.fixture
def reviewable(client, store):
    admin = key(store, "ops", "admin")
    (doc_id,) = add_documents(client, admin, SECRET)
    return doc_id, admin


def test_a_review_has_at_most_100_spans(client, reviewable):
    doc_id, admin = reviewable
    span = {"label": "abduction", "start": 0, "end": 5}
    response = client.post(
        f"/v1/documents/{doc_id}/reviews",
        json={"labels": ["abduction"], "evidence": [span] * 101},
        headers=admin,
    )
    assert response.status_code == 422
    assert error_of(response) == {
        "code": "invalid_request",
        "message": "evidence: List should have at most 100 items after validation, not 101",
    }


def test_a_review_comment_has_at_most_2000_characters(client, reviewable):
    doc_id, admin = reviewable
    response = client.post(
        f"/v1/documents/{doc_id}/reviews",
        json={"labels": [], "comment": "x" * 2001},
        headers=admin,
    )
    assert response.status_code == 422
    assert error_of(response) == {
        "code": "invalid_request",
        "message": "comment: String should have at most 2000 characters",
    }


def test_a_review_names_each_label_once(client, reviewable):
    doc_id, admin = reviewable
    span = {"label": "abduction", "start": 0, "end": 5}
    response = client.post(
        f"/v1/documents/{doc_id}/reviews",
        json={"labels": ["abduction", "abduction"], "evidence": [span]},
        headers=admin,
    )
    assert response.status_code == 422
    assert error_of(response) == {  # the corpus's rule and wording (test_annotation_rules)
        "code": "repeated_label",
        "message": "labels: abduction listed more than once: give each label once",
    }


@pytest.mark.parametrize("path", ["/review", "/review/review.js", "/v1/labels", "/healthz"])
def test_browser_security_headers_are_sent(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp


def test_the_openapi_schema_documents_the_bearer_scheme_and_each_routes_role(client):
    schema = client.get("/openapi.json").json()
    bearer = schema["components"]["securitySchemes"]["HTTPBearer"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    roles = {
        (path, method): op.get("x-required-role")
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    }
    assert roles == {
        ("/v1/classify", "post"): "none (reader with GRAVEWATCH_REQUIRE_API_KEY; ingest to store)",
        ("/v1/classify/batch", "post"): "none (reader with GRAVEWATCH_REQUIRE_API_KEY; ingest to "
        "store)",
        ("/v1/review/queue", "get"): "reviewer",
        ("/v1/documents/{doc_id}", "get"): "reviewer",
        ("/v1/documents/{doc_id}/reviews", "post"): "reviewer",
        ("/v1/documents/{doc_id}/skip", "post"): "reviewer",
        ("/v1/documents", "get"): "reviewer",
        ("/v1/documents/{doc_id}/history", "get"): "reviewer",
        ("/v1/review/me", "get"): "reviewer",
        ("/v1/review/stats", "get"): "reviewer",
        ("/v1/review/disputes", "get"): "admin",
        ("/v1/review/bulk-accept", "post"): "admin",
        ("/v1/review/bulk-accept/{batch}/undo", "post"): "admin",
        ("/v1/models", "get"): "reader",
        ("/v1/models/{version}/promote", "post"): "admin",
        ("/v1/models/rollback", "post"): "admin",
        ("/v1/models/retrain", "post"): "admin",
        ("/v1/jobs/{job_id}", "get"): "admin",
        ("/v1/labels", "get"): None,
        ("/v1/model", "get"): None,
        ("/healthz", "get"): None,
        ("/readyz", "get"): None,
        ("/metrics", "get"): None,
    }
    for (path, method), role in roles.items():
        op = schema["paths"][path][method]
        if role is None:
            assert "security" not in op, path
        elif role.startswith("none"):  # a key is optional
            assert op["security"] == [{}, {"HTTPBearer": []}], path
        else:
            assert op["security"] == [{"HTTPBearer": []}], path
            assert f"Role: {role}." in op["description"], path
