"""Retraining jobs over the API: one at a time, in another process, classification unaffected;
a job whose process died is marked failed at the next start."""

import json
import socket
import time
from datetime import timedelta

from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.store import repository as repo
from service.store.db import Database, upgrade
from service.store.tables import JobRow
from tests.conftest import suite_records
from tests.factories import write_corpus
from training.registry import active_version


def setup_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    store = Database(url)
    with store.sessions.begin() as session:
        admin = {"Authorization": f"Bearer {repo.create_key(session, 'ops', 'admin')}"}
    return url, store, admin


def test_retrain_job_runs_once_at_a_time_without_blocking_classification(
    models_copy, suite_corpus, tmp_path
):
    url, store, admin = setup_store(tmp_path)
    before = active_version(models_copy)
    settings = Settings(
        models_dir=models_copy, database_url=url, data_dir=tmp_path, corpus_dir=suite_corpus
    )
    with TestClient(create_app(settings)) as client:
        started = client.post("/v1/models/retrain", json={}, headers=admin)
        assert started.status_code == 202, started.text
        job_id = started.json()["id"]
        second = client.post("/v1/models/retrain", json={}, headers=admin)
        assert second.status_code == 409 and f"job {job_id}" in second.json()["error"]["message"]

        # a real retraining on the suite's corpus (GRAVEWATCH_CORPUS_DIR, passed on to the
        # job's process) with the suite's parameters: about a minute alone on 2 cores, far more
        # on a shared machine; the test is about the job's behaviour, so its deadline is
        # generous
        deadline = time.monotonic() + 900
        while True:
            job = client.get(f"/v1/jobs/{job_id}", headers=admin).json()
            assert (
                client.post("/v1/classify", json={"text": "Markets reopened."}).status_code == 200
            )
            if job["state"] in ("succeeded", "rejected", "failed"):
                break
            assert time.monotonic() < deadline, job
            time.sleep(1)
    assert job["state"] == "succeeded", job
    assert job["result"]["active"] == before and job["result"]["promoted"]
    assert active_version(models_copy) == job["result"]["candidate"] != before
    card = json.loads((models_copy / job["result"]["candidate"] / "card.json").read_text())
    assert card["corpus"]["files"] == [str(suite_corpus)]
    store.close()


def test_interrupted_jobs_are_marked_failed_at_the_next_start(models_copy, tmp_path):
    url, store, admin = setup_store(tmp_path)
    with store.sessions.begin() as session:
        gone = JobRow(
            kind="retrain",
            state="running",
            stage="training",
            progress=0.3,
            requested_by="x",
            force=False,
            running=1,
            runner=f"{socket.gethostname()}:999999",
            created_at=repo.now(),
            updated_at=repo.now(),
        )
        session.add(gone)
        session.flush()
        gone_id = gone.id
    settings = Settings(models_dir=models_copy, database_url=url, data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        job = client.get(f"/v1/jobs/{gone_id}", headers=admin).json()
        assert job["state"] == "failed" and "interrupted" in job["error"]
        assert client.get("/v1/jobs/12345", headers=admin).status_code == 404
    with store.sessions.begin() as session:
        stale = JobRow(
            kind="retrain",
            state="queued",
            stage="queued",
            progress=0.0,
            requested_by="x",
            force=False,
            running=1,
            created_at=repo.now() - timedelta(hours=1),
            updated_at=repo.now(),
        )
        session.add(stale)
    from service.retraining import fail_interrupted

    assert fail_interrupted(store) == 1
    store.close()


def test_killed_retraining_leaves_the_active_model_and_fails_the_job(models_copy, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    url, store, admin = setup_store(tmp_path)
    before = active_version(models_copy)
    env = {
        **os.environ,
        "GRAVEWATCH_MODELS_DIR": str(models_copy),
        "GRAVEWATCH_DATABASE_URL": url,
        "GRAVEWATCH_DATA_DIR": str(tmp_path),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "retrain"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        with store.sessions() as session:
            job = session.query(JobRow).first()
            if job is not None and job.state == "running" and job.stage == "training":
                break
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.2)
    time.sleep(2)  # well into the fit
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    settings = Settings(models_dir=models_copy, database_url=url, data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        assert client.get(f"/v1/jobs/{job.id}", headers=admin).json()["state"] == "failed"
        assert client.get("/readyz").json()["model"] == before
    assert active_version(models_copy) == before
    store.close()


def test_force_promotes_despite_the_gate_and_records_who(models_copy, tmp_path, monkeypatch):
    import training.retrain as retrain_module
    from training.registry import activations

    monkeypatch.setattr(retrain_module, "gate", lambda *a: ["pretend the gate refused"])
    small = write_corpus(tmp_path / "small.jsonl", suite_records(every=20))
    result = retrain_module.retrain([], models_copy, corpus=[small], force_by="cli:alice")
    assert result.promoted and result.forced_by == "cli:alice"
    assert active_version(models_copy) == result.candidate
    assert activations(models_copy)[-1]["by"] == "cli:alice"


def wait_for_end(client, admin, job_id, seconds=120) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        job = client.get(f"/v1/jobs/{job_id}", headers=admin).json()
        if job["state"] in ("succeeded", "rejected", "failed"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.5)


def test_a_failed_job_shows_the_last_lines_of_its_process(models_copy, tmp_path):
    """A review stored with a label the taxonomy does not have makes the retraining process
    fail with a traceback: the job's log keeps it and the API shows its end."""
    from service.store.tables import DocumentRow, ReviewRow

    url, store, admin = setup_store(tmp_path)
    with store.sessions.begin() as session:
        session.add(
            DocumentRow(
                id="doc_bad",
                content_hash="0" * 64,
                text="Shelling hit a school.",
                created_at=repo.now(),
            )
        )
        session.add(
            ReviewRow(
                document_id="doc_bad",
                reviewer="ops",
                created_at=repo.now(),
                labels=["no_such_violation"],
                evidence=[],
                comment="",
            )
        )
    before = active_version(models_copy)
    settings = Settings(models_dir=models_copy, database_url=url, data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        job_id = client.post("/v1/models/retrain", json={}, headers=admin).json()["id"]
        job = wait_for_end(client, admin, job_id)
    assert job["state"] == "failed", job
    assert "no_such_violation" in job["error"]
    assert 1 <= len(job["log"]) <= 40
    tail = "\n".join(job["log"])
    assert "Traceback" in tail and "ValidationError" in tail and "no_such_violation" in tail
    assert (tmp_path / "jobs" / f"{job_id}.log").is_file()
    assert active_version(models_copy) == before
    store.close()


def test_a_process_that_dies_before_its_job_starts_fails_the_job_with_its_output(
    models_copy, tmp_path, monkeypatch
):
    """The process refuses an invalid setting before it touches the job: the job does not stay
    queued (blocking every later retraining) but fails at once, showing the process's error."""
    url, store, admin = setup_store(tmp_path)
    settings = Settings(models_dir=models_copy, database_url=url, data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        monkeypatch.setenv("GRAVEWATCH_SCORE_BATCH_SIZE", "none")  # read by the new process
        job_id = client.post("/v1/models/retrain", json={}, headers=admin).json()["id"]
        job = wait_for_end(client, admin, job_id, seconds=60)
        assert job["state"] == "failed" and "exited with status 2" in job["error"]
        assert any("GRAVEWATCH_SCORE_BATCH_SIZE" in line for line in job["log"]), job["log"]
    with store.sessions() as session:
        assert session.get(JobRow, job_id).running is None  # a new retraining may start
    store.close()


def test_a_job_that_cannot_start_fails_with_a_clear_503(models_copy, tmp_path):
    url, store, admin = setup_store(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    (data / "jobs").write_text("a file where the jobs' log folder should be")
    settings = Settings(models_dir=models_copy, database_url=url, data_dir=data)
    with TestClient(create_app(settings)) as client:
        refused = client.post("/v1/models/retrain", json={}, headers=admin)
        assert refused.status_code == 503, refused.text
        error = refused.json()["error"]
        assert error["code"] == "retrain_unavailable" and "GRAVEWATCH_DATA_DIR" in error["message"]
    with store.sessions() as session:
        (job,) = session.query(JobRow).all()
        assert job.state == "failed" and job.running is None
        assert "cannot start the retraining process" in job.error
    store.close()
