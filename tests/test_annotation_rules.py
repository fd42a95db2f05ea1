"""One rule for a valid annotation, a blank text and deduplication's normalisation: the corpus
validator, the review API, retraining, batch input and the CLI give the same answers."""

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.app import create_app
from service.cli import app as cli
from service.config import Settings
from service.store import repository as repo
from tests.conftest import make_record
from tests.factories import key
from training.corpus import CorpusError, read_labelled, validate
from training.retrain import usable_reviews
from training.schemas import LABELS, Record, annotation_problems, is_blank, normalised_text

TEXT = make_record()["text"]  # "On 3 May, shelling hit a school in Kharkiv, killing two pupils."
KM = {"label": "killing_maiming", "start": 10, "end": 62}

BAD = {
    "duplicate label": {"labels": ["killing_maiming", "killing_maiming"], "evidence": [KM]},
    "whitespace-only span": {
        "labels": ["killing_maiming"],
        "evidence": [{"label": "killing_maiming", "start": 2, "end": 3}],
    },
    "span out of range": {
        "labels": ["killing_maiming"],
        "evidence": [{"label": "killing_maiming", "start": 10, "end": 500}],
    },
    "span ends before it starts": {
        "labels": ["killing_maiming"],
        "evidence": [{"label": "killing_maiming", "start": 10, "end": 5}],
    },
    "span of a label not chosen": {
        "labels": ["killing_maiming"],
        "evidence": [KM, {"label": "abduction", "start": 0, "end": 5}],
    },
    "label without a span": {"labels": ["killing_maiming", "abduction"], "evidence": [KM]},
    "unknown label": {"labels": ["looting"], "evidence": []},
    "two problems": {
        "labels": ["abduction", "abduction"],
        "evidence": [{"label": "abduction", "start": 0, "end": 999}],
    },
}

CODES = {
    "duplicate label": "repeated_label",
    "whitespace-only span": "evidence_blank",
    "span out of range": "evidence_out_of_range",
    "span ends before it starts": "evidence_out_of_range",
    "span of a label not chosen": "evidence_label_not_chosen",
    "label without a span": "label_without_evidence",
    "unknown label": "invalid_request",  # the schema refuses it before the rule runs
    "two problems": "repeated_label",
}


def corpus_messages(write_jsonl, annotation: dict) -> list[str]:
    path = write_jsonl([make_record(**annotation)])
    prefix = f"{path}:1: "
    out = [str(p) for p in validate([path])]
    assert all(m.startswith(prefix) for m in out), out
    return [m.removeprefix(prefix) for m in out]


@pytest.fixture
def review_api(store_url, tmp_path):
    """A client with no model (reviews need none), a reviewer key and one stored document."""
    settings = Settings(models_dir=tmp_path / "no-models", database_url=store_url)
    with TestClient(create_app(settings)) as client:
        store = client.app.state.store
        with store.sessions.begin() as session:
            doc_id = repo.store_prediction(
                session,
                text=TEXT,
                content_hash=normalised_text(TEXT),
                prediction={"model": "m", "labels": [], "scores": dict.fromkeys(LABELS, 0.5)},
                thresholds=dict.fromkeys(LABELS, 0.5),
            )

        def post(annotation: dict):
            return client.post(
                f"/v1/documents/{doc_id}/reviews",
                json=annotation,
                headers=key(store, f"r{id(annotation)}", "reviewer"),
            )

        yield post


@pytest.mark.parametrize("case", list(BAD))
def test_corpus_and_review_api_refuse_the_same_annotations_with_the_same_messages(
    case, write_jsonl, review_api
):
    expected = corpus_messages(write_jsonl, BAD[case])
    assert expected, f"the corpus validator accepts a {case}"
    response = review_api(BAD[case])
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["message"] == "; ".join(expected)
    assert error["code"] == CODES[case]


def test_a_valid_annotation_passes_both(write_jsonl, review_api):
    annotation = {"labels": ["killing_maiming"], "evidence": [KM]}
    assert corpus_messages(write_jsonl, annotation) == []
    assert review_api(annotation).status_code == 201


@pytest.mark.parametrize("text", ["", " ", "\ufeff", " \ufeff\n\t"])
def test_blank_is_one_rule(text):
    assert is_blank(text)
    assert annotation_problems(text, [], [])[0].code == "blank_text"


@pytest.mark.parametrize("text", ["\ufeff", "\ufeff \n"])
def test_the_corpus_refuses_a_text_of_only_whitespace_and_byte_order_marks(text, write_jsonl):
    record = make_record(text=text, labels=[], evidence=[], negative_type="adult_only")
    assert corpus_messages(write_jsonl, record) == ["text is blank: give the passage's text"]


@pytest.mark.parametrize("text", ["   ", "\ufeff", "\ufeff\n"])
def test_classify_command_refuses_a_blank_passage_before_loading_a_model(text, tmp_path):
    result = CliRunner().invoke(
        cli, ["classify", text], env={"GRAVEWATCH_MODELS_DIR": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert "the passage is empty" in result.output


def test_the_lenient_reader_checks_offsets_as_it_promises(write_jsonl):
    record = make_record(evidence=[{"label": "killing_maiming", "start": 10, "end": 500}])
    path = write_jsonl([{k: v for k, v in record.items() if k not in ("style", "region")}])
    with pytest.raises(CorpusError, match=r"0 <= start < end <= 63"):
        read_labelled(path)


def test_retraining_leaves_out_invalid_reviews_and_says_why():
    good = Record.model_validate(make_record(id="review-good"))
    bad = Record.model_validate(
        make_record(
            id="review-bad",
            labels=["killing_maiming", "killing_maiming"],
            evidence=[{"label": "killing_maiming", "start": 2, "end": 3}],
            negative_type=None,
        )
    )
    usable, skipped = usable_reviews([good, bad])
    assert usable == [good]
    assert skipped == [
        "review-bad: labels: killing_maiming listed more than once: give each label once; "
        "evidence[0] (killing_maiming 2-3): the span is only whitespace: select the words that "
        "state the act"
    ]


def test_deduplication_normalises_one_way():
    from service.batch.dedup import content_hash
    from training.retrain import training_data  # noqa: F401 - uses normalised_text too

    assert normalised_text("  Shelling\tHIT\n the school ") == "shelling hit the school"
    assert content_hash("Shelling HIT the school") == content_hash(" shelling hit\nthe SCHOOL")
