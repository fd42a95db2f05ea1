import importlib.util
import json
import os
from pathlib import Path

import pytest

OPTIONAL_PARTS = {
    "dask": ("distributed", "the [dask] extra: pip install -e '.[dask]'"),
    "postgres": ("psycopg", "the [postgres] extra: pip install -e '.[postgres]'"),
    "browser": ("playwright", "the [test] extra (Playwright) and Debian's chromium"),
}
"""Marker of an optional part's tests: (the module they need, what to install)."""


def pytest_runtest_setup(item):
    """An optional part's test is skipped, saying what to install, when the part is not
    installed; a PostgreSQL test also when no database is named."""
    for marker, (module, install) in OPTIONAL_PARTS.items():
        if item.get_closest_marker(marker) and importlib.util.find_spec(module) is None:
            pytest.skip(f"{marker}: {module} is not installed; install {install}")
    if item.get_closest_marker("postgres") and not os.environ.get("GRAVEWATCH_TEST_DATABASE_URL"):
        pytest.skip(
            "postgres: GRAVEWATCH_TEST_DATABASE_URL is not set (a PostgreSQL database the tests "
            "may empty, as .ci/run sets)"
        )


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


TEST_MODEL_PARAMS = {"cv": 3}
"""The suite's models cross-validate 3-fold, so that the suite stays fast."""


def suite_records(every: int = 3):
    """The suite's models learn from every third record of the shipped corpus (``every``:
    fewer, for tests that need a model but not a good one)."""
    from training.corpus import read_corpus

    return read_corpus()[::every]


def train_test_model(models_dir: Path, seed: int = 0, every: int = 3):
    """Train and activate a model of the real estimator (``TEST_MODEL_PARAMS``) on
    ``suite_records(every)``: with the defaults, the suite's model."""
    from training.train import train_records

    return train_records(
        suite_records(every), seed=seed, models_dir=models_dir, params=TEST_MODEL_PARAMS
    )


@pytest.fixture(scope="session")
def suite_corpus(tmp_path_factory) -> Path:
    """``suite_records`` as a corpus file: retraining on it without reviews reproduces the
    suite's model, in a fraction of the time the whole corpus takes."""
    from tests.factories import write_corpus

    return write_corpus(tmp_path_factory.mktemp("corpus") / "suite.jsonl", suite_records())


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """A model trained once per test run (``train_test_model``): (models_dir, card, predictor).

    Tests that change the models directory use ``models_copy`` instead."""
    from training.registry import load_predictor

    models = tmp_path_factory.mktemp("models")
    card = train_test_model(models)
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


STORES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
"""The review stores the store tests run on (PostgreSQL: the ``postgres`` marker)."""


def migrated_store_url(kind: str, folder: Path) -> str:
    """An empty, migrated review store: SQLite in ``folder``, or the PostgreSQL database that
    GRAVEWATCH_TEST_DATABASE_URL names (skips the test when it is not set)."""
    from sqlalchemy import create_engine, text

    from service.store.db import upgrade

    if kind == "sqlite":
        url = f"sqlite:///{folder / 'store.db'}"
    else:
        url = os.environ.get("GRAVEWATCH_TEST_DATABASE_URL")
        if not url:
            pytest.skip("GRAVEWATCH_TEST_DATABASE_URL is not set")
        engine = create_engine(url)
        with engine.begin() as conn:
            for table in (
                "jobs",
                "skips",
                "reviews",
                "predictions",
                "documents",
                "api_keys",
                "alembic_version",
            ):
                conn.execute(text(f"DROP TABLE IF EXISTS {table} CASCADE"))
        engine.dispose()
    upgrade(url)
    return url


@pytest.fixture(params=STORES)
def store_url(request, tmp_path) -> str:
    """An empty, migrated review store: SQLite always; PostgreSQL when
    GRAVEWATCH_TEST_DATABASE_URL names one (``.ci/run`` sets it)."""
    return migrated_store_url(request.param, tmp_path)


@pytest.fixture
def store(store_url):
    """The review store on ``store_url``, closed after the test."""
    from service.store.db import Database

    s = Database(store_url)
    yield s
    s.close()


@pytest.fixture
def browser():
    """Debian's Chromium, headless, driven by Playwright (the browser tests)."""
    from tests.browser import CHROMIUM

    playwright = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server():
    """A local HTTP server of test pages and feeds (``tests.servers.Handler``): its base URL."""
    import threading
    from http.server import ThreadingHTTPServer

    from tests.servers import Handler

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
