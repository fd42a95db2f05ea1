"""Batch scoring of JSONL files."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from training.predict import Predictor


@dataclass
class ScoreStats:
    scored: int = 0
    rejected: list[str] = field(default_factory=list)


def _lines(source: Path) -> Iterator[tuple[int, bytes]]:
    if str(source) == "-":
        yield from enumerate(sys.stdin.buffer, 1)
        return
    with source.open("rb") as fh:
        yield from enumerate(fh, 1)


def _parse(n: int, raw: bytes) -> tuple[str, str] | str:
    """``(id, text)`` or a problem message for line ``n``."""
    try:
        obj = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return f"{n}: not valid UTF-8"
    except json.JSONDecodeError as e:
        return f"{n}: invalid JSON: {e.msg}"
    if not isinstance(obj, dict):
        return f"{n}: expected a JSON object with id and text"
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        return f'{n}: missing or empty "text"'
    doc_id = obj.get("id")
    return (str(doc_id) if doc_id is not None else str(n)), text


def score_jsonl(predictor: Predictor, source: Path, output: Path, batch_size: int) -> ScoreStats:
    """Score ``source`` into ``output`` (written under a temporary name, then renamed)."""
    stats = ScoreStats()
    tmp = output.with_name(output.name + ".partial")
    output.parent.mkdir(parents=True, exist_ok=True)
    with tmp.open("w", encoding="utf-8") as out:
        batch: list[tuple[str, str]] = []

        def flush() -> None:
            preds = predictor.predict([t for _, t in batch], [i for i, _ in batch])
            out.writelines(p.model_dump_json() + "\n" for p in preds)
            stats.scored += len(batch)
            batch.clear()

        for n, raw in _lines(source):
            if not raw.strip():
                continue
            parsed = _parse(n, raw)
            if isinstance(parsed, str):
                stats.rejected.append(parsed)
                continue
            batch.append(parsed)
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
    tmp.replace(output)
    return stats
