"""Read, validate and describe the annotated corpus (``labels/corpus/*.jsonl``)."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from pydantic import ValidationError

from training.errors import InvalidInput
from training.schemas import (
    LABELS,
    LANGS,
    NEGATIVE_TYPES,
    Record,
    annotation_problems,
    field_path,
    is_blank,
)
from training.segment import segment
from training.taxonomy import LABELS_DIR

CORPUS_DIR = LABELS_DIR / "corpus"
EVAL_SHARE_PERCENT = 20
NEAR_DUPLICATE_JACCARD = 0.5
SHINGLE_WORDS = 5


class CorpusError(InvalidInput):
    """The corpus cannot be read; the message lists the problems."""

    code = "corpus_invalid"


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class LocatedRecord:
    path: str
    line: int
    record: Record


def corpus_files(paths: Iterable[Path | str] | None = None) -> list[Path]:
    """The JSONL files named by ``paths`` (directories expand to their ``*.jsonl``)."""
    files: list[Path] = []
    for p in [Path(x) for x in (paths or [CORPUS_DIR])]:
        files.extend(sorted(p.glob("*.jsonl")) if p.is_dir() else [p])
    return files


def split_of(record: Record) -> str:
    """``eval`` for about 20% of records by a hash of the id, else ``train``.

    The rule: the first 8 hex digits of SHA-256(id) as an integer, modulo 100, below 20 is
    ``eval``. An explicit ``split`` field wins.
    """
    if record.split:
        return record.split
    bucket = int(hashlib.sha256(record.id.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "eval" if bucket < EVAL_SHARE_PERCENT else "train"


def _format_validation_error(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        loc = field_path(e["loc"]) or "record"
        parts.append(f"{loc}: {e['msg']}")
    return "; ".join(parts)


def _read_lines(path: Path) -> tuple[list[tuple[int, str]], list[Problem]]:
    try:
        raw = path.read_bytes()
    except OSError as e:
        return [], [Problem(str(path), None, f"cannot read file: {e.strerror}")]
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        return [], [Problem(str(path), line, f"not valid UTF-8 (byte {e.start}); re-save as UTF-8")]
    lines = [(n, s) for n, s in enumerate(content.splitlines(), 1) if s.strip()]
    if not lines:
        return [], [Problem(str(path), None, "file is empty: add records or remove the file")]
    return lines, []


def check_record(record: Record) -> list[str]:
    """The annotation rule every record and review follows (``annotation_problems``), then the
    corpus's own: no whitespace around the text, and a negative_type exactly when unlabelled."""
    out = [p.message for p in annotation_problems(record.text, record.labels, record.evidence)]
    if record.text != record.text.strip() and not is_blank(record.text):
        out.append("text has leading or trailing whitespace: remove it (offsets index the text)")
    if record.labels and record.negative_type:
        out.append("negative_type is set on a passage with labels")
    if not record.labels and not record.negative_type:
        out.append("a passage with no label needs a negative_type")
    return out


def load_records(
    paths: Iterable[Path | str] | None = None,
) -> tuple[list[LocatedRecord], list[Problem]]:
    """Parse records, returning those that validate and every problem found per line."""
    records: list[LocatedRecord] = []
    problems: list[Problem] = [
        Problem(str(p), None, "folder holds no .jsonl file: point at the corpus files")
        for p in map(Path, paths or [])
        if p.is_dir() and not corpus_files([p])
    ]
    for path in corpus_files(paths):
        lines, file_problems = _read_lines(path)
        problems.extend(file_problems)
        for n, line in lines:
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                problems.append(Problem(str(path), n, f"invalid JSON: {e.msg} (column {e.colno})"))
                continue
            try:
                record = Record.model_validate(obj)
            except ValidationError as e:
                problems.append(Problem(str(path), n, _format_validation_error(e)))
                continue
            msgs = check_record(record)
            problems.extend(Problem(str(path), n, m) for m in msgs)
            if not msgs:
                records.append(LocatedRecord(str(path), n, record))
    return records, problems


def _shingles(text: str) -> frozenset[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    n = SHINGLE_WORDS
    return frozenset(tuple(words[i : i + n]) for i in range(max(0, len(words) - n + 1)))


def near_duplicate_pairs(
    texts: list[str], threshold: float = NEAR_DUPLICATE_JACCARD
) -> list[tuple[int, int, float]]:
    """Index pairs whose word 5-gram Jaccard similarity is at least ``threshold``."""
    sets = [_shingles(t) for t in texts]
    index: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for sh in s:
            index[sh].append(i)
    shared: Counter[tuple[int, int]] = Counter()
    for ids in index.values():
        if len(ids) > 1:
            shared.update(combinations(ids, 2))
    pairs = []
    for (i, j), inter in shared.items():
        jac = inter / (len(sets[i]) + len(sets[j]) - inter)
        if jac >= threshold:
            pairs.append((i, j, jac))
    return sorted(pairs)


def validate(paths: Iterable[Path | str] | None = None) -> list[Problem]:
    """Every problem in the corpus files, including duplicate ids and near-duplicate texts
    (compared within each language)."""
    located, problems = load_records(paths)
    first_seen: dict[str, LocatedRecord] = {}
    for lr in located:
        prev = first_seen.setdefault(lr.record.id, lr)
        if prev is not lr:
            problems.append(
                Problem(
                    lr.path,
                    lr.line,
                    f"duplicate id {lr.record.id!r} (first at {prev.path}:{prev.line})",
                )
            )
    by_lang: dict[str, list[LocatedRecord]] = defaultdict(list)
    for lr in located:
        by_lang[lr.record.lang].append(lr)
    for group in by_lang.values():
        for i, j, jac in near_duplicate_pairs([lr.record.text for lr in group]):
            a, b = group[i], group[j]
            kind = "exact duplicate" if jac == 1.0 else f"near-duplicate (5-gram Jaccard {jac:.2f})"
            problems.append(
                Problem(b.path, b.line, f"{kind} of {a.record.id} at {a.path}:{a.line}")
            )
    return problems


def read_corpus(paths: Iterable[Path | str] | None = None) -> list[Record]:
    """The corpus records; raises CorpusError listing problems if any line is invalid."""
    located, problems = load_records(paths)
    if problems:
        shown = "\n".join(str(p) for p in problems[:20])
        raise CorpusError(
            f"{len(problems)} problem(s) in the corpus; run `gravewatch corpus validate`:\n{shown}"
        )
    return [lr.record for lr in located]


def corpus_checksum(records: Iterable[Record]) -> str:
    """SHA-256 over the canonical JSON of the records, in order."""
    h = hashlib.sha256()
    for r in records:
        h.update(r.model_dump_json().encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


ARTICLE_MIN_CHARS = 1500
"""Records this long or longer are articles in the statistics; shorter ones are passages."""


def length_band(record: Record) -> str:
    return "article" if len(record.text) >= ARTICLE_MIN_CHARS else "passage"


def multi_violation_sentences(record: Record) -> tuple[int, int]:
    """``(sentences, sentences carrying evidence of two or more labels)`` of one record."""
    spans = segment(record.text)
    multi = 0
    for s, e in spans:
        labels = {g.label for g in record.evidence if min(e, g.end) > max(s, g.start)}
        multi += len(labels) >= 2
    return len(spans), multi


def _describe(records: list[Record]) -> dict:
    counts = lambda values: dict(Counter(values).most_common())  # noqa: E731
    lengths = sorted(len(r.text) for r in records)
    pct = lambda q: lengths[min(len(lengths) - 1, int(q * len(lengths)))] if lengths else 0  # noqa: E731
    sentences = multi = 0
    for r in records:
        n, m = multi_violation_sentences(r)
        sentences, multi = sentences + n, multi + m
    return {
        "records": len(records),
        "labels": {label: sum(label in r.labels for r in records) for label in LABELS},
        "multi_label_records": sum(len(r.labels) >= 2 for r in records),
        "negatives": sum(not r.labels for r in records),
        "negative_share": round(sum(not r.labels for r in records) / len(records), 3)
        if records
        else 0.0,
        "negative_types": counts(r.negative_type for r in records if r.negative_type),
        "multi_violation_sentence_share": round(multi / sentences, 4) if sentences else 0.0,
        "length_chars": {"min": pct(0), "median": pct(0.5), "p90": pct(0.9), "max": pct(1.0)},
    }


def corpus_stats(records: list[Record]) -> dict:
    """Counts per label, negative type, length band, language, style, region and split;
    lengths; the share of sentences stating two or more violations."""
    counts = lambda values: dict(Counter(values).most_common())  # noqa: E731
    return {
        **_describe(records),
        "label_pairs": counts(
            f"{a}+{b}" for r in records for a, b in combinations(sorted(r.labels), 2)
        ),
        "length_bands": {
            band: _describe([r for r in records if length_band(r) == band])
            for band in ("passage", "article")
        },
        "languages": {
            lang: {
                **_describe(group := [r for r in records if r.lang == lang]),
                "length_bands": counts(length_band(r) for r in group),
            }
            for lang in LANGS
            if any(r.lang == lang for r in records)
        },
        "styles": counts(r.style for r in records),
        "regions": counts(r.region for r in records),
        "region_count": len({r.region for r in records}),
        "split": counts(split_of(r) for r in records),
        "evidence_spans": sum(len(r.evidence) for r in records),
    }


def read_labelled(path: Path | str) -> list[Record]:
    """Labelled passages from any JSONL in the guide's record format, for evaluation.

    Fields the corpus needs but other data sets lack (style, region, source) get defaults and
    unknown fields are ignored; labels, evidence and offsets are still checked.
    """
    keep = set(Record.model_fields)
    rows = []
    lines, problems = _read_lines(Path(path))
    for n, line in lines:
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(Problem(str(path), n, f"invalid JSON: {e.msg} (column {e.colno})"))
            continue
        if isinstance(obj, dict):
            obj = {k: v for k, v in obj.items() if k in keep}
            obj.setdefault("source", str(path))
            obj.setdefault("style", "unknown")
            obj.setdefault("region", "unknown")
            if obj.get("labels") or obj.get("negative_type") not in (None, *NEGATIVE_TYPES):
                obj["negative_type"] = None
        try:
            record = Record.model_validate(obj)
        except ValidationError as e:
            problems.append(Problem(str(path), n, _format_validation_error(e)))
            continue
        found = annotation_problems(record.text, record.labels, record.evidence)
        problems.extend(Problem(str(path), n, p.message) for p in found)
        if not found:
            rows.append(record)
    if problems:
        raise CorpusError("\n".join(str(p) for p in problems[:20]))
    return rows
