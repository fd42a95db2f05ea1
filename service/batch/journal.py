"""The checkpoint that makes a batch job resumable and exactly-once.

Beside ``OUT`` lives ``OUT.journal`` (SQLite). After each batch the job appends its lines to
``OUT`` and ``OUT.errors.jsonl``, flushes and fsyncs them, and only then commits, in one
transaction: how many input records are done, the two files' sizes, the hash of ``OUT`` so far,
the running totals and the batch's first documents (for duplicate detection). A run that finds a
journal checks that ``OUT`` still holds what was committed (its size and hash), truncates both
files to the committed sizes (dropping any half-written or uncommitted line), skips the records
already done and goes on. A crash at any point therefore loses nothing and repeats nothing.

The journal also keeps the job's settings and the hash of every input (``snapshot``): a run
with other settings, or on inputs that changed, is refused with a message that says what
differs; ``--restart`` removes the job's files and starts a new job.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from service.batch.dedup import DuplicateIndex
from service.batch.lock import lock_path
from service.batch.snapshot import changes
from training.errors import Conflict


class JournalError(Conflict):
    """The output belongs to another job, or cannot be resumed; the message says what to do."""


# the job's settings as the command line names them
SETTINGS = {
    "sources": "sources",
    "format": "--format",
    "input_format": "--input-format",
    "text_column": "--text-column",
    "id_column": "--id-column",
    "title_column": "--title-column",
    "url_column": "--url-column",
    "published_column": "--published-column",
    "model": "--model",
}
START_OVER = "rerun with --restart, or choose another -o"
"""How to leave a job's output as it is and score anew (the end of the messages that refuse to
resume a job)."""


@dataclass
class Progress:
    """What a job has committed so far (zero for a new job)."""

    records_done: int = 0
    out_size: int = 0
    errors_size: int = 0
    complete: bool = False
    totals: dict = field(default_factory=dict)
    out_sha256: str = ""  # of OUT's first out_size bytes ("" in journals older than the hash)


def journal_path(out: Path) -> Path:
    return out.with_name(out.name + ".journal")


def errors_path(out: Path) -> Path:
    return out.with_name(out.name + ".errors.jsonl")


def sources_dir(out: Path) -> Path:
    """Copies of URL sources and standard input, so that a resumed job reads the same."""
    return out.with_name(out.name + ".sources")


def job_files(out: Path) -> list[Path]:
    """Every file and folder the job on ``out`` writes: ``OUT``, its errors file, the journal
    (and the rollback file SQLite keeps beside it during a commit), the lock and the copies of
    sources. A directory the job reads leaves them out, so that its output is not an input."""
    journal = journal_path(out)
    return [
        out,
        errors_path(out),
        journal,
        journal.with_name(journal.name + "-journal"),
        lock_path(out),
        sources_dir(out),
    ]


def stored_model(out: Path) -> str | None:
    """The model version an unfinished job on ``out`` was started with (None: no journal)."""
    job = _stored(out, "job")
    return job.get("model") if job else None


def written_documents(out: Path) -> int | None:
    """How many documents the job on ``out`` has written as of its last checkpoint, the lines a
    rerun keeps (None: no journal)."""
    progress = _stored(out, "progress")
    return progress["totals"].get("documents", 0) if progress else None


def _stored(out: Path, key: str):
    """The journal's ``key`` entry of the job on ``out``, without opening it for writing."""
    path = journal_path(out)
    if not path.exists():
        return None
    db = sqlite3.connect(path)
    try:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    finally:
        db.close()
    return json.loads(row[0]) if row else None


class Journal:
    def __init__(self, out: Path, job: dict, restart: bool = False) -> None:
        """Open (or create) the journal of the job writing ``out``. ``job`` describes the job
        (``SETTINGS``); resuming with a different description is refused. ``restart`` first
        removes the files of the job on ``out``, if there is one."""
        self.out = out
        path = journal_path(out)
        if restart and path.exists():
            for name in (out, errors_path(out), path):
                name.unlink(missing_ok=True)
            shutil.rmtree(sources_dir(out), ignore_errors=True)
        exists = path.exists()
        if not exists and (out.exists() and out.stat().st_size > 0):
            raise JournalError(
                f"{out} exists and was not written by a gravewatch job that can be resumed; "
                "choose another output path or delete the file"
            )
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=DELETE")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(
            """
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS firsts (
                slot INTEGER PRIMARY KEY, id TEXT NOT NULL, hash TEXT NOT NULL, sig BLOB NOT NULL
            );
            """
        )
        stored = self._meta("job")
        if stored is None:
            self._set_meta({"job": job, "progress": Progress().__dict__})
        elif stored != job:
            self.db.close()
            raise JournalError(_mismatch(out, stored, job))
        self.progress = Progress(**self._meta("progress"))

    def check_inputs(self, now: dict[str, str]) -> None:
        """Record the inputs' hashes when the job begins; later, refuse inputs that changed."""
        recorded = self._meta("inputs")
        if recorded is None:
            self._set_meta({"inputs": now})
            return
        changed = changes(recorded, now, f"since the job on {self.out} began")
        if changed:
            it = "it" if len(changed) == 1 else "them"
            raise JournalError(
                f"{'; '.join(changed)}; nothing was scored. To score {it}, start a new job: "
                + START_OVER
            )

    def _meta(self, key: str):
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def _set_meta(self, values: dict) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        for key, value in values.items():
            self.db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value))
            )
        self.db.execute("COMMIT")

    def restore_files(self):
        """Check that ``OUT`` holds what was committed (size and hash), cut it and the errors
        file back to their committed sizes, and return the running SHA-256 of ``OUT``."""
        size, out = self.progress.out_size, self.out
        digest = hashlib.sha256()
        if not out.exists():
            if size:
                raise JournalError(
                    f"{out} is missing, but the job had written {size} bytes to it; to score "
                    f"again, {START_OVER}"
                )
        else:
            actual = out.stat().st_size
            if actual < size:
                raise JournalError(
                    f"{out} has {actual} bytes, but the job had written {size} bytes to it; to "
                    f"score again, {START_OVER}"
                )
            with out.open("r+b") as fh:
                left = size
                while left and (chunk := fh.read(min(left, 1 << 20))):
                    digest.update(chunk)
                    left -= len(chunk)
                if self.progress.out_sha256 and digest.hexdigest() != self.progress.out_sha256:
                    raise JournalError(
                        f"{out} was changed outside gravewatch (its first {size} bytes differ "
                        "from what the job wrote); rerun with --restart to score again, or "
                        "choose another -o"
                    )
                fh.truncate(size)
        errors, size = errors_path(out), self.progress.errors_size
        if errors.exists():
            if errors.stat().st_size < size:
                raise JournalError(
                    f"{errors} is shorter than its journal records ({size} bytes): it was "
                    f"changed outside gravewatch; to score again, {START_OVER}"
                )
            with errors.open("r+b") as fh:
                fh.truncate(size)
        elif size:
            raise JournalError(f"{errors} is missing; to score again, {START_OVER}")
        return digest

    def load_index(self, index: DuplicateIndex) -> None:
        for doc_id, digest, sig in self.db.execute(
            "SELECT id, hash, sig FROM firsts ORDER BY slot"
        ):
            index.add(doc_id, digest, sig)

    def commit(self, progress: Progress, firsts: Iterable[tuple[str, str, bytes]]) -> None:
        """Record a batch whose output is already flushed and fsynced."""
        self.db.execute("BEGIN IMMEDIATE")
        self.db.executemany("INSERT INTO firsts (id, hash, sig) VALUES (?, ?, ?)", firsts)
        self.db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('progress', ?)",
            (json.dumps(progress.__dict__),),
        )
        self.db.execute("COMMIT")
        self.progress = progress

    def close(self) -> None:
        self.db.close()


def _mismatch(out: Path, stored: dict, job: dict) -> str:
    """Which settings differ from the job's, and how to go on."""

    def shown(key: str, value) -> str:
        if key == "sources":
            return f"sources {', '.join(value or [])}"
        return f"{SETTINGS.get(key, key)} {value}"

    keys = [k for k in {**stored, **job} if stored.get(k) != job.get(k)]
    was = ", ".join(shown(k, stored.get(k)) for k in keys)
    now = ", ".join(shown(k, job.get(k)) for k in keys)
    return (
        f"{out} belongs to a job started with {was}; this run gives {now}. Rerun with the "
        "job's settings to resume it, --restart to start a new job on it, or choose another -o"
    )


def fsync(fh) -> None:
    fh.flush()
    os.fsync(fh.fileno())
