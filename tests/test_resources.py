"""Shipped files are found through the packages (importlib.resources), and a checkout keeps its
models and data in the checkout (tests/test_wheel.py runs the installed wheel)."""

from pathlib import Path

from service.config import Settings
from service.routes.web import WEB
from service.store.db import MIGRATIONS
from training.corpus import CORPUS_DIR
from training.resources import default_home, packaged
from training.taxonomy import TAXONOMY_PATH, load_taxonomy

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_files_are_the_checkouts():
    assert packaged("training", "labels") == ROOT / "labels"
    assert TAXONOMY_PATH == ROOT / "labels" / "taxonomy.toml"
    assert load_taxonomy().labels[0].id == "killing_maiming"
    assert CORPUS_DIR == ROOT / "labels" / "corpus" and any(CORPUS_DIR.glob("*.jsonl"))
    assert WEB == ROOT / "service" / "web" and (WEB / "review.html").is_file()
    assert MIGRATIONS == ROOT / "service" / "store" / "migrations"
    assert (MIGRATIONS / "env.py").is_file()


def test_a_checkout_keeps_models_data_and_reports_in_the_checkout(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("MODELS_DIR", "DATA_DIR", "REPORTS_DIR"):
        monkeypatch.delenv(f"GRAVEWATCH_{name}", raising=False)
    assert default_home() == ROOT
    settings = Settings()
    assert (settings.models_dir, settings.data_dir, settings.reports_dir) == (
        ROOT / "models",
        ROOT / "data",
        ROOT / "reports",
    )
