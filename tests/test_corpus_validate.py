"""`gravewatch corpus validate`: every defect is reported as file:line: message."""

import json

import pytest
from typer.testing import CliRunner

from service.cli import app
from tests.conftest import make_record
from training.corpus import validate

runner = CliRunner()


def messages(path):
    return [str(p) for p in validate([path])]


def test_valid_record_has_no_problem(write_jsonl):
    assert messages(write_jsonl([make_record()])) == []


def test_invalid_json_reports_line(write_jsonl):
    path = write_jsonl([make_record(), "{not json"])
    (msg,) = messages(path)
    assert msg.startswith(f"{path}:2: invalid JSON")


def test_unknown_label_is_reported(write_jsonl):
    path = write_jsonl([make_record(labels=["killing_maiming", "looting"])])
    assert any(m.startswith(f"{path}:1:") and "labels[1]" in m for m in messages(path))


def test_evidence_label_not_in_labels(write_jsonl):
    rec = make_record(
        labels=["killing_maiming"],
        evidence=[
            {"label": "abduction", "start": 0, "end": 5},
            {"label": "killing_maiming", "start": 10, "end": 62},
        ],
    )
    assert messages(write_jsonl([rec])) == [
        f"{write_jsonl([rec])}:1: evidence[0] (abduction 0-5): label 'abduction' is not among "
        "the labels: add it to the labels or remove the span"
    ]


def test_offset_outside_text(write_jsonl):
    rec = make_record(
        evidence=[
            {"label": "attacks_schools_hospitals", "start": 10, "end": 41},
            {"label": "killing_maiming", "start": 10, "end": 500},
        ]
    )
    (msg,) = messages(write_jsonl([rec]))
    assert msg.endswith(
        "evidence[1] (killing_maiming 10-500): offsets must satisfy 0 <= start < end <= 63 "
        "(the text's length in code points)"
    )


def test_label_without_span(write_jsonl):
    rec = make_record(evidence=[{"label": "killing_maiming", "start": 10, "end": 62}])
    (msg,) = messages(write_jsonl([rec]))
    assert msg.endswith("label(s) attacks_schools_hospitals need at least one evidence span each")


def test_duplicate_id_and_exact_duplicate_text(write_jsonl):
    path = write_jsonl([make_record(), make_record()])
    msgs = messages(path)
    assert any(m.startswith(f"{path}:2: duplicate id 't-1'") for m in msgs)
    assert any(m.startswith(f"{path}:2: exact duplicate of t-1") for m in msgs)


def test_near_duplicate_text(write_jsonl):
    a = make_record(
        id="a",
        labels=[],
        evidence=[],
        negative_type="adult_only",
        text="Gunmen attacked the market in the north of the town on Sunday "
        "and killed eleven men who were selling grain there, officials said.",
    )
    b = dict(a, id="b", text=a["text"].replace("officials said", "police said"))
    (msg,) = messages(write_jsonl([a, b]))
    assert "near-duplicate (5-gram Jaccard" in msg and ":2:" in msg


def test_negative_without_type(write_jsonl):
    rec = make_record(labels=[], evidence=[])
    (msg,) = messages(write_jsonl([rec]))
    assert msg.endswith("a passage with no label needs a negative_type")


def test_empty_file_and_bad_encoding(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"id": "x", "text": "Caf\xe9"}\n')
    assert messages(empty) == [f"{empty}: file is empty: add records or remove the file"]
    (msg,) = messages(latin)
    assert msg.startswith(f"{latin}:1: not valid UTF-8")


def test_a_folder_without_corpus_files_is_a_problem_not_an_empty_corpus(tmp_path):
    (tmp_path / "notes.txt").write_text("not a corpus file")
    assert messages(tmp_path) == [
        f"{tmp_path}: folder holds no .jsonl file: point at the corpus files"
    ]


def test_cli_exit_status(write_jsonl):
    bad = write_jsonl(["[]"])
    result = runner.invoke(app, ["corpus", "validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:1:" in result.output
    good = write_jsonl([make_record()], name="good.jsonl")
    assert runner.invoke(app, ["corpus", "validate", str(good)]).exit_code == 0


def test_unknown_language_is_reported(write_jsonl):
    path = write_jsonl([make_record(lang="de")])
    (msg,) = messages(path)
    assert msg.startswith(f"{path}:1: lang:")


def test_hard_negative_with_labels_is_reported(write_jsonl):
    path = write_jsonl([make_record(negative_type="peacetime_lookalike")])
    assert messages(path) == [f"{path}:1: negative_type is set on a passage with labels"]


def test_offsets_count_code_points_in_any_script(write_jsonl):
    """Arabic, Cyrillic, combining marks and emoji before a span: offsets are code points."""
    text = "😢 Café\u0301 — قُتل طفلان. Снаряд убил двоих детей в Харькове."
    act = "Снаряд убил двоих детей в Харькове."
    start = text.index(act)
    good = make_record(
        text=text,
        lang="ru",
        labels=["killing_maiming"],
        evidence=[{"label": "killing_maiming", "start": start, "end": start + len(act)}],
    )
    assert messages(write_jsonl([good])) == []
    beyond = make_record(
        id="t-2",
        text=text,
        lang="ru",
        labels=["killing_maiming"],
        evidence=[{"label": "killing_maiming", "start": start, "end": len(text) + 1}],
    )
    (msg,) = messages(write_jsonl([beyond], name="beyond.jsonl"))
    assert f"0 <= start < end <= {len(text)} (the text's length in code points)" in msg


def test_near_duplicates_are_compared_within_a_language(write_jsonl):
    text = "Armed men stormed the village school at dawn and took eleven pupils into the forest."
    path = write_jsonl(
        [
            make_record(id="a", text=text, labels=[], evidence=[], negative_type="adult_only"),
            make_record(
                id="b", text=text, labels=[], evidence=[], negative_type="adult_only", lang="fr"
            ),
            make_record(id="c", text=text, labels=[], evidence=[], negative_type="adult_only"),
        ]
    )
    assert messages(path) == [f"{path}:3: exact duplicate of a at {path}:1"]


def test_from_quotes_turns_quoted_evidence_into_offsets(write_jsonl, tmp_path):
    text = "Des hommes armés ont enlevé douze élèves à Djugu. L'école a été pillée."
    draft = write_jsonl(
        [
            make_record(
                text=text,
                lang="fr",
                labels=["abduction", "attacks_schools_hospitals"],
                evidence=[
                    {"label": "abduction", "quote": "ont enlevé douze élèves à Djugu"},
                    {"label": "attacks_schools_hospitals", "quote": "L'école a été pillée"},
                ],
            ),
            make_record(id="t-2", evidence=[{"label": "abduction", "quote": "not there"}]),
        ],
        name="draft.jsonl",
    )
    result = runner.invoke(app, ["corpus", "from-quotes", str(draft)])
    assert result.exit_code == 1
    assert f"{draft}:2: abduction: quote not found in text: 'not there'" in result.output

    good = write_jsonl([draft.read_text(encoding="utf-8").splitlines()[0]], name="good.jsonl")
    out = tmp_path / "corpus.jsonl"
    result = runner.invoke(app, ["corpus", "from-quotes", str(good), "-o", str(out)])
    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    spans = {e["label"]: text[e["start"] : e["end"]] for e in record["evidence"]}
    assert spans == {
        "abduction": "ont enlevé douze élèves à Djugu",
        "attacks_schools_hospitals": "L'école a été pillée",
    }
    assert messages(out) == []


QUOTED = make_record(
    evidence=[
        {"label": "attacks_schools_hospitals", "quote": "shelling hit a school in Kharkiv"},
        {
            "label": "killing_maiming",
            "quote": "shelling hit a school in Kharkiv, killing two pupils",
        },
    ]
)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("[1, 2]", "record: Input should be a valid dictionary or instance of Record"),
        ("5", "record: Input should be a valid dictionary or instance of Record"),
        (json.dumps({**QUOTED, "text": 5}), "text: Input should be a valid string"),
        (json.dumps({**QUOTED, "evidence": 5}), "evidence: Input should be a valid list"),
        (
            json.dumps({**QUOTED, "evidence": [5]}),
            "evidence[0]: Input should be a valid dictionary or instance of GoldSpan",
        ),
        (
            json.dumps({**QUOTED, "evidence": [{"label": "abduction", "quote": 5}]}),
            "evidence[0].quote: Input should be a valid string",
        ),
        (
            json.dumps({**QUOTED, "evidence": [{"label": "abduction", "quote": ""}]}),
            "evidence[0].quote: String should have at least 1 character",
        ),
        (
            json.dumps(
                {**QUOTED, "evidence": [{"label": "abduction", "quote": "a", "occurrence": "two"}]}
            ),
            "evidence[0].occurrence: Input should be a valid integer, unable to parse string as an "
            "integer",
        ),
        (
            json.dumps(
                {**QUOTED, "evidence": [{"label": "abduction", "quote": "a", "occurrence": 0}]}
            ),
            "evidence[0].occurrence: Input should be greater than or equal to 1",
        ),
    ],
)
def test_from_quotes_reports_a_malformed_draft_line_as_file_line_problem(
    write_jsonl, line, problem
):
    draft = write_jsonl([QUOTED, line], name="draft.jsonl")
    result = runner.invoke(app, ["corpus", "from-quotes", str(draft)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout == f"{draft}:2: {problem}\n"
    assert result.stderr == "1 problem(s)\n"


def test_from_quotes_reports_a_draft_that_is_not_utf8(tmp_path):
    draft = tmp_path / "latin.jsonl"
    draft.write_bytes(b'{"id": "x", "text": "Caf\xe9"}\n')
    result = runner.invoke(app, ["corpus", "from-quotes", str(draft)])
    assert result.exit_code == 1
    assert result.stdout == f"{draft}:1: not valid UTF-8 (byte 24); re-save as UTF-8\n"


@pytest.mark.parametrize("where", ["folder", "missing folder"])
def test_from_quotes_refuses_an_output_it_cannot_write_in_one_line(write_jsonl, tmp_path, where):
    draft = write_jsonl([QUOTED], name="draft.jsonl")
    if where == "folder":
        output = tmp_path / "out"
        output.mkdir()
        expected = (
            f"{output}: is a folder; give -o the file to write, such as {output}/corpus.jsonl"
        )
    else:
        output = tmp_path / "missing" / "corpus.jsonl"
        expected = (
            f"{output.parent}: the output folder does not exist; create it or choose another -o"
        )
    result = runner.invoke(app, ["corpus", "from-quotes", str(draft), "-o", str(output)])
    assert result.exit_code == 1
    assert result.stderr == f"error: {expected}\n"
    assert not (tmp_path / "missing").exists()


def test_from_quotes_that_crashes_midway_keeps_the_previous_output_and_no_temporary_file(
    write_jsonl, tmp_path, monkeypatch
):
    from training.schemas import Record

    draft = write_jsonl([QUOTED, {**QUOTED, "id": "t-2"}], name="draft.jsonl")
    output = tmp_path / "corpus.jsonl"
    output.write_text("the previous corpus\n")
    dump = Record.model_dump

    def crash_on_the_second_record(record, **kwargs):
        if record.id == "t-2":
            raise RuntimeError("the process was killed")
        return dump(record, **kwargs)

    monkeypatch.setattr(Record, "model_dump", crash_on_the_second_record)
    result = runner.invoke(app, ["corpus", "from-quotes", str(draft), "-o", str(output)])
    assert isinstance(result.exception, RuntimeError)
    assert output.read_text() == "the previous corpus\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.jsonl", "draft.jsonl"]


def test_from_quotes_that_cannot_write_says_why_in_one_line_and_keeps_the_previous_output(
    write_jsonl, tmp_path, monkeypatch
):
    def disk_full(src, dst):
        raise OSError(28, "No space left on device")

    draft = write_jsonl([QUOTED], name="draft.jsonl")
    output = tmp_path / "corpus.jsonl"
    output.write_text("the previous corpus\n")
    monkeypatch.setattr("os.replace", disk_full)
    result = runner.invoke(app, ["corpus", "from-quotes", str(draft), "-o", str(output)])
    assert result.exit_code == 1
    assert result.stderr == f"error: {output}: No space left on device; choose another -o\n"
    assert output.read_text() == "the previous corpus\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.jsonl", "draft.jsonl"]


def test_from_quotes_reports_every_field_of_a_line_on_one_line(write_jsonl):
    draft = write_jsonl([{"text": 5}], name="draft.jsonl")
    result = runner.invoke(app, ["corpus", "from-quotes", str(draft)])
    assert result.exit_code == 1
    assert result.stdout == (
        f"{draft}:1: id: Field required; text: Input should be a valid string; labels: Field "
        "required; evidence: Field required; source: Field required; style: Field required; "
        "region: Field required\n"
    )
    assert result.stdout == "".join(f"{p}\n" for p in validate([draft]))
