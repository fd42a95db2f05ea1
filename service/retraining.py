"""Retraining jobs: one at a time, run in a separate process so that classification never
waits for them; their state lives in the store (``GET /v1/jobs/{id}``).

A job is ``queued`` when created, ``running`` while it trains, then ``succeeded`` (the
candidate was promoted), ``rejected`` (the gate kept the active model) or ``failed``. A job
whose process died is marked failed when the service or the CLI next starts. The model files
are written under a temporary name and renamed when complete, and only ``set_active`` switches
models, so a crash never leaves a half-written model to load.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service.config import Settings
from service.store.export import review_record
from service.store.repository import StoreError, now, training_reviews
from service.store.service import Store
from service.store.tables import JobRow
from training.retrain import retrain
from training.schemas import Record

ACTIVE_STATES = ("queued", "running")


class JobConflict(StoreError):
    status = 409


def _runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def start_job(store: Store, requested_by: str, force: bool) -> JobRow:
    """A new queued retraining job, or JobConflict naming the one already running."""
    try:
        with store.sessions.begin() as session:
            job = JobRow(
                kind="retrain",
                state="queued",
                stage="queued",
                progress=0.0,
                requested_by=requested_by,
                force=force,
                running=1,
                created_at=now(),
                updated_at=now(),
            )
            session.add(job)
            session.flush()
            return job
    except IntegrityError:
        with store.sessions() as session:
            running = session.scalar(select(JobRow).where(JobRow.running == 1))
        which = f"job {running.id}" if running else "another job"
        raise JobConflict(
            "retrain_running", f"a retraining is already under way: {which}"
        ) from None


def _update(store: Store, job_id: int, **values) -> None:
    with store.sessions.begin() as session:
        job = session.get(JobRow, job_id)
        for key, value in values.items():
            setattr(job, key, value)
        job.updated_at = now()


def reviewed_records(store: Store) -> list[Record]:
    with store.sessions() as session:
        return [Record.model_validate(review_record(d, r)) for d, r in training_reviews(session)]


def run_job(store: Store, settings: Settings, job_id: int) -> JobRow:
    """Run a queued job to its end; the finished row."""
    with store.sessions() as session:
        job = session.get(JobRow, job_id)
        if job is None or job.state != "queued":
            raise StoreError("job_not_queued", f"job {job_id} is not waiting to run")
        force_by = job.requested_by if job.force else None
    _update(
        store, job_id, state="running", stage="reading reviews", progress=0.05, runner=_runner()
    )
    try:
        comparison = retrain(
            reviewed_records(store),
            settings.models_dir,
            macro_tolerance=settings.retrain_macro_tolerance,
            label_tolerance=settings.retrain_label_tolerance,
            force_by=force_by,
            by=f"job {job_id} ({job.requested_by})",
            progress=lambda stage, fraction: _update(store, job_id, stage=stage, progress=fraction),
        )
    except Exception as e:  # noqa: BLE001 - any failure ends the job, recorded for the caller
        _update(store, job_id, state="failed", error=f"{type(e).__name__}: {e}", running=None)
        raise
    _update(
        store,
        job_id,
        state="succeeded" if comparison.promoted else "rejected",
        stage="done",
        progress=1.0,
        result=comparison.model_dump(mode="json"),
        running=None,
    )
    with store.sessions() as session:
        return session.get(JobRow, job_id)


def launch(settings: Settings, job_id: int) -> subprocess.Popen:
    """Run the job in a new process (``gravewatch retrain --job``) with this service's
    settings."""
    env = {
        **os.environ,
        "GRAVEWATCH_MODELS_DIR": str(settings.models_dir),
        "GRAVEWATCH_DATA_DIR": str(settings.data_dir),
        "GRAVEWATCH_REPORTS_DIR": str(settings.reports_dir),
        "GRAVEWATCH_RETRAIN_MACRO_TOLERANCE": str(settings.retrain_macro_tolerance),
        "GRAVEWATCH_RETRAIN_LABEL_TOLERANCE": str(settings.retrain_label_tolerance),
    }
    if settings.database_url:
        env["GRAVEWATCH_DATABASE_URL"] = settings.database_url
    return subprocess.Popen(
        # -P: the installed Gravewatch, never a `service` folder in the working directory,
        # which the child shares with this process so that relative settings mean the same.
        [sys.executable, "-P", "-m", "service.cli", "retrain", "--job", str(job_id)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def fail_interrupted(store: Store, never_started_after: timedelta = timedelta(minutes=5)) -> int:
    """Mark failed the jobs of this host whose process is gone, and jobs queued for longer than
    ``never_started_after`` that no process took; how many."""
    host = socket.gethostname()
    count = 0
    with store.sessions.begin() as session:
        for job in session.scalars(select(JobRow).where(JobRow.state.in_(ACTIVE_STATES))):
            runner_host, _, pid = (job.runner or "").partition(":")
            dead = job.runner and runner_host == host and not _alive(int(pid))
            created = (
                job.created_at if job.created_at.tzinfo else job.created_at.replace(tzinfo=UTC)
            )
            stuck = job.runner is None and now() - created > never_started_after
            if dead or stuck:
                job.state, job.running = "failed", None
                job.error = "interrupted: the process running it stopped"
                job.updated_at = now()
                count += 1
    return count


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
