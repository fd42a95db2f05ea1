"""The API follows models/ACTIVE: a new model is served without a restart and without failing a
request in flight; a broken or tampered model is refused and the old one keeps serving."""

import shutil
import threading
import time

import httpx
import pytest

from service.config import Settings
from tests.conftest import train_test_model
from tests.servers import live_server

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
