"""Retraining jobs: one at a time, run in a separate process so that classification never
waits for them; their state lives in the store (``GET /v1/jobs/{id}``).

A job is ``queued`` when created, ``running`` while it trains, then ``succeeded`` (the
candidate was promoted), ``rejected`` (the gate kept the active model) or ``failed``. A job
whose process died is marked failed when the service or the CLI next starts; a job the API
launched is also marked failed as soon as its process exits without finishing it. The process's
output (standard output and error) goes to ``<data dir>/jobs/<id>.log``, whose last lines
``GET /v1/jobs/{id}`` shows when the job failed. The model files
are written under a temporary name and renamed when complete, and only ``set_active`` switches
models, so a crash never leaves a half-written model to load.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
from datetime import UTC, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service.config import Settings
from service.store.db import Database
from service.store.export import review_record
from service.store.repository import now, training_reviews
from service.store.tables import JobRow
from training.errors import Conflict
from training.retrain import retrain
from training.schemas import Record

ACTIVE_STATES = ("queued", "running")
LOG_TAIL_LINES = 40
"""How many of a failed job's last output lines ``GET /v1/jobs/{id}`` shows."""
_TAIL_BYTES = 64 * 1024
_LONGEST_LINE = 2000

log = logging.getLogger(__name__)


def _runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def start_job(store: Database, requested_by: str, force: bool) -> JobRow:
    """A new queued retraining job, or Conflict naming the one already running."""
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
        raise Conflict(
            f"a retraining is already under way: {which}; wait for it (GET /v1/jobs/ID) and "
            "try again",
            code="retrain_running",
        ) from None


def _update(store: Database, job_id: int, **values) -> None:
    with store.sessions.begin() as session:
        job = session.get(JobRow, job_id)
        for key, value in values.items():
            setattr(job, key, value)
        job.updated_at = now()


def reviewed_records(store: Database, double_review: bool = False) -> list[Record]:
    """The settled review of every document (``training_reviews``): in double review, only
    documents two reviewers agree on or an admin has adjudicated."""
    needed = 2 if double_review else 1
    with store.sessions() as session:
        return [
            Record.model_validate(review_record(d, r)) for d, r in training_reviews(session, needed)
        ]


def run_retrain_job(store: Database, settings: Settings, job_id: int) -> JobRow:
    """Run a queued job to its end; the finished row."""
    with store.sessions() as session:
        job = session.get(JobRow, job_id)
        if job is None or job.state != "queued":
            raise Conflict(
                f"job {job_id} is not waiting to run: start a new one", code="job_not_queued"
            )
        force_by = job.requested_by if job.force else None
    _update(
        store, job_id, state="running", stage="reading reviews", progress=0.05, runner=_runner()
    )
    try:
        comparison = retrain(
            reviewed_records(store, settings.double_review),
            settings.models_dir,
            corpus=[settings.corpus_dir] if settings.corpus_dir else None,
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


def fail_job(store: Database, job_id: int, error: str) -> None:
    """Mark a job that could not run failed, so that it no longer blocks the next one."""
    _update(store, job_id, state="failed", error=error, running=None)


def job_log_path(settings: Settings, job_id: int) -> Path:
    """Where the output of the process that runs job ``job_id`` is kept."""
    return Path(settings.data_dir).resolve() / "jobs" / f"{job_id}.log"


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> list[str] | None:
    """The last ``lines`` lines of a job's log (each cut at 2,000 characters); None when the
    job kept no log (it ran in the foreground, or on another host)."""
    try:
        with path.open("rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - _TAIL_BYTES))
            data = fh.read()
    except OSError:
        return None
    out = data.decode("utf-8", errors="replace").splitlines()
    if size > _TAIL_BYTES:
        out = out[1:]  # the first line read may be the end of a longer one
    return [line[:_LONGEST_LINE] for line in out[-lines:]]


def launch(settings: Settings, job_id: int, store: Database | None = None) -> subprocess.Popen:
    """Run the job in a new process (``gravewatch retrain --job``) with this service's
    settings, its output appended to ``job_log_path``. With ``store``, a thread waits for the
    process and marks the job failed if it exits without finishing it."""
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
    if settings.corpus_dir:
        env["GRAVEWATCH_CORPUS_DIR"] = str(settings.corpus_dir)
    path = job_log_path(settings, job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as output:
        process = subprocess.Popen(
            # -P: the installed Gravewatch, never a `service` folder in the working directory,
            # which the child shares with this process so that relative settings mean the same.
            [sys.executable, "-P", "-m", "service.cli", "retrain", "--job", str(job_id)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    if store is not None:
        threading.Thread(
            target=_watch, args=(store, job_id, process, path), daemon=True, name=f"job-{job_id}"
        ).start()
    return process


def _watch(store: Database, job_id: int, process: subprocess.Popen, path: Path) -> None:
    """Wait for the job's process; if it exits while the job is still queued or running (it
    failed before it could record why, or was killed), mark the job failed."""
    status = process.wait()
    try:
        with store.sessions.begin() as session:
            job = session.get(JobRow, job_id)
            if job is not None and job.state in ACTIVE_STATES:
                job.state, job.running, job.updated_at = "failed", None, now()
                job.error = (
                    f"the retraining process exited with status {status} before finishing the "
                    f"job; its last lines are in the job's log ({path})"
                )
    except Exception:  # noqa: BLE001 - the service may be shutting down; the next start marks it
        log.warning("could not record the end of job %s", job_id, exc_info=True)


def fail_interrupted(store: Database, never_started_after: timedelta = timedelta(minutes=5)) -> int:
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
