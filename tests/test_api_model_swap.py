"""The API follows models/ACTIVE: a new model is served without a restart and without failing a
request in flight; a broken or tampered model is refused and the old one keeps serving; a model
has scored a passage before it serves a request."""

import shutil
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from service.active_model import ActiveModel
from service.app import create_app
from service.config import Settings
from tests.conftest import train_test_model
from tests.servers import live_server
from training.registry import load_predictor

TEXT = "Gunmen stormed the boarding school at night and abducted 40 girls aged 11 to 16."


def serving_version(base: str) -> str:
    return httpx.get(f"{base}/readyz").json()["model"]


def wait_for(predicate, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_new_model_is_served_without_failing_requests_in_flight(trained, models_copy):
    old = trained[1].version
    settings = Settings(models_dir=models_copy, model_poll_seconds=0.2)
    with live_server(settings) as base:
        assert serving_version(base) == old
        statuses: list[int] = []
        versions: set[str] = set()
        stop = threading.Event()

        def hammer() -> None:
            with httpx.Client(base_url=base, timeout=30) as client:
                while not stop.is_set():
                    r = client.post("/v1/classify", json={"text": TEXT})
                    statuses.append(r.status_code)
                    if r.status_code == 200:
                        versions.add(r.json()["model"])

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            new = train_test_model(models_copy, seed=1, every=20).version
            assert wait_for(lambda: serving_version(base) == new)
            time.sleep(0.5)
        finally:
            stop.set()
            for t in threads:
                t.join(30)
    assert statuses and set(statuses) == {200}
    assert versions == {old, new}


@pytest.mark.parametrize("damage", ["tampered", "incomplete"])
def test_broken_new_model_is_refused_and_old_keeps_serving(trained, models_copy, damage):
    old = trained[1].version
    bad = "20990101T000000000000Z-bad000"
    shutil.copytree(models_copy / old, models_copy / bad)
    if damage == "tampered":
        model_file = models_copy / bad / "model.joblib"
        model_file.write_bytes(model_file.read_bytes()[:-10] + b"0123456789")
    else:
        (models_copy / bad / "checksums.json").unlink()
    settings = Settings(models_dir=models_copy, model_poll_seconds=0.1)
    with live_server(settings) as base:
        (models_copy / "ACTIVE").write_text(bad + "\n")
        time.sleep(1.0)
        response = httpx.post(f"{base}/v1/classify", json={"text": TEXT})
        assert response.status_code == 200 and response.json()["model"] == old
        assert serving_version(base) == old


class Recording:
    """A predictor that records the passages it scores (``fails``: raises instead)."""

    def __init__(self, predictor, fails: bool = False) -> None:
        self.predictor, self.fails, self.scored = predictor, fails, []

    @property
    def version(self) -> str:
        return self.predictor.version

    def predict(self, texts, ids=None):
        if self.fails:
            raise RuntimeError("this model cannot score")
        self.scored.append(list(texts))
        return self.predictor.predict(texts, ids)


def test_a_worker_scores_a_passage_with_its_model_before_it_takes_a_request(trained, monkeypatch):
    """The model's lazy set-up (the language identifier, the vectoriser's tables: 1.5 s) is done
    at start-up, not in the first request (/readyz took 1.5-2 s in each new worker)."""
    loaded: list[Recording] = []

    def load_and_record(*args, **kwargs):
        predictor, card = load_predictor(*args, **kwargs)
        loaded.append(Recording(predictor))
        return loaded[-1], card

    monkeypatch.setattr("service.active_model.load_predictor", load_and_record)
    with TestClient(create_app(Settings(models_dir=trained[0]))):
        (predictor,) = loaded
        assert len(predictor.scored) == 1  # before any request


def test_a_new_model_that_cannot_score_a_passage_is_refused_and_the_old_one_keeps_serving(
    trained, models_copy, monkeypatch
):
    old = trained[1].version
    bad = "20990101T000000000000Z-bad000"
    shutil.copytree(models_copy / old, models_copy / bad)

    def load(version, models_dir):
        predictor, card = load_predictor(version, models_dir)
        return Recording(predictor, fails=version == bad), card

    monkeypatch.setattr("service.active_model.load_predictor", load)
    active = ActiveModel(models_copy)
    assert active.refresh()
    (models_copy / "ACTIVE").write_text(bad + "\n")
    assert not active.refresh()
    assert active.current.predictor.version == old
    assert active.last_error == (
        f"model {bad} cannot score a passage (RuntimeError: this model cannot score): "
        "it is refused; train or promote another"
    )
