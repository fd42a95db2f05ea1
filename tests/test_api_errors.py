"""Inputs that used to end in a server error: each is refused with a 4xx that says what to fix,
on SQLite and on PostgreSQL."""

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from tests.factories import add_documents, error_of, key

TEXT = "Gunmen stormed the school at night and abducted 40 girls aged 11 to 16."


@pytest.fixture
def client(trained, store_url, tmp_path):
    settings = Settings(models_dir=trained[0], database_url=store_url, data_dir=tmp_path)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def admin(store):
    return key(store, "ops", "admin")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            b'{"text": "School \\ud800 attacked", "store": true}',
            "text: contains a lone surrogate (U+D800) at index 7: send valid Unicode text",
        ),
        (
            b'{"text": "School\\u0000attacked", "store": true}',
            "text: contains a NUL character (U+0000) at index 6: remove it",
        ),
        (
            b'{"text": "School attacked", "id": "a\\u0000", "store": true}',
            "id: contains a NUL character (U+0000) at index 1: remove it",
        ),
        (
            b'{"text": "School attacked", "id": "\\udfff"}',
            "id: contains a lone surrogate (U+DFFF) at index 0: send valid Unicode text",
        ),
    ],
)
def test_classify_refuses_text_that_is_not_plain_unicode(client, admin, raw, message):
    headers = {**admin, "content-type": "application/json"}
    response = client.post("/v1/classify", content=raw, headers=headers)
    assert response.status_code == 422
    assert error_of(response) == {"code": "invalid_request", "message": message}
    batch = b'{"items": [' + raw + b"]}"
    response = client.post("/v1/classify/batch", content=batch, headers=headers)
    assert response.status_code == 422
    assert error_of(response) == {"code": "invalid_request", "message": f"items[0].{message}"}


def test_a_review_comment_with_a_nul_character_is_refused(client, store, admin):
    (doc_id,) = add_documents(client, admin, TEXT)
    response = client.post(
        f"/v1/documents/{doc_id}/reviews",
        json={"labels": [], "comment": "see\x00below"},
        headers=admin,
    )
    assert response.status_code == 422
    assert error_of(response) == {
        "code": "invalid_request",
        "message": "comment: contains a NUL character (U+0000) at index 3: remove it",
    }


@pytest.mark.parametrize("doc_id", ["%00", "a%00b", "x" * 300, "%F0%9F%92%A3"])
def test_a_document_id_that_cannot_exist_is_404(client, admin, doc_id):
    for response in (
        client.get(f"/v1/documents/{doc_id}", headers=admin),
        client.post(f"/v1/documents/{doc_id}/reviews", json={"labels": []}, headers=admin),
        client.post(f"/v1/documents/{doc_id}/skip", headers=admin),
    ):
        assert response.status_code == 404
        assert error_of(response)["code"] == "document_not_found"


@pytest.mark.parametrize("job_id", [2**31, 2**63, 2**64 + 1, 0])
def test_a_job_id_out_of_range_is_422(client, admin, job_id):
    response = client.get(f"/v1/jobs/{job_id}", headers=admin)
    assert response.status_code == 422
    bound = "greater than or equal to 1" if job_id == 0 else "less than or equal to 2147483647"
    assert error_of(response) == {
        "code": "invalid_request",
        "message": f"path.job_id: Input should be {bound}",
    }


def test_an_unknown_job_is_404(client, admin):
    response = client.get("/v1/jobs/2147483647", headers=admin)
    assert response.status_code == 404
    assert error_of(response) == {"code": "job_not_found", "message": "no job 2147483647"}


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/v1/documents?offset=-1", "query.offset: Input should be greater than or equal to 0"),
        ("/v1/documents?limit=-1", "query.limit: Input should be greater than or equal to 1"),
        ("/v1/review/queue?limit=-2", "query.limit: Input should be greater than or equal to 1"),
        ("/v1/documents?offset=-1.5", "query.offset: Input should be a valid integer"),
    ],
)
def test_a_negative_count_in_the_query_says_how_small_it_may_be(client, admin, path, message):
    """-1 is an integer: the problem is that it is too small, and the message says so."""
    response = client.get(path, headers=admin)
    assert response.status_code == 422
    assert error_of(response) == {"code": "invalid_request", "message": message}


@pytest.mark.parametrize(
    ("content_type", "sent_as"),
    [
        ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
        ("text/plain", "text/plain"),
        (None, "no Content-Type"),
    ],
)
def test_a_json_body_sent_without_the_json_content_type_says_to_send_it(
    client, content_type, sent_as
):
    """`curl -d '{"text": ...}'` sends a form content type: the answer names the header to
    send, not a validation error about a dictionary."""
    headers = {"content-type": content_type} if content_type else {}
    response = client.post(
        "/v1/classify", content=b'{"text": "' + TEXT.encode() + b'"}', headers=headers
    )
    assert response.status_code == 415
    assert error_of(response) == {
        "code": "unsupported_media_type",
        "message": f"the request body was sent as {sent_as}; send JSON with "
        "'Content-Type: application/json'",
    }


@pytest.mark.parametrize(
    "raw",
    [
        b'{"text": "x", "id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"text": "x", "id": ' + b"1" * 5000 + b"}",
    ],
    ids=["nested too deeply", "a number too long"],
)
def test_json_python_cannot_read_is_invalid_json(client, raw):
    response = client.post(
        "/v1/classify", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert error_of(response) == {
        "code": "invalid_json",
        "message": "the request body is not JSON the server can read (nested too deeply or a "
        "number too long); send a JSON object",
    }
