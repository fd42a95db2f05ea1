"""Turn corpus drafts whose evidence is quoted text into records with character offsets.

Writers quote the evidence instead of counting characters: a draft record is a corpus record
whose ``evidence`` items are ``{"label": ..., "quote": "exact text"}``. A quote must occur in
the text; when it occurs more than once, ``"occurrence": k`` (1-based) picks one.

    gravewatch corpus from-quotes DRAFT.jsonl [-o CORPUS.jsonl]

Without ``-o`` the drafts are only checked; every problem is printed as ``file:line: reason``.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from training.corpus import Problem, _read_lines, check_record
from training.files import write_atomic
from training.schemas import LabelId, Record, field_path


class Quote(BaseModel):
    """A draft's evidence item: the span's exact text instead of its offsets."""

    model_config = ConfigDict(extra="forbid")

    label: LabelId
    quote: str = Field(min_length=1, description="The span's exact text.")
    occurrence: int | None = Field(
        default=None, ge=1, description="Which occurrence of the quote (1-based), when it recurs."
    )


def _message(error: ValidationError, prefix: tuple = ()) -> str:
    """``field: problem; field: problem`` for ``error``, as `corpus validate` names them."""
    return "; ".join(
        f"{field_path((*prefix, *e['loc'])) or 'record'}: {e['msg']}" for e in error.errors()
    )


def _find(text: str, quote: str, occurrence: int | None) -> tuple[int, int] | str:
    starts = []
    i = text.find(quote)
    while i != -1:
        starts.append(i)
        i = text.find(quote, i + 1)
    if not starts:
        return f"quote not found in text: {quote[:60]!r}"
    if occurrence is None:
        if len(starts) > 1:
            return f'quote occurs {len(starts)} times, add "occurrence": {quote[:60]!r}'
        occurrence = 1
    if not 1 <= occurrence <= len(starts):
        return f"occurrence {occurrence} of {quote[:60]!r} does not exist ({len(starts)} found)"
    start = starts[occurrence - 1]
    return start, start + len(quote)


def _resolve_quotes(obj: dict) -> tuple[list | None, list[str]]:
    """``obj``'s evidence with each quote turned into offsets, or the problems of its quotes.
    What is not a quote is left for the record's validation to judge (None: not a list)."""
    items, text = obj.get("evidence"), obj.get("text")
    if not isinstance(items, list):
        return None, []
    evidence, problems = [], []
    for i, item in enumerate(items):
        if not (isinstance(item, dict) and "quote" in item):
            evidence.append(item)
            continue
        try:
            quote = Quote.model_validate(item)
        except ValidationError as e:
            problems.append(_message(e, ("evidence", i)))
            continue
        if not isinstance(text, str):
            continue  # the record's validation names the text
        found = _find(text, quote.quote, quote.occurrence)
        if isinstance(found, str):
            problems.append(f"{quote.label}: {found}")
        else:
            evidence.append({"label": quote.label, "start": found[0], "end": found[1]})
    return evidence, problems


def resolve(obj: object) -> tuple[Record | None, list[str]]:
    """The corpus record for one draft object (any JSON value), or the problems that prevent
    it."""
    evidence, problems = _resolve_quotes(obj) if isinstance(obj, dict) else (None, [])
    if problems:
        return None, problems
    try:
        record = Record.model_validate(obj if evidence is None else {**obj, "evidence": evidence})
    except ValidationError as e:
        return None, [_message(e)]
    problems = check_record(record)
    return (None, problems) if problems else (record, [])


def convert(path: Path) -> tuple[list[Record], list[Problem]]:
    """The records of the draft file ``path``, and every problem as ``file:line: problem``."""
    lines, problems = _read_lines(path)
    records = []
    for n, line in lines:
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(Problem(str(path), n, f"invalid JSON: {e.msg} (column {e.colno})"))
            continue
        record, msgs = resolve(obj)
        problems.extend(Problem(str(path), n, m) for m in msgs)
        if record is not None:
            records.append(record)
    return records, problems


def write_records(records: list[Record], path: Path) -> None:
    """Write ``records`` as corpus JSONL (UTF-8, one record a line), atomically
    (``write_atomic``): a failure midway leaves ``path`` as it was."""
    write_atomic(
        path,
        (json.dumps(r.model_dump(exclude_none=True), ensure_ascii=False) + "\n" for r in records),
    )
