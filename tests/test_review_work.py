"""Review work through the API, on SQLite and PostgreSQL: reopening a review, history, the
document list's filters, double review with adjudication, bulk acceptance and its undo, and
agreement figures."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sklearn.metrics import cohen_kappa_score
from sqlalchemy import select

from service.app import create_app
from service.batch.dedup import content_hash
from service.config import Settings
from service.retraining import reviewed_records
from service.store import repository as repo
from service.store.agreement import cohen_kappa
from service.store.db import Database
from service.store.tables import Base, DocumentRow, ReviewRow
from tests.factories import (
    CALM,
    INCIDENT,
    SHELLING,
    UX_THRESHOLDS,
    add_documents,
    error_of,
    key,
    review,
)
from training.schemas import Record

ARABIC = "قال شهود إن مسلحين اقتحموا المدرسة الداخلية فجراً واختطفوا 40 فتاة 👧🏽."


def exported(store, tmp_path, needed: int = 1) -> list[Record]:
    """What `gravewatch review export` writes (``needed`` reviewers: 2 in double review)."""
    from service.store.export import export_reviews

    out = tmp_path / "reviews.jsonl"
    with store.sessions() as session:
        count = export_reviews(session, out, needed)
    records = [Record.model_validate_json(line) for line in out.read_text().splitlines()]
    assert count == len(records)
    return records


def make_client(trained, store_url, tmp_path, **settings):
    app = create_app(
        Settings(models_dir=trained[0], database_url=store_url, data_dir=tmp_path, **settings)
    )
    return TestClient(app)


@pytest.fixture
def client(trained, store_url, tmp_path):
    with make_client(trained, store_url, tmp_path) as c:
        yield c


@pytest.fixture
def ingest(store):
    return key(store, "feeds", "ingest")


def test_the_migrations_build_exactly_the_tables(store_url):
    """Alembic's head matches the table definitions (no column, index or type missing)."""
    store = Database(store_url)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    store.close()
    assert diff == []


def test_reopening_a_review_adds_a_version_and_the_history_names_the_one_that_trains(
    client, store, ingest
):
    (doc_id,) = add_documents(client, ingest, INCIDENT)
    alice = key(store, "alice", "reviewer")
    history = client.get(f"/v1/documents/{doc_id}/history", headers=alice).json()
    assert history["status"] == "unreviewed" and history["reviews"] == []
    assert history["predictions"][0]["labels"]  # the model's suggestion is kept
    review(client, doc_id, alice, ["abduction"])
    review(client, doc_id, alice, ["abduction", "attacks_schools_hospitals"])
    history = client.get(f"/v1/documents/{doc_id}/history", headers=alice).json()
    assert history["status"] == "settled"
    assert [(e["version"], e["trains"]) for e in history["reviews"]] == [(1, False), (2, True)]
    assert history["reviews"][0]["review"]["labels"] == ["abduction"]
    doc = client.get(f"/v1/documents/{doc_id}", headers=alice).json()
    assert set(doc["thresholds"]) == set(doc["predictions"][0]["scores"])
    assert client.get(f"/v1/documents/{doc_id}/history", headers=ingest).status_code == 403
    missing = client.get("/v1/documents/doc_" + "0" * 32 + "/history", headers=alice)
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "document_not_found"


def test_the_document_list_filters_by_label_score_source_date_review_state_and_text(
    client, store, ingest
):
    incident, calm, arabic = add_documents(client, ingest, INCIDENT, CALM, ARABIC)
    alice = key(store, "alice", "reviewer")

    def ids(query: str) -> set[str]:
        response = client.get(f"/v1/documents?{query}", headers=alice)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == len(body["items"]) or "limit" in query
        return {item["id"] for item in body["items"]}

    assert ids("") == {incident, calm, arabic}
    listed = client.get("/v1/documents", headers=alice).json()["items"]
    by_id = {item["id"]: item for item in listed}
    assert "abduction" in by_id[incident]["labels"] and by_id[calm]["labels"] == []
    assert ids("label=abduction") == {d for d, i in by_id.items() if "abduction" in i["labels"]}
    calm_top = max(by_id[calm]["scores"].values())
    assert ids(f"max_score={calm_top:.6f}") >= {calm}
    assert incident not in ids(f"max_score={calm_top:.6f}")
    assert ids("min_score=0.5&label=abduction") == {
        d
        for d, i in by_id.items()
        if i["scores"]["abduction"] >= 0.5 and "abduction" in i["labels"]
    }
    assert ids("source=DOC1") == {calm}  # source ids are doc0, doc1, doc2; any case
    assert ids("q=مسلحين") == {arabic}
    today = by_id[calm]["created_at"][:10]
    assert ids(f"date_from={today}&date_to={today}") == {incident, calm, arabic}
    assert ids("date_to=2000-01-01") == set()
    assert ids("min_score=0.8&max_score=0.2") == set()  # an empty range matches nothing
    assert ids(f"date_from={today}&date_to=2000-01-01") == set()
    review(client, calm, alice, [])
    assert ids("reviewed=true") == {calm}
    assert ids("reviewed=false") == {incident, arabic}
    assert client.get("/v1/documents?reviewed=true", headers=alice).json()["items"][0][
        "reviewers"
    ] == ["alice"]
    order = [item["id"] for item in listed]  # most uncertain first
    assert ids("limit=1&offset=1") == {order[1]}
    page = client.get("/v1/documents?limit=1&offset=1", headers=alice).json()
    assert page["total"] == 3


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("label=nonsense", "query.label: Input should be"),
        ("date_from=yesterday", "query.date_from: Input should be a valid date, YYYY-MM-DD"),
        ("date_to=0", "query.date_to: Input should be a valid date, YYYY-MM-DD"),
        ("min_score=2", "query.min_score: Input should be less than or equal to 1"),
        ("reviewed=maybe", "query.reviewed: Input should be a valid boolean"),
        ("q=a%00b", "query.q: contains a NUL character (U+0000) at index 1"),
    ],
)
def test_a_bad_list_query_is_a_422_that_says_what_is_wrong(client, store, query, message):
    response = client.get(f"/v1/documents?{query}", headers=key(store, "r", "reviewer"))
    assert response.status_code == 422
    assert error_of(response)["message"].startswith(message)


def test_double_review_gives_each_document_to_two_reviewers_and_trains_only_agreement_or_adjudication(
    trained, store_url, tmp_path, store, tmp_path_factory
):
    with make_client(trained, store_url, tmp_path, double_review=True) as client:
        ingest = key(store, "feeds", "ingest")
        agreed, disputed = add_documents(client, ingest, SHELLING, INCIDENT)
        alice, bob = key(store, "alice", "reviewer"), key(store, "bob", "reviewer")
        lead = key(store, "lead", "admin")
        review(client, agreed, alice, ["killing_maiming"])
        review(client, disputed, alice, ["abduction"])
        assert exported(store, tmp_path, 2) == []  # one reviewer is not enough
        assert reviewed_records(store, double_review=True) == []
        assert len(reviewed_records(store)) == 2  # single review would have taken both
        queue = client.get("/v1/review/queue?limit=5", headers=alice).json()
        assert queue["items"] == []  # alice has reviewed both
        queue = client.get("/v1/review/queue?limit=5", headers=bob).json()
        assert {i["document"]["id"] for i in queue["items"]} == {agreed, disputed}
        review(client, agreed, bob, ["killing_maiming"])
        review(client, disputed, bob, [])
        assert [r.text for r in exported(store, tmp_path, 2)] == [SHELLING]
        assert client.get("/v1/review/disputes", headers=alice).status_code == 403
        (dispute,) = client.get("/v1/review/disputes", headers=lead).json()["items"]
        assert dispute["document"]["id"] == disputed
        assert [(r["reviewer"], r["labels"]) for r in dispute["reviews"]] == [
            ("alice", ["abduction"]),
            ("bob", []),
        ]
        history = client.get(f"/v1/documents/{disputed}/history", headers=alice).json()
        assert history["status"] == "disputed"
        review(client, disputed, lead, ["abduction"])
        assert client.get("/v1/review/disputes", headers=lead).json()["items"] == []
        records = {r.text: r.labels for r in exported(store, tmp_path, 2)}
        assert records == {SHELLING: ["killing_maiming"], INCIDENT: ["abduction"]}
        # Retraining reads the same settled reviews.
        trained_on = {r.text: r.labels for r in reviewed_records(store, double_review=True)}
        assert trained_on == records
        stats = client.get("/v1/review/stats", headers=alice).json()
        assert stats["double_review"] is True and stats["paired_documents"] == 2
        assert stats["disputed"] == 0 and stats["unreviewed"] == 0
        counts = {r["reviewer"]: (r["reviews"], r["documents"]) for r in stats["reviewers"]}
        assert counts == {"alice": (2, 2), "bob": (2, 2), "lead": (1, 1)}
        by_label = {a["label"]: a for a in stats["agreement"]}
        # killing_maiming: both yes on one, both no on the other: perfect agreement.
        assert by_label["killing_maiming"] == {
            "label": "killing_maiming",
            "documents": 2,
            "observed": 1.0,
            "kappa": 1.0,
        }
        # abduction: one disagreement out of two, chance agreement 0.5: kappa 0.
        assert by_label["abduction"]["observed"] == 0.5 and by_label["abduction"]["kappa"] == 0.0
        # sexual_violence: nobody said yes: kappa undefined.
        assert by_label["sexual_violence"]["kappa"] is None


@pytest.mark.parametrize(
    "pairs",
    [
        [(1, 1), (0, 0), (1, 0), (0, 0), (1, 1), (0, 1), (0, 0)],
        [(1, 0), (0, 1), (1, 1), (0, 0)],
        [(1, 1), (1, 1), (1, 0)],
    ],
)
def test_cohen_kappa_matches_scikit_learn(pairs):
    a, b = zip(*pairs, strict=True)
    expected = cohen_kappa_score(a, b)
    assert cohen_kappa([(bool(x), bool(y)) for x, y in pairs]) == pytest.approx(expected)


def test_bulk_accept_takes_only_documents_far_from_every_threshold_and_is_undone(
    client, store, ingest
):
    docs = add_documents(client, ingest, INCIDENT, CALM, SHELLING, ARABIC)
    with store.sessions() as session:
        margins = {d: session.get(DocumentRow, d).margin for d in docs}
    cut = sorted(margins.values())[len(docs) // 2]  # about half qualify
    client.app.state.settings.bulk_accept_margin = cut
    far = {d for d, m in margins.items() if m >= cut}
    assert far and far != set(docs)
    alice, lead = key(store, "alice", "reviewer"), key(store, "lead", "admin")

    refused = client.post("/v1/review/bulk-accept", json={}, headers=alice)
    assert refused.status_code == 403
    for bad in ({"limit": 0}, {"limit": True}, {"limit": "5"}, {"size": 5}):
        refused = client.post("/v1/review/bulk-accept", json=bad, headers=lead)
        assert refused.status_code == 422, bad
    accepted = client.post("/v1/review/bulk-accept", json={}, headers=lead).json()
    assert set(accepted["documents"]) == far and accepted["margin"] == cut
    with store.sessions() as session:
        rows = session.scalars(select(ReviewRow)).all()
        assert {r.document_id for r in rows} == far
        assert all(r.bulk and r.batch == accepted["batch"] and r.reviewer == "lead" for r in rows)
    for r in rows:
        response = client.get(f"/v1/documents/{r.document_id}", headers=alice)
        assert response.status_code == 200, response.text
        predicted = response.json()["predictions"][-1]["labels"]
        assert r.labels == [label["label"] for label in predicted]
    assert len(exported(store, client.app.state.settings.data_dir)) == len(far)
    again = client.post("/v1/review/bulk-accept", json={}, headers=lead).json()
    assert again == {"batch": None, "margin": cut, "documents": []}

    undo = client.post(f"/v1/review/bulk-accept/{accepted['batch']}/undo", headers=lead)
    assert undo.status_code == 200 and set(undo.json()["documents"]) == far
    assert exported(store, client.app.state.settings.data_dir) == []
    with store.sessions() as session:
        assert all(r.withdrawn_by == "lead" for r in session.scalars(select(ReviewRow)))
        assert not any(session.get(DocumentRow, d).reviewed for d in docs)
    history = client.get(f"/v1/documents/{next(iter(far))}/history", headers=alice).json()
    assert history["status"] == "unreviewed" and history["reviews"][0]["review"]["bulk"]
    assert history["reviews"][0]["review"]["withdrawn_at"] is not None
    twice = client.post(f"/v1/review/bulk-accept/{accepted['batch']}/undo", headers=lead)
    assert twice.status_code == 409 and error_of(twice)["code"] == "batch_withdrawn"
    unknown = client.post("/v1/review/bulk-accept/bulk_0123456789abcdef/undo", headers=lead)
    assert unknown.status_code == 404
    assert client.post("/v1/review/bulk-accept/x/undo", headers=lead).status_code == 404


def test_me_names_the_key_and_the_review_settings(client, store):
    response = client.get("/v1/review/me", headers=key(store, "alice", "reviewer"))
    assert response.json() == {
        "name": "alice",
        "role": "reviewer",
        "double_review": False,
        "bulk_accept_margin": 0.4,
    }


def store_scored(store, text: str, scores: dict, spans: dict) -> str:
    """Store ``text`` with a prediction of ``scores`` (0 for the labels not given) made against
    ``UX_THRESHOLDS``; ``spans`` gives each predicted label's evidence (a phrase of the text)."""
    labels = [
        {
            "label": label,
            "score": scores[label],
            "evidence": [
                {
                    "start": text.index(phrase),
                    "end": text.index(phrase) + len(phrase),
                    "text": phrase,
                    "score": scores[label],
                }
            ],
        }
        for label, phrase in spans.items()
    ]
    prediction = {
        "id": None,
        "model": "ux-model",
        "labels": labels,
        "scores": dict.fromkeys(UX_THRESHOLDS, 0.0) | scores,
        "lang": "en",
        "flags": [],
    }
    with store.sessions.begin() as session:
        return repo.store_prediction(
            session,
            text=text,
            content_hash=content_hash(text),
            prediction=prediction,
            thresholds=UX_THRESHOLDS,
            source="ux",
        )


def test_bulk_accept_with_the_default_margin_takes_clear_cut_documents_not_borderline_ones(
    client, store
):
    """The user test's documents: a clear positive and a clear negative qualify with the
    default GRAVEWATCH_BULK_ACCEPT_MARGIN (0.4), although three thresholds are below 0.4; a
    score just above its threshold keeps its document for a reviewer."""
    strike = "An air strike hit the primary school on Tuesday, killing two pupils aged 9 and 11."
    positive = store_scored(
        store,
        strike,
        {"killing_maiming": 0.997, "attacks_schools_hospitals": 1.0, "recruitment_use": 0.01},
        {"killing_maiming": "killing two pupils", "attacks_schools_hospitals": "air strike"},
    )
    negative = store_scored(
        store,
        "The city council approved a new budget for road repairs on Monday.",
        {"killing_maiming": 0.004, "denial_humanitarian_access": 0.003},
        {},
    )
    taken = "Armed men took two boys from the market; their families have not heard from them."
    borderline = store_scored(
        store, taken, {"abduction": 0.45}, {"abduction": "Armed men took two boys"}
    )
    lead = key(store, "lead", "admin")

    response = client.post("/v1/review/bulk-accept", json={"limit": 100}, headers=lead)

    assert response.status_code == 200
    accepted = response.json()
    assert accepted["margin"] == 0.4 and accepted["batch"] is not None
    assert sorted(accepted["documents"]) == sorted([positive, negative])
    with store.sessions() as session:
        reviews = {r.document_id: r for r in session.scalars(select(ReviewRow))}
        assert sorted(reviews[positive].labels) == ["attacks_schools_hospitals", "killing_maiming"]
        assert reviews[negative].labels == []
        assert borderline not in reviews
        assert session.get(DocumentRow, borderline).margin < 0.4
    queue = client.get("/v1/review/queue", headers=key(store, "alice", "reviewer")).json()
    assert [item["document"]["id"] for item in queue["items"]] == [borderline]
