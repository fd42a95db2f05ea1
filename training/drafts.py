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

from pydantic import ValidationError

from training.corpus import Problem, check_record
from training.schemas import Record


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


def resolve(obj: dict) -> tuple[Record | None, list[str]]:
    """The corpus record for one draft object, or the problems that prevent it."""
    text = obj.get("text", "")
    evidence, problems = [], []
    for item in obj.get("evidence") or []:
        if "quote" not in item:
            evidence.append(item)
            continue
        found = _find(text, item["quote"], item.get("occurrence"))
        if isinstance(found, str):
            problems.append(f"{item.get('label')}: {found}")
        else:
            evidence.append({"label": item.get("label"), "start": found[0], "end": found[1]})
    if problems:
        return None, problems
    try:
        record = Record.model_validate({**obj, "evidence": evidence})
    except ValidationError as e:
        return None, [f"{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors()]
    problems = check_record(record)
    return (None, problems) if problems else (record, [])


def convert(path: Path) -> tuple[list[Record], list[Problem]]:
    records, problems = [], []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
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
    """Write ``records`` as corpus JSONL (UTF-8, one record a line)."""
    with path.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r.model_dump(exclude_none=True), ensure_ascii=False) + "\n")
