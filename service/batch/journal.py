"""The checkpoint that makes a batch job resumable and exactly-once.

Beside ``OUT`` lives ``OUT.journal`` (SQLite). After each batch the job appends its lines to
``OUT`` and ``OUT.errors.jsonl``, flushes and fsyncs them, and only then commits, in one
transaction: how many input records are done, the two files' sizes, the running totals and the
batch's first documents (for duplicate detection). A run that finds a journal truncates both
files to the committed sizes (dropping any half-written or uncommitted line), skips the records
already done and goes on. A crash at any point therefore loses nothing and repeats nothing.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from service.batch.dedup import DuplicateIndex


class JournalError(Exception):
    """The output belongs to another job, or cannot be resumed; the message says what to do."""


@dataclass
class Progress:
    """What a job has committed so far (zero for a new job)."""

    records_done: int = 0
    out_size: int = 0
    errors_size: int = 0
    complete: bool = False
    totals: dict = field(default_factory=dict)


def journal_path(out: Path) -> Path:
    return out.with_name(out.name + ".journal")


def errors_path(out: Path) -> Path:
    return out.with_name(out.name + ".errors.jsonl")


def stored_model(out: Path) -> str | None:
    """The model version an unfinished job on ``out`` was started with (None: no journal)."""
    path = journal_path(out)
    if not path.exists():
        return None
    db = sqlite3.connect(path)
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'job'").fetchone()
    finally:
        db.close()
    return json.loads(row[0]).get("model") if row else None


class Journal:
    def __init__(self, out: Path, job: dict) -> None:
        """Open (or create) the journal of the job writing ``out``. ``job`` describes the job
        (sources, options, model); resuming with a different description is refused."""
        self.out = out
        path = journal_path(out)
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
            raise JournalError(
                f"{out} belongs to another job ({_describe(stored)}); to start a new job, "
                "choose another output path or delete it and its .journal"
            )
        self.progress = Progress(**self._meta("progress"))

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

    def restore_files(self) -> None:
        """Cut ``OUT`` and the errors file back to their committed sizes."""
        for path, size in (
            (self.out, self.progress.out_size),
            (errors_path(self.out), self.progress.errors_size),
        ):
            if path.exists():
                if path.stat().st_size < size:
                    raise JournalError(
                        f"{path} is shorter than its journal records ({size} bytes): it was "
                        "changed outside gravewatch; delete it and its .journal to start again"
                    )
                with path.open("r+b") as fh:
                    fh.truncate(size)
            elif size:
                raise JournalError(f"{path} is missing; delete {journal_path(self.out)} to restart")

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


def _describe(job: dict) -> str:
    return f"sources {', '.join(job.get('sources', []))}, model {job.get('model')}"


def fsync(fh) -> None:
    fh.flush()
    os.fsync(fh.fileno())
