"""The review store and the reviewer API, on SQLite and on PostgreSQL."""

import re
import shlex
import threading
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.app import create_app
from service.config import Settings
from service.store import repository as repo
from service.store.db import Database
from service.store.tables import ApiKeyRow, DocumentRow, ReviewRow
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
from training.errors import InvalidInput, NotFound
from training.schemas import Record

DOCUMENT_ID = re.compile(r"^doc_[0-9a-f]{32}$")


@pytest.fixture
def app_settings(trained, store_url, tmp_path):
    return Settings(models_dir=trained[0], database_url=store_url, data_dir=tmp_path)


@pytest.fixture
def client(app_settings):
    with TestClient(create_app(app_settings)) as c:
        yield c


@pytest.fixture
def ingest(store):
    return key(store, "feeds", "ingest")


def test_classify_with_store_keeps_document_and_prediction_once(client, store, ingest):
    (doc_id,) = add_documents(client, ingest, INCIDENT)
    again = client.post(
        "/v1/classify", json={"text": INCIDENT, "id": "other", "store": True}, headers=ingest
    )
    assert again.status_code == 200 and again.json()["document"] == doc_id
    assert DOCUMENT_ID.match(doc_id)
    with store.sessions() as session:
        docs = session.scalars(select(DocumentRow)).all()
        assert [(d.id, d.source_id) for d in docs] == [(doc_id, "doc0")]
        _, predictions, _ = repo.get_document(session, doc_id)
        assert len(predictions) == 1 and predictions[0].prediction["labels"]


def test_predictions_are_keyed_to_the_exact_text(client, store, ingest):
    """Texts that differ only in case and spacing are two documents, each with the prediction
    made for it, so that its offsets fit it and a review using them is accepted."""
    shouted = "  " + INCIDENT.upper().replace(" ", "  ")
    first, second = add_documents(client, ingest, INCIDENT, shouted)
    assert first != second
    reviewer = key(store, "alice", "reviewer")
    for doc_id, text in ((first, INCIDENT), (second, shouted)):
        doc = client.get(f"/v1/documents/{doc_id}", headers=reviewer).json()
        assert doc["text"] == text
        (prediction,) = doc["predictions"]
        spans = [e for label in prediction["labels"] for e in label["evidence"]]
        assert spans and all(text[e["start"] : e["end"]] == e["text"] for e in spans)
        review = {
            "labels": [label["label"] for label in prediction["labels"]],
            "evidence": [
                {"label": label["label"], "start": e["start"], "end": e["end"]}
                for label in prediction["labels"]
                for e in label["evidence"]
            ],
        }
        response = client.post(f"/v1/documents/{doc_id}/reviews", json=review, headers=reviewer)
        assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "source_id",
    [
        "feeds/2026/11/report.txt",
        "https://example.org/world/article?id=7&lang=en#top",
        "..",
        "a%2Fb c",
    ],
)
def test_any_source_id_round_trips_through_every_route(client, store, ingest, source_id):
    stored = client.post(
        "/v1/classify", json={"text": INCIDENT, "id": source_id, "store": True}, headers=ingest
    )
    assert stored.status_code == 200 and stored.json()["id"] == source_id
    doc_id = stored.json()["document"]
    reviewer = key(store, "alice", "reviewer")
    (item,) = client.get("/v1/review/queue", headers=reviewer).json()["items"]
    assert item["document"]["id"] == doc_id and item["document"]["source_id"] == source_id
    assert client.get(f"/v1/documents/{doc_id}", headers=reviewer).json()["source_id"] == source_id
    review = client.post(f"/v1/documents/{doc_id}/reviews", json={"labels": []}, headers=reviewer)
    assert review.status_code == 201
    skip = client.post(f"/v1/documents/{doc_id}/skip", headers=reviewer)
    assert skip.status_code == 204


def test_queue_gives_the_most_uncertain_first_and_claims_it(client, store, ingest):
    add_documents(client, ingest, INCIDENT, CALM, SHELLING)
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


def test_an_expired_claim_goes_back_to_the_queue(client, store, ingest):
    (doc_id,) = add_documents(client, ingest, INCIDENT)
    alice, bob = key(store, "alice", "reviewer"), key(store, "bob", "reviewer")
    assert client.get("/v1/review/queue", headers=alice).json()["items"]
    assert client.get("/v1/review/queue", headers=bob).json()["items"] == []
    with store.sessions.begin() as session:
        session.get(DocumentRow, doc_id).claimed_until = datetime.now(UTC) - timedelta(seconds=1)
    assert client.get("/v1/review/queue", headers=bob).json()["items"]


def test_skip_releases_the_claim_and_the_queue_moves_on(client, store, ingest):
    add_documents(client, ingest, INCIDENT, CALM)
    alice, bob = key(store, "alice", "reviewer"), key(store, "bob", "reviewer")
    (first,) = client.get("/v1/review/queue", headers=alice).json()["items"]
    skipped = first["document"]["id"]
    response = client.post(f"/v1/documents/{skipped}/skip", headers=alice)
    assert response.status_code == 204 and response.content == b""
    (second,) = client.get("/v1/review/queue", headers=alice).json()["items"]
    assert second["document"]["id"] != skipped
    (for_bob,) = client.get("/v1/review/queue", headers=bob).json()["items"]
    assert for_bob["document"]["id"] == skipped


def test_skipped_documents_come_back_after_the_claim_time(client, store, ingest):
    (doc_id,) = add_documents(client, ingest, INCIDENT)
    alice = key(store, "alice", "reviewer")
    client.get("/v1/review/queue", headers=alice)
    client.post(f"/v1/documents/{doc_id}/skip", headers=alice)
    assert client.get("/v1/review/queue", headers=alice).json()["items"] == []
    with store.sessions.begin() as session:
        for skip in session.scalars(select(repo.SkipRow)):
            skip.created_at = datetime.now(UTC) - timedelta(minutes=11)
    (item,) = client.get("/v1/review/queue", headers=alice).json()["items"]
    assert item["document"]["id"] == doc_id


def test_a_document_claimed_by_another_reviewer_is_refused_with_409(client, store, ingest):
    (doc_id,) = add_documents(client, ingest, INCIDENT)
    alice, bob = key(store, "alice", "reviewer"), key(store, "bob", "reviewer")
    (item,) = client.get("/v1/review/queue", headers=alice).json()["items"]
    until = datetime.fromisoformat(item["claimed_until"])
    response = client.post(f"/v1/documents/{doc_id}/reviews", json={"labels": []}, headers=bob)
    assert response.status_code == 409
    assert error_of(response) == {
        "code": "claimed_by_another",
        "message": f"document {doc_id} is claimed by 'alice' until "
        f"{until:%Y-%m-%d %H:%M:%S} UTC: take another one from the queue",
    }
    mine = client.post(f"/v1/documents/{doc_id}/reviews", json={"labels": []}, headers=alice)
    assert mine.status_code == 201
    second_opinion = client.post(
        f"/v1/documents/{doc_id}/reviews", json={"labels": []}, headers=bob
    )
    assert second_opinion.status_code == 201  # the claim ended with alice's review


def test_reviews_are_appended_and_shown_with_the_document(client, store, ingest):
    (doc_id,) = add_documents(client, ingest, INCIDENT)
    alice, bob = key(store, "alice", "reviewer"), key(store, "bob", "reviewer")
    span = {"label": "abduction", "start": 0, "end": len(INCIDENT)}
    first = client.post(
        f"/v1/documents/{doc_id}/reviews",
        json={"labels": ["abduction"], "evidence": [span], "comment": "clear"},
        headers=alice,
    )
    assert first.status_code == 201 and first.json()["reviewer"] == "alice"
    school = {"label": "attacks_schools_hospitals", "start": 0, "end": 26}
    second = client.post(
        f"/v1/documents/{doc_id}/reviews",
        json={"labels": ["abduction", "attacks_schools_hospitals"], "evidence": [span, school]},
        headers=bob,
    )
    assert second.status_code == 201
    doc = client.get(f"/v1/documents/{doc_id}", headers=alice).json()
    assert doc["text"] == INCIDENT and len(doc["predictions"]) == 1
    assert [r["reviewer"] for r in doc["reviews"]] == ["alice", "bob"]
    assert doc["reviews"][0]["labels"] == ["abduction"]
    assert client.get("/v1/review/queue", headers=alice).json()["items"] == []


def test_timestamps_carry_their_timezone(client, store, ingest):
    (doc_id,) = add_documents(client, ingest, INCIDENT)
    alice = key(store, "alice", "reviewer")
    (item,) = client.get("/v1/review/queue", headers=alice).json()["items"]
    review = client.post(f"/v1/documents/{doc_id}/reviews", json={"labels": []}, headers=alice)
    (stored,) = client.get(f"/v1/documents/{doc_id}", headers=alice).json()["reviews"]
    for stamp in (item["claimed_until"], review.json()["created_at"], stored["created_at"]):
        assert datetime.fromisoformat(stamp).utcoffset() == timedelta(0), stamp


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
        ({"labels": ["looting"], "evidence": []}, "invalid_request", "labels[0]: Input should be"),
    ],
)
def test_bad_reviews_are_refused_and_name_the_problem(
    client, store, ingest, review, code, fragment
):
    (doc_id,) = add_documents(client, ingest, INCIDENT)
    response = client.post(
        f"/v1/documents/{doc_id}/reviews", json=review, headers=key(store, "r", "reviewer")
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code and fragment in error["message"]
    with store.sessions() as session:
        assert session.scalars(select(ReviewRow)).all() == []


def test_unknown_document_is_404(client, store):
    missing = "doc_" + "0" * 32
    response = client.get(f"/v1/documents/{missing}", headers=key(store, "r", "reviewer"))
    assert response.status_code == 404
    assert error_of(response) == {
        "code": "document_not_found",
        "message": f"no document {missing!r} in the store",
    }


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
    ingest = key(store, "feeds", "ingest")
    assert client.get("/v1/review/queue", headers=ingest).status_code == 403
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


def test_concurrent_reviews_are_all_kept(client, store, ingest):
    (doc_id,) = add_documents(client, ingest, INCIDENT)
    span = {"label": "abduction", "start": 0, "end": 10}
    headers = [key(store, f"rev{i}", "reviewer") for i in range(8)]
    statuses = []

    def submit(h):
        r = client.post(
            f"/v1/documents/{doc_id}/reviews",
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


def test_concurrent_stores_of_the_same_text_all_succeed(client, store, ingest):
    results: list = []

    def classify(i):
        r = client.post(
            "/v1/classify", json={"id": f"copy{i}", "text": SHELLING, "store": True}, headers=ingest
        )
        results.append((r.status_code, r.json().get("document")))

    threads = [threading.Thread(target=classify, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [status for status, _ in results] == [200] * 8
    assert len({doc for _, doc in results}) == 1
    with store.sessions() as session:
        assert len(session.scalars(select(DocumentRow)).all()) == 1


def test_concurrent_claims_never_share_a_document(client, store, ingest):
    texts = [f"{INCIDENT} Report number {i} from district {i}." for i in range(12)]
    add_documents(client, ingest, *texts)
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


def test_a_failure_mid_review_stores_nothing(client, store, ingest, monkeypatch):
    (doc_id,) = add_documents(client, ingest, INCIDENT)
    original = repo.ReviewRow

    def exploding(**kwargs):
        original(**kwargs)
        raise RuntimeError("crash after the review row was built")

    monkeypatch.setattr(repo, "ReviewRow", exploding)
    with pytest.raises(RuntimeError), store.sessions.begin() as session:
        session.get(DocumentRow, doc_id).claimed_by = "x"
        repo.add_review(session, doc_id, "x", [], [], "")
    with store.sessions() as session:
        doc = session.get(DocumentRow, doc_id)
        assert doc.claimed_by is None and not doc.reviewed
        assert session.scalars(select(ReviewRow)).all() == []


def exported(store, tmp_path) -> list[Record]:
    from service.store.export import export_reviews

    out = tmp_path / "reviews.jsonl"
    with store.sessions() as session:
        count = export_reviews(session, out)
    records = [Record.model_validate_json(line) for line in out.read_text().splitlines()]
    assert count == len(records)
    return records


def test_review_export_writes_the_latest_review_as_corpus_records(client, store, ingest, tmp_path):
    doc_id, _ = add_documents(client, ingest, INCIDENT, CALM)
    alice = key(store, "alice", "reviewer")
    review(client, doc_id, alice, [])
    review(client, doc_id, alice, ["abduction"])
    (record,) = exported(store, tmp_path)
    assert record.labels == ["abduction"] and record.text == INCIDENT
    assert record.evidence[0].end == 40


def test_one_reviewers_review_never_silently_replaces_anothers_for_training(
    client, store, ingest, tmp_path
):
    """Each reviewer's latest review counts. When they disagree on the labels the document is
    left out of training until an admin's review settles it; when they agree, it is kept."""
    disputed, agreed = add_documents(client, ingest, INCIDENT, SHELLING)
    alice, bob = key(store, "alice", "reviewer"), key(store, "bob", "reviewer")
    review(client, disputed, alice, ["abduction"])
    review(client, disputed, bob, [])
    review(client, agreed, alice, ["killing_maiming"])
    review(client, agreed, bob, ["killing_maiming"], end=30)
    (record,) = exported(store, tmp_path)
    assert record.text == SHELLING and record.evidence[0].end == 30
    with store.sessions() as session:
        assert repo.disputed_documents(session) == [disputed]

    review(
        client, disputed, key(store, "lead", "admin"), ["abduction", "attacks_schools_hospitals"]
    )
    records = {r.text: r for r in exported(store, tmp_path)}
    assert records[INCIDENT].labels == ["abduction", "attacks_schools_hospitals"]
    with store.sessions() as session:
        assert repo.disputed_documents(session) == []


def test_batch_scoring_can_fill_the_store(trained, store_url, store, tmp_path):
    import json

    from service.batch.job import JobOptions, run_job

    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(
            json.dumps({"id": i, "text": t}) + "\n"
            for i, t in [("feeds/a.txt", INCIDENT), ("b", CALM), ("c", INCIDENT)]
        )
    )
    run_job(JobOptions([str(src)], tmp_path / "out.jsonl", store_url=store_url), trained[0])
    with store.sessions() as session:
        rows = session.scalars(select(DocumentRow).order_by(DocumentRow.source_id)).all()
        assert [d.source_id for d in rows] == ["b", "feeds/a.txt"]  # the repeated text once
        _, predictions, _ = repo.get_document(session, rows[1].id)
        assert predictions[0].prediction["model"] == trained[1].version


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=2&limit=3", "query.limit: give limit once"),
        ("limit=8.0", "query.limit: Input should be a valid integer"),
        ("limit=2&x=1", "query: unknown parameter 'x' (this endpoint takes: limit)"),
    ],
)
def test_an_ambiguous_queue_query_is_refused(client, store, query, message):
    response = client.get(f"/v1/review/queue?{query}", headers=key(store, "r", "reviewer"))
    assert response.status_code == 422
    assert error_of(response) == {"code": "invalid_request", "message": message}


def test_the_migration_gives_old_documents_opaque_ids_and_keeps_theirs_as_source_id(tmp_path):
    """A store written before 0003 (caller ids, some with '/') keeps every document, prediction
    and review; the documents get ids safe in URLs."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from service.store.db import MIGRATIONS
    from service.store.ids import document_id

    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "0002")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO documents (id, content_hash, text, created_at, reviewed) "
                "VALUES ('feeds/a.txt', 'h1', :t, '2026-11-01 10:00:00', 1)"
            ),
            {"t": INCIDENT},
        )
        conn.execute(
            text(
                "INSERT INTO predictions (document_id, model, prediction, created_at) "
                "VALUES ('feeds/a.txt', 'm1', '{}', '2026-11-01 10:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO reviews (document_id, reviewer, created_at, labels, evidence, "
                "comment) VALUES ('feeds/a.txt', 'alice', '2026-11-01 11:00:00', '[]', '[]', '')"
            )
        )
    engine.dispose()
    command.upgrade(config, "head")
    store = Database(url)
    with store.sessions() as session:
        doc, predictions, reviews = repo.get_document(session, document_id(INCIDENT))
        assert doc.source_id == "feeds/a.txt" and doc.text == INCIDENT
        assert [p.model for p in predictions] == ["m1"]
        assert [r.reviewer for r in reviews] == ["alice"]
        assert reviews[0].created_at == datetime(2026, 11, 1, 11, tzinfo=UTC)
    store.close()


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ({}, 1.0),  # every score 0: as far below each threshold as it can be
        ({"killing_maiming": 1.0, "attacks_schools_hospitals": 1.0}, 1.0),
        ({"recruitment_use": 0.35}, 0.0),  # on its threshold
        ({"recruitment_use": 0.175}, 0.5),  # half way down from 0.35 to 0
        ({"attacks_schools_hospitals": 0.75}, 0.5),  # half way up from 0.5 to 1
        ({"killing_maiming": 0.89, "denial_humanitarian_access": 0.231}, 0.3),
    ],
)
def test_the_margin_is_the_way_from_each_threshold_to_0_or_1_the_nearest_score_has_gone(
    scores, expected
):
    """A score's distance from its threshold as a share of the room on its side (down to 0,
    up to 1); the document's margin is the smallest of its six."""
    from service.store.margin import document_margin

    all_scores = dict.fromkeys(UX_THRESHOLDS, 0.0) | scores
    assert document_margin(all_scores, UX_THRESHOLDS) == pytest.approx(expected)


def test_the_migration_measures_the_margins_already_stored_the_new_way(tmp_path):
    """Documents stored before 0005 had the raw |score - threshold| as margin; their margin is
    recomputed from their latest prediction's scores and thresholds. A prediction stored
    before 0004 kept no thresholds: its document keeps the margin it had."""
    import json

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from service.store.db import MIGRATIONS

    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "0004")
    calm = dict.fromkeys(UX_THRESHOLDS, 0.0)
    engine = create_engine(url)
    with engine.begin() as conn:
        for doc_id, margin, thresholds in (
            ("doc_" + "a" * 32, 0.33, UX_THRESHOLDS),
            ("doc_" + "b" * 32, 0.25, None),
        ):
            conn.execute(
                text(
                    "INSERT INTO documents (id, content_hash, text, created_at, reviewed, margin) "
                    "VALUES (:id, 'h', :t, '2026-11-01 10:00:00', 0, :m)"
                ),
                {"id": doc_id, "t": CALM, "m": margin},
            )
            conn.execute(
                text(
                    "INSERT INTO predictions (document_id, model, prediction, thresholds, "
                    "created_at) VALUES (:id, 'm1', :p, :th, '2026-11-01 10:00:00')"
                ),
                {
                    "id": doc_id,
                    "p": json.dumps({"model": "m1", "labels": [], "scores": calm}),
                    "th": json.dumps(thresholds) if thresholds else None,
                },
            )
    engine.dispose()
    command.upgrade(config, "head")
    store = Database(url)
    with store.sessions() as session:
        assert session.get(DocumentRow, "doc_" + "a" * 32).margin == pytest.approx(1.0)
        assert session.get(DocumentRow, "doc_" + "b" * 32).margin == pytest.approx(0.25)
    store.close()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "a key's name is empty: give who or what the key is for, e.g. monitor-1"),
        ("   ", "a key's name is empty: give who or what the key is for, e.g. monitor-1"),
        (
            "evil\nname",
            "the key name 'evil\\nname' contains a control character (U+000A) at index 4: "
            "use a name on one line, without control characters",
        ),
        (
            "tab\tname",
            "the key name 'tab\\tname' contains a control character (U+0009) at index 3: "
            "use a name on one line, without control characters",
        ),
        (
            "\x1b[31mred",
            "the key name '\\x1b[31mred' contains a control character (U+001B) at index 0: "
            "use a name on one line, without control characters",
        ),
        (
            "left\u2028right",
            "the key name 'left\\u2028right' contains a control character (U+2028) at index 4: "
            "use a name on one line, without control characters",
        ),
        (
            "a\u202eb",
            "the key name 'a\\u202eb' contains a control character (U+202E) at index 1: "
            "use a name on one line, without control characters",
        ),
        ("k" * 201, "a key's name has 201 characters; the limit is 200: use a shorter name"),
        (
            " ops",
            "the key name ' ops' begins or ends with white space: give the name without it",
        ),
        (
            "ops\u00a0",
            "the key name 'ops\\xa0' begins or ends with white space: give the name without it",
        ),
    ],
)
def test_a_key_name_must_be_one_visible_line(store, name, message):
    with store.sessions.begin() as session, pytest.raises(InvalidInput) as refused:
        repo.create_key(session, name, "reviewer")
    assert (refused.value.code, refused.value.message) == ("invalid_key_name", message)
    with store.sessions() as session:
        assert repo.list_keys(session) == []


@pytest.mark.parametrize("name", ["monitor-1", "Équipe Kyiv 2", "مراقب", "k" * 200])
def test_a_key_name_may_be_any_visible_text(store, name):
    with store.sessions.begin() as session:
        repo.create_key(session, name, "reviewer")
    with store.sessions() as session:
        assert [k.name for k in repo.list_keys(session)] == [name]


def an_older_key(store, name: str) -> None:
    """A key stored before check_key_name refused white space at a name's ends."""
    with store.sessions.begin() as session:
        session.add(
            ApiKeyRow(name=name, role="admin", key_hash=name.encode().hex(), created_at=repo.now())
        )


def test_revoking_an_unknown_key_says_how_to_find_the_names(store):
    with store.sessions.begin() as session, pytest.raises(NotFound) as missing:
        repo.revoke_key(session, "ops")
    assert (missing.value.code, missing.value.message) == (
        "key_not_found",
        "no active key named 'ops': `gravewatch keys list` names them",
    )


@pytest.mark.parametrize(
    ("asked", "stored"), [("ops", " ops"), ("ops", "ops\u00a0"), (" ops", "ops")]
)
def test_revoking_a_name_that_differs_only_by_white_space_at_its_ends_names_the_stored_one(
    store, asked, stored
):
    an_older_key(store, stored)
    with store.sessions.begin() as session, pytest.raises(NotFound) as missing:
        repo.revoke_key(session, asked)
    assert (missing.value.code, missing.value.message) == (
        "key_not_found",
        f"no active key named {asked!r}; one named {stored!r} differs only in white space at "
        f"its ends: give that exact name, `gravewatch keys revoke {shlex.quote(stored)}`",
    )
    with store.sessions.begin() as session:
        repo.revoke_key(session, stored)
    with store.sessions() as session:
        assert [k.revoked_at is not None for k in repo.list_keys(session)] == [True]


def test_a_revoked_key_is_not_offered_for_a_name_that_differs_by_white_space(store):
    an_older_key(store, " ops")
    with store.sessions.begin() as session:
        repo.revoke_key(session, " ops")
    with store.sessions.begin() as session, pytest.raises(NotFound) as missing:
        repo.revoke_key(session, "ops")
    assert missing.value.message == "no active key named 'ops': `gravewatch keys list` names them"
