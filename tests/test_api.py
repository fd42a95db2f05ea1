"""The REST API: every endpoint, every refusal, metrics and logs."""

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from service.app import create_app
from service.config import Settings
from training.schemas import LABELS, Prediction

INCIDENT = (
    "Witnesses said an air strike hit the primary school in the village on Tuesday. "
    "Two pupils aged 9 and 11 were killed and four were wounded."
)
OPENAPI_PIN = Path(__file__).parent / "data" / "openapi.json"


@pytest.fixture
def client(trained):
    with TestClient(create_app(Settings(models_dir=trained[0]))) as c:
        yield c


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return body["error"]


def test_classify_returns_the_prediction_schema_with_evidence(client, trained):
    response = client.post("/v1/classify", json={"text": INCIDENT, "id": "a1"})
    assert response.status_code == 200
    pred = Prediction.model_validate(response.json())
    assert pred.id == "a1" and pred.model == trained[1].version
    assert set(pred.scores) == set(LABELS)
    fired = [label.label for label in pred.labels]
    assert "killing_maiming" in fired
    for label in pred.labels:
        for span in label.evidence:
            assert INCIDENT[span.start : span.end] == span.text
    scores = [label.score for label in pred.labels]
    assert scores == sorted(scores, reverse=True)


def test_classify_gives_the_same_answer_as_the_library(client, trained):
    expected = trained[2].predict([INCIDENT], ["x"])[0].model_dump(mode="json")
    response = client.post("/v1/classify", json={"text": INCIDENT, "id": "x"}).json()
    assert response == {**expected, "document": None}  # not stored


def test_batch_returns_results_in_input_order(client):
    items = [
        {"id": "calm", "text": "The city council approved the new library budget on Monday."},
        {"id": "strike", "text": INCIDENT},
        {
            "id": "third",
            "text": "Fighters abducted 14 boys from a village and forced them to fight.",
        },
    ]
    response = client.post("/v1/classify/batch", json={"items": items})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["id"] for r in results] == ["calm", "strike", "third"]
    assert results[0]["labels"] == []
    assert results[1]["labels"]


def test_labels_serve_the_taxonomy(client):
    body = client.get("/v1/labels").json()
    assert body["version"]
    assert [label["id"] for label in body["labels"]] == list(LABELS)
    first = body["labels"][0]
    assert first["name"] and first["definition"] and 1612 in first["resolutions"]


def test_model_serves_the_active_card(client, trained):
    card = client.get("/v1/model").json()
    assert card["version"] == trained[1].version
    assert card["corpus"]["checksum"] == trained[1].corpus["checksum"]
    assert set(card["thresholds"]) == set(LABELS)
    assert "macro_f1" in card["evaluation"]


def test_health_and_readiness(client, trained):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready", "model": trained[1].version}


def test_without_a_model_ready_and_classify_answer_503(tmp_path):
    with TestClient(create_app(Settings(models_dir=tmp_path))) as c:
        assert c.get("/healthz").status_code == 200
        ready = c.get("/readyz")
        assert ready.status_code == 503
        assert "gravewatch train" in error_of(ready)["message"]
        response = c.post("/v1/classify", json={"text": INCIDENT})
        assert response.status_code == 503 and error_of(response)["code"] == "model_unavailable"


def test_without_a_model_classify_names_the_models_folder_and_how_to_fix_it(tmp_path):
    """Classify says what /readyz says: which folder has no model, and the command to run."""
    expected = {
        "code": "model_unavailable",
        "message": f"no active model in {tmp_path}: train one with `gravewatch train` "
        "(the README's run command does this)",
    }
    with TestClient(create_app(Settings(models_dir=tmp_path))) as c:
        assert error_of(c.get("/readyz")) == expected
        one = c.post("/v1/classify", json={"text": INCIDENT})
        batch = c.post("/v1/classify/batch", json={"items": [{"text": INCIDENT}]})
    assert one.status_code == 503 and error_of(one) == expected
    assert batch.status_code == 503 and error_of(batch) == expected


@pytest.mark.parametrize(("poll_seconds", "retry_after"), [(None, "1"), (2.5, "3")])
def test_without_a_model_503_says_to_retry_after_the_next_look_for_one(
    tmp_path, poll_seconds, retry_after
):
    """A load balancer or client learns when to try again: when the worker next looks at
    models/ACTIVE (GRAVEWATCH_MODEL_POLL_SECONDS, in whole seconds)."""
    polls = {"model_poll_seconds": poll_seconds} if poll_seconds else {}
    with TestClient(create_app(Settings(models_dir=tmp_path, **polls))) as c:
        alive = c.get("/healthz")
        ready = c.get("/readyz")
        one = c.post("/v1/classify", json={"text": INCIDENT})
        batch = c.post("/v1/classify/batch", json={"items": [{"text": INCIDENT}]})
    assert "retry-after" not in alive.headers
    for response in (ready, one, batch):
        assert response.status_code == 503 and response.headers["retry-after"] == retry_after


@pytest.mark.parametrize(
    ("body", "status", "code", "fragment"),
    [
        ({"text": ""}, 422, "empty_text", "text is empty"),
        ({"text": " \n\t "}, 422, "empty_text", "only whitespace"),
        ({"text": "\x1e\ufeff\u3000"}, 422, "empty_text", "only whitespace"),
        ({"text": "\u200b\u200f\u200e\u2060 \u00ad"}, 422, "empty_text", "only whitespace"),
        ({"text": "x" * 101}, 413, "text_too_long", "the limit is 100"),
        ({}, 422, "invalid_request", "text: field required"),
        ({"text": 5}, 422, "invalid_request", "text: Input should be a valid string"),
        ({"text": "ok", "extra": 1}, 422, "invalid_request", "extra"),
        ([], 422, "invalid_request", "valid dictionary"),
    ],
)
def test_classify_refuses_bad_bodies(trained, body, status, code, fragment):
    settings = Settings(models_dir=trained[0], max_text_chars=100)
    with TestClient(create_app(settings)) as c:
        response = c.post("/v1/classify", json=body)
    assert response.status_code == status
    error = error_of(response)
    assert error["code"] == code and fragment in error["message"]


@pytest.mark.parametrize(
    ("raw", "code", "fragment"),
    [
        (b'{"text": "a', "invalid_json", "not valid JSON"),
        (b'{"text": "\xff\xfe school"}', "invalid_utf8", "not valid UTF-8"),
    ],
)
def test_classify_refuses_undecodable_bodies(client, raw, code, fragment):
    response = client.post(
        "/v1/classify", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == code and fragment in error["message"]


def test_batch_over_the_item_limit_is_413(trained):
    settings = Settings(models_dir=trained[0], max_batch_items=3)
    with TestClient(create_app(settings)) as c:
        response = c.post("/v1/classify/batch", json={"items": [{"text": "a"}] * 4})
    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "batch_too_large" and "the limit is 3" in error["message"]


def test_batch_names_the_bad_item(client):
    response = client.post("/v1/classify/batch", json={"items": [{"text": "fine"}, {"text": "  "}]})
    assert response.status_code == 422
    assert error_of(response)["message"].startswith("items[1].text is empty")


@pytest.mark.parametrize(
    ("item", "code", "message"),
    [
        (
            {"text": "  "},
            "empty_text",
            "items[1].text is empty or only whitespace: send the passage to classify",
        ),
        ({"text": 5}, "invalid_request", "items[1].text: Input should be a valid string"),
        ({}, "invalid_request", "items[1].text: field required"),
        (
            {"text": "ok", "colour": "red"},
            "invalid_request",
            "items[1].colour: Extra inputs are not permitted",
        ),
    ],
)
def test_batch_errors_name_the_item_one_way(client, item, code, message):
    """Whether the route or the schema finds the problem, the item is items[i]."""
    response = client.post("/v1/classify/batch", json={"items": [{"text": "fine"}, item]})
    assert response.status_code == 422
    assert error_of(response) == {"code": code, "message": message}


def test_empty_batch_is_refused(client):
    response = client.post("/v1/classify/batch", json={"items": []})
    assert response.status_code == 422 and error_of(response)["code"] == "empty_batch"


def test_body_over_the_byte_limit_is_413(trained):
    settings = Settings(models_dir=trained[0], max_request_bytes=2048)
    with TestClient(create_app(settings)) as c:
        response = c.post("/v1/classify", json={"text": "word " * 1000})
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"


def test_unknown_route_and_wrong_method_are_json(client):
    missing = client.get("/v1/nothing")
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"
    wrong = client.get("/v1/classify")
    assert wrong.status_code == 405 and error_of(wrong)["code"] == "method_not_allowed"
    assert wrong.headers["allow"] == "POST"


def sample(metrics_text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(metrics_text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return 0.0


def test_metrics_count_requests_passages_and_labels(client, trained):
    before = client.get("/metrics").text
    client.post("/v1/classify", json={"text": INCIDENT})
    client.post("/v1/classify", json={"text": ""})
    after = client.get("/metrics").text

    def grew(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("gravewatch_passages_classified_total") == 1
    assert grew("gravewatch_labels_emitted_total", label="killing_maiming") == 1
    route = {"route": "/v1/classify", "method": "POST"}
    assert grew("gravewatch_http_requests_total", status="200", **route) == 1
    assert grew("gravewatch_http_requests_total", status="422", **route) == 1
    assert grew("gravewatch_http_request_duration_seconds_count", **route) == 2
    assert sample(after, "gravewatch_active_model", version=trained[1].version) == 1


def test_one_json_log_line_per_request_without_the_text(trained, capsys):
    with TestClient(create_app(Settings(models_dir=trained[0]))) as c:
        capsys.readouterr()
        c.post("/v1/classify", json={"text": INCIDENT}, headers={"x-request-id": "req-7"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    (entry,) = [e for e in lines if e.get("event") == "request"]
    assert entry["request_id"] == "req-7" and entry["status"] == 200
    assert entry["route"] == "/v1/classify" and entry["passages"] == 1
    assert "air strike" not in json.dumps(lines)


def test_log_texts_puts_the_passages_in_the_request_log_line(trained, capsys):
    """GRAVEWATCH_LOG_TEXTS=true, as documented: the one setting that logs passage texts."""
    with TestClient(create_app(Settings(models_dir=trained[0], log_texts=True))) as c:
        capsys.readouterr()
        c.post("/v1/classify/batch", json={"items": [{"text": INCIDENT}, {"text": "Calm day."}]})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    (entry,) = [e for e in lines if e.get("event") == "request"]
    assert entry["texts"] == [INCIDENT, "Calm day."]


def test_openapi_schema_is_pinned(client):
    """Regenerate with `gravewatch openapi > tests/data/openapi.json` after a deliberate change."""
    current = json.loads(json.dumps(client.get("/openapi.json").json(), sort_keys=True))
    assert current == json.loads(OPENAPI_PIN.read_text(encoding="utf-8"))


def test_every_schema_field_is_documented(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    undocumented = [
        f"{name}.{field}"
        for name, schema in schemas.items()
        if not name.startswith("ValidationError")
        for field, prop in schema.get("properties", {}).items()
        if "description" not in prop
    ]
    assert undocumented == []
