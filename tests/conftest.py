import json
from pathlib import Path

import pytest


def make_record(**overrides) -> dict:
    record = {
        "id": "t-1",
        "text": "On 3 May, shelling hit a school in Kharkiv, killing two pupils.",
        "labels": ["killing_maiming", "attacks_schools_hospitals"],
        "evidence": [
            {"label": "attacks_schools_hospitals", "start": 10, "end": 41},
            {"label": "killing_maiming", "start": 10, "end": 62},
        ],
        "source": "test",
        "style": "news_wire",
        "region": "Ukraine",
        "negative_type": None,
    }
    record.update(overrides)
    return record


@pytest.fixture
def write_jsonl(tmp_path: Path):
    def write(lines, name="part.jsonl") -> Path:
        path = tmp_path / name
        path.write_text(
            "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines),
            encoding="utf-8",
        )
        return path

    return write
