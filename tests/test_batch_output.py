"""Batch output rows are the DocumentPrediction schema, serialised: its fields in its order."""

import csv
import io
import json

from service.batch.documents import DocumentPrediction
from service.batch.output import CSV_COLUMNS, header, line
from training.schemas import LABELS


def row(**overrides) -> DocumentPrediction:
    fields = {
        "id": "a1",
        "model": "m1",
        "labels": [
            {
                "label": "abduction",
                "score": 0.91,
                "evidence": [{"start": 0, "end": 7, "text": "Gunmen ", "score": 0.8}],
            }
        ],
        "scores": {label: (0.91 if label == "abduction" else 0.02) for label in LABELS},
        "lang": "en",
        "source": "in.jsonl",
        "url": "https://news.example/a",
        "title": "Raid",
        "published": "2026-11-03",
        "content_hash": "0" * 32,
        "passages": 2,
    }
    return DocumentPrediction.model_validate({**fields, **overrides})


def test_a_jsonl_line_is_the_schema_in_its_field_order():
    text = line(row(duplicate_of="a0"), "jsonl")
    assert text.endswith("\n") and text.count("\n") == 1
    parsed = json.loads(text)
    assert list(parsed) == list(DocumentPrediction.model_fields)
    assert parsed["duplicate_of"] == "a0" and parsed["flags"] == []
    assert DocumentPrediction.model_validate(parsed) == row(duplicate_of="a0")
    dumped = row(duplicate_of="a0").model_dump(mode="json")
    assert text == json.dumps(dumped, ensure_ascii=False) + "\n"


def test_a_jsonl_line_keeps_non_ascii_text_as_is():
    text = line(row(title="Краматорськ"), "jsonl")
    assert '"title": "Краматорськ"' in text and '"duplicate_of": null}' in text


def test_a_csv_row_has_one_cell_per_column():
    (cells,) = csv.reader(io.StringIO(line(row(duplicate_of=None), "csv")))
    values = dict(zip(CSV_COLUMNS, cells, strict=True))
    assert header("csv") == ",".join(CSV_COLUMNS) + "\n"
    assert values["labels"] == "abduction" and values["duplicate_of"] == ""
    assert json.loads(values["evidence"]) == {"abduction": [[0, 7]]}
    assert values["score_abduction"] == "0.91" and values["passages"] == "2"


def test_a_csv_row_has_the_language_and_the_flags_as_jsonl_has_them():
    (cells,) = csv.reader(io.StringIO(line(row(lang="sw", flags=["unsupported_language"]), "csv")))
    values = dict(zip(CSV_COLUMNS, cells, strict=True))
    assert (values["lang"], values["flags"]) == ("sw", "unsupported_language")
    (cells,) = csv.reader(io.StringIO(line(row(flags=[]), "csv")))
    assert dict(zip(CSV_COLUMNS, cells, strict=True))["flags"] == ""


def test_a_csv_cell_from_the_input_that_a_spreadsheet_would_run_is_written_as_text():
    formulas = ['=HYPERLINK("https://x")', "+1", "-2+3", "@SUM(A1)", "\tx"]
    for formula in formulas:
        text = line(row(id=formula, title=formula, url=formula, source=formula), "csv")
        (cells,) = csv.reader(io.StringIO(text))
        values = dict(zip(CSV_COLUMNS, cells, strict=True))
        assert [values[c] for c in ("id", "title", "url", "source")] == ["'" + formula] * 4
    (cells,) = csv.reader(io.StringIO(line(row(id="\rx"), "csv"), newline=""))
    assert cells[0] == "'\rx"
    (cells,) = csv.reader(io.StringIO(line(row(title="Raid = attack"), "csv")))
    assert dict(zip(CSV_COLUMNS, cells, strict=True))["title"] == "Raid = attack"


def test_a_carriage_return_inside_a_csv_cell_stays_inside_its_row():
    """A title holding a lone carriage return (old Mac line ends in a feed) is quoted, so that
    a CSV reader, which ends a row at a bare CR, reads one row with the title whole."""
    text = line(row(title="Raid on a school\rpupils taken"), "csv")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 1
    assert dict(zip(CSV_COLUMNS, rows[0], strict=True))["title"] == "Raid on a school\rpupils taken"
    assert text.endswith("\n") and not text.endswith("\r\n")
