"""Output formats of a batch job: one JSON object per line, or CSV with one row per document."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Literal

from service.batch.documents import DocumentPrediction
from training.schemas import LABELS

OutputFormat = Literal["jsonl", "csv"]


def missing_folder(path: Path, option: str = "-o") -> str | None:
    """Why ``-o path`` (or another ``option``) cannot be written when its folder does not exist
    (an output's folder is never created on the fly: a mistyped path would scatter results);
    None when it exists."""
    if path.parent.is_dir():
        return None
    return f"{path.parent}: the output folder does not exist; create it or choose another {option}"


CSV_COLUMNS = [
    "id",
    "model",
    "labels",
    *(f"score_{label}" for label in LABELS),
    "lang",
    "flags",
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


def other_header(path: Path, fmt: OutputFormat) -> str | None:
    """How the header of the CSV output ``path`` differs from ``CSV_COLUMNS``, the columns this
    version writes (an output begun by a version with other columns, or edited): ``its header
    lacks lang, flags``. None when they are the same, so that rows of this version fit under
    it, and for JSONL, which has no header."""
    if fmt != "csv":
        return None
    with path.open("rb") as fh:
        found = next(csv.reader([fh.readline().decode("utf-8", errors="replace")]), [])
    if found == CSV_COLUMNS:
        return None
    missing = [c for c in CSV_COLUMNS if c not in found]
    extra = [c for c in found if c not in CSV_COLUMNS]
    differences = []
    if missing:
        differences.append(f"its header lacks {', '.join(missing)}")
    if extra:
        differences.append(f"its header has {', '.join(extra)}, which this version does not write")
    return "; ".join(differences) or "its header has the same columns in another order"


def line(row: DocumentPrediction, fmt: OutputFormat) -> str:
    """The document's output line: the schema's fields in its order (JSONL), or one CSV row
    of ``CSV_COLUMNS`` (lists joined with ``;``, text cells made inert for spreadsheets)."""
    record = row.model_dump(mode="json")
    if fmt == "jsonl":
        return json.dumps(record, ensure_ascii=False) + "\n"
    evidence = {
        label["label"]: [[e["start"], e["end"]] for e in label["evidence"]]
        for label in record["labels"]
    }
    values = {
        **{k: record.get(k) for k in CSV_COLUMNS},
        "labels": ";".join(label["label"] for label in record["labels"]),
        **{f"score_{label}": record["scores"][label] for label in LABELS},
        "flags": ";".join(record["flags"]),
        "evidence": json.dumps(evidence),
    }
    return _csv_line([_inert(values[c]) for c in CSV_COLUMNS])


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (CSV injection): such a cell from the
input (an id, a title, a URL) is written with a ``'`` before it, which spreadsheets show as text."""


def _inert(value) -> str | float | int:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_line(values: list) -> str:
    """One CSV row ending in ``\\n``. The writer is given ``\\r\\n`` as its line end only so that it
    quotes a cell holding a lone carriage return as it quotes one holding a newline (a reader
    ends a row at either); the row's own ``\\r\\n`` becomes ``\\n``."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(values)
    return buf.getvalue()[:-2] + "\n"
