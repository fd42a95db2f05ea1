"""Output formats of a batch job: one JSON object per line, or CSV with one row per document."""

from __future__ import annotations

import csv
import io
import json
from typing import Literal

from training.schemas import LABELS

OutputFormat = Literal["jsonl", "csv"]
CSV_COLUMNS = [
    "id",
    "model",
    "labels",
    *(f"score_{label}" for label in LABELS),
    "evidence",
    "source",
    "url",
    "title",
    "published",
    "content_hash",
    "passages",
    "duplicate_of",
]


def header(fmt: OutputFormat) -> str:
    """Text written once at the start of a new output file."""
    if fmt == "csv":
        return _csv_line(CSV_COLUMNS)
    return ""


def split_line(record: dict, fmt: OutputFormat) -> tuple[str, str]:
    """The record's output line cut where ``duplicate_of`` goes (``record`` has it last and
    None), so that workers serialise and the writer only fills in that one field."""
    text = line(record, fmt)
    marker = "null}\n" if fmt == "jsonl" else "\n"
    assert text.endswith(marker), "duplicate_of must be the last field"
    cut = len(text) - len(marker)
    return text[:cut], text[cut + (4 if fmt == "jsonl" else 0) :]


def fill_duplicate(head: str, tail: str, duplicate_of: str | None, fmt: OutputFormat) -> str:
    if duplicate_of is None:
        return head + ("null" if fmt == "jsonl" else "") + tail
    if fmt == "jsonl":
        return head + json.dumps(duplicate_of, ensure_ascii=False) + tail
    return head + _csv_line([duplicate_of]).rstrip("\n") + tail


def line(record: dict, fmt: OutputFormat) -> str:
    if fmt == "jsonl":
        return json.dumps(record, ensure_ascii=False) + "\n"
    evidence = {
        label["label"]: [[e["start"], e["end"]] for e in label["evidence"]]
        for label in record["labels"]
    }
    row = {
        **{k: record.get(k) for k in CSV_COLUMNS},
        "labels": ";".join(label["label"] for label in record["labels"]),
        **{f"score_{label}": record["scores"][label] for label in LABELS},
        "evidence": json.dumps(evidence),
    }
    return _csv_line(["" if row[c] is None else row[c] for c in CSV_COLUMNS])


def _csv_line(values: list) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(values)
    return buf.getvalue()
