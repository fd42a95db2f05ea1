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


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """A model trained once per test run on the shipped corpus: (models_dir, card, predictor).

    Tests that change the models directory use ``models_copy`` instead."""
    from training.registry import load_predictor
    from training.train import train

    models = tmp_path_factory.mktemp("models")
    card = train(seed=0, models_dir=models)
    predictor, _ = load_predictor(models_dir=models)
    return models, card, predictor


@pytest.fixture
def models_copy(trained, tmp_path) -> Path:
    """A private copy of the trained models directory."""
    import shutil

    copy = tmp_path / "models"
    shutil.copytree(trained[0], copy)
    return copy


@pytest.fixture(autouse=True)
def _fresh_settings():
    """Settings are read from the environment anew in every test."""
    from service.config import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


STORES = ["sqlite", "postgresql"]


@pytest.fixture(params=STORES)
def store_url(request, tmp_path) -> str:
    """An empty, migrated review store: SQLite always; PostgreSQL when
    GRAVEWATCH_TEST_DATABASE_URL names one (``.ci/run`` sets it)."""
    import os

    from sqlalchemy import create_engine, text

    from service.store.db import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = os.environ.get("GRAVEWATCH_TEST_DATABASE_URL")
        if not url:
            pytest.skip("GRAVEWATCH_TEST_DATABASE_URL is not set")
        engine = create_engine(url)
        with engine.begin() as conn:
            for table in ("jobs", "reviews", "predictions", "documents", "api_keys",
                          "alembic_version"):
                conn.execute(text(f"DROP TABLE IF EXISTS {table} CASCADE"))
        engine.dispose()
    upgrade(url)
    return url
