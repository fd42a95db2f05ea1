"""The review store and the reviewer API, on SQLite and on PostgreSQL."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.app import create_app
from service.config import Settings
from service.store import repository as repo
from service.store.service import Store
from service.store.tables import DocumentRow, ReviewRow
from training.schemas import Record

INCIDENT = "Gunmen stormed the school at night and abducted 40 girls aged 11 to 16."
CALM = "The city council approved the new library budget on Monday."
SHELLING = "Shelling hit the market, and residents said a boy was among the wounded."


@pytest.fixture
def app_settings(trained, store_url, tmp_path):
    return Settings(models_dir=trained[0], database_url=store_url, data_dir=tmp_path)


@pytest.fixture
def client(app_settings):
    with TestClient(create_app(app_settings)) as c:
        yield c


@pytest.fixture
def store(store_url):
    s = Store(store_url)
    yield s
    s.close()


def key(store: Store, name: str, role: str) -> dict:
    with store.sessions.begin() as session:
        return {"Authorization": f"Bearer {repo.create_key(session, name, role)}"}


def add_documents(client, *texts) -> list[str]:
    items = [{"id": f"doc{i}", "text": t, "store": True} for i, t in enumerate(texts)]
    response = client.post("/v1/classify/batch", json={"items": items})
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()["results"]]


def test_classify_with_store_keeps_document_and_prediction_once(client, store):
    add_documents(client, INCIDENT)
    again = client.post("/v1/classify", json={"text": INCIDENT, "id": "other", "store": True})
    assert again.status_code == 200
    with store.sessions() as session:
        docs = session.scalars(select(DocumentRow)).all()
        assert [d.id for d in docs] == ["doc0"]
        _, predictions, _ = repo.get_document(session, "doc0")
        assert len(predictions) == 1 and predictions[0].prediction["labels"]


def test_queue_gives_the_most_uncertain_first_and_claims_it(client, store):
    add_documents(client, INCIDENT, CALM, SHELLING)
    alice, bob = key(store, "alice", "reviewer"), key(store, "bob", "reviewer")
    with store.sessions() as session:
        margins = {d.id: d.margin for d in session.scalars(select(DocumentRow))}
    first = client.get("/v1/review/queue?limit=1", headers=alice).json()
    (item,) = first["items"]
    assert item["document"]["id"] == min(margins, key=margins.get)
    assert first["unreviewed"] == 3
    others = client.get("/v1/review/queue?limit=5", headers=bob).json()["items"]
    assert item["document"]["id"] not in {i["document"]["id"] for i in others}
    assert len(others) == 2


def test_an_expired_claim_goes_back_to_the_queue(client, store):
    add_documents(client, INCIDENT)
    alice, bob = key(store, "alice", "reviewer"), key(store, "bob", "reviewer")
    assert client.get("/v1/review/queue", headers=alice).json()["items"]
    assert client.get("/v1/review/queue", headers=bob).json()["items"] == []
    with store.sessions.begin() as session:
        session.get(DocumentRow, "doc0").claimed_until = datetime.now(UTC) - timedelta(seconds=1)
    assert client.get("/v1/review/queue", headers=bob).json()["items"]


def test_reviews_are_appended_and_shown_with_the_document(client, store):
    add_documents(client, INCIDENT)
    alice, bob = key(store, "alice", "reviewer"), key(store, "bob", "reviewer")
    span = {"label": "abduction", "start": 0, "end": len(INCIDENT)}
    first = client.post(
        "/v1/documents/doc0/reviews",
        json={"labels": ["abduction"], "evidence": [span], "comment": "clear"},
        headers=alice,
    )
    assert first.status_code == 201 and first.json()["reviewer"] == "alice"
    school = {"label": "attacks_schools_hospitals", "start": 0, "end": 26}
    second = client.post(
        "/v1/documents/doc0/reviews",
        json={"labels": ["abduction", "attacks_schools_hospitals"], "evidence": [span, school]},
        headers=bob,
    )
    assert second.status_code == 201
    doc = client.get("/v1/documents/doc0", headers=alice).json()
    assert doc["text"] == INCIDENT and len(doc["predictions"]) == 1
    assert [r["reviewer"] for r in doc["reviews"]] == ["alice", "bob"]
    assert doc["reviews"][0]["labels"] == ["abduction"]
    assert client.get("/v1/review/queue", headers=alice).json()["items"] == []


@pytest.mark.parametrize(
    ("review", "code", "fragment"),
    [
        (
            {"labels": ["abduction"], "evidence": [{"label": "abduction", "start": 5, "end": 999}]},
            "evidence_out_of_range",
            "evidence[0] (abduction 5-999)",
        ),
        ({"labels": ["abduction"], "evidence": []}, "label_without_evidence", "abduction"),
        (
            {"labels": [], "evidence": [{"label": "abduction", "start": 0, "end": 5}]},
            "evidence_label_not_chosen",
            "evidence[0]",
        ),
        ({"labels": ["looting"], "evidence": []}, "invalid_request", "labels.0"),
    ],
)
def test_bad_reviews_are_refused_and_name_the_problem(client, store, review, code, fragment):
    add_documents(client, INCIDENT)
    response = client.post(
        "/v1/documents/doc0/reviews", json=review, headers=key(store, "r", "reviewer")
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code and fragment in error["message"]
    with store.sessions() as session:
        assert session.scalars(select(ReviewRow)).all() == []


def test_unknown_document_is_404(client, store):
    response = client.get("/v1/documents/nope", headers=key(store, "r", "reviewer"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "document_not_found"


def test_keys_and_roles(client, store, app_settings):
    reader = key(store, "newsroom", "reader")
    assert client.get("/v1/review/queue").status_code == 401
    assert (
        client.get("/v1/review/queue", headers={"Authorization": "Bearer nope"}).json()["error"][
            "code"
        ]
        == "invalid_api_key"
    )
    forbidden = client.get("/v1/review/queue", headers=reader)
    assert forbidden.status_code == 403 and "needs reviewer" in forbidden.json()["error"]["message"]
    admin = key(store, "ops", "admin")
    assert client.get("/v1/review/queue", headers=admin).status_code == 200
    with store.sessions.begin() as session:
        repo.revoke_key(session, "ops")
    assert client.get("/v1/review/queue", headers=admin).status_code == 401


def test_classify_can_require_a_key(trained, store_url, tmp_path, store):
    settings = Settings(
        models_dir=trained[0], database_url=store_url, data_dir=tmp_path, require_api_key=True
    )
    with TestClient(create_app(settings)) as c:
        assert c.post("/v1/classify", json={"text": CALM}).status_code == 401
        ok = c.post("/v1/classify", json={"text": CALM}, headers=key(store, "nr", "reader"))
        assert ok.status_code == 200


def test_concurrent_reviews_are_all_kept(client, store):
    add_documents(client, INCIDENT)
    span = {"label": "abduction", "start": 0, "end": 10}
    headers = [key(store, f"rev{i}", "reviewer") for i in range(8)]
    statuses = []

    def submit(h):
        r = client.post(
            "/v1/documents/doc0/reviews",
            json={"labels": ["abduction"], "evidence": [span]},
            headers=h,
        )
        statuses.append(r.status_code)

    threads = [threading.Thread(target=submit, args=(h,)) for h in headers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * 8
    with store.sessions() as session:
        assert len(session.scalars(select(ReviewRow)).all()) == 8


def test_concurrent_claims_never_share_a_document(client, store):
    add_documents(client, *[f"{INCIDENT} Report number {i} from district {i}." for i in range(12)])
    headers = [key(store, f"rev{i}", "reviewer") for i in range(6)]
    claimed: list[str] = []

    def claim(h):
        items = client.get("/v1/review/queue?limit=2", headers=h).json()["items"]
        claimed.extend(i["document"]["id"] for i in items)

    threads = [threading.Thread(target=claim, args=(h,)) for h in headers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == 12 and len(set(claimed)) == 12


def test_a_failure_mid_review_stores_nothing(client, store, monkeypatch):
    add_documents(client, INCIDENT)
    original = repo.ReviewRow

    def exploding(**kwargs):
        original(**kwargs)
        raise RuntimeError("crash after the review row was built")

    monkeypatch.setattr(repo, "ReviewRow", exploding)
    with store.sessions.begin() as session:
        session.get(DocumentRow, "doc0")
    with pytest.raises(RuntimeError), store.sessions.begin() as session:
        session.get(DocumentRow, "doc0").claimed_by = "x"
        repo.add_review(session, "doc0", "x", [], [], "")
    with store.sessions() as session:
        doc = session.get(DocumentRow, "doc0")
        assert doc.claimed_by is None and not doc.reviewed
        assert session.scalars(select(ReviewRow)).all() == []


def test_review_export_writes_the_latest_review_as_corpus_records(client, store, tmp_path):
    from service.store.export import export_reviews

    add_documents(client, INCIDENT, CALM)
    h = key(store, "alice", "reviewer")
    client.post("/v1/documents/doc0/reviews", json={"labels": []}, headers=h)
    span = {"label": "abduction", "start": 0, "end": 40}
    client.post(
        "/v1/documents/doc0/reviews", json={"labels": ["abduction"], "evidence": [span]}, headers=h
    )
    out = tmp_path / "reviews.jsonl"
    with store.sessions() as session:
        assert export_reviews(session, out) == 1
    (record,) = [Record.model_validate_json(line) for line in out.read_text().splitlines()]
    assert record.labels == ["abduction"] and record.text == INCIDENT
    assert record.evidence[0].end == 40


def test_batch_scoring_can_fill_the_store(trained, store_url, store, tmp_path):
    import json

    from service.batch.job import JobOptions, run_job

    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(
            json.dumps({"id": i, "text": t}) + "\n"
            for i, t in [("a", INCIDENT), ("b", CALM), ("c", INCIDENT)]
        )
    )
    run_job(JobOptions([str(src)], tmp_path / "out.jsonl", store_url=store_url), trained[0])
    with store.sessions() as session:
        ids = sorted(d.id for d in session.scalars(select(DocumentRow)))
        assert ids == ["a", "b"]  # the repeated text is stored once
        _, predictions, _ = repo.get_document(session, "a")
        assert predictions[0].prediction["model"] == trained[1].version
