"""A batch scoring job: read, score, deduplicate, write, checkpoint; and its summary."""

from __future__ import annotations

import json
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from service.batch import output, snapshot
from service.batch.dedup import DuplicateIndex
from service.batch.documents import Document, Rejected, Warned
from service.batch.engines import (
    DaskEngine,
    Engine,
    InProcessEngine,
    ProcessPoolEngine,
    Scored,
)
from service.batch.fetch import Fetcher
from service.batch.journal import (
    START_OVER,
    Journal,
    JournalError,
    Progress,
    errors_path,
    fsync,
    job_files,
    sources_dir,
    stored_model,
)
from service.batch.lock import OutputLock
from service.batch.sources import SourceOptions, column_names, expand_sources, read_inputs
from service.config import setting_default
from training.errors import Unavailable
from training.registry import list_versions, load_predictor, no_such_version
from training.schemas import LABELS


@dataclass
class JobOptions:
    sources: list[str]
    output: Path
    format: output.OutputFormat = "jsonl"
    source_options: SourceOptions = field(default_factory=SourceOptions)
    batch_size: int = setting_default("score_batch_size")
    engine: Literal["local", "dask"] = "local"
    workers: int = 1
    scheduler: str | None = None
    scheduler_timeout: float = setting_default("dask_connect_timeout")
    model: str | None = None
    progress: bool = False
    store_url: str | None = None  # also add documents and predictions to this review store
    restart: bool = False  # remove the files of an earlier job on ``output`` and start anew


@dataclass
class Summary:
    documents: int = 0
    duplicates: int = 0
    passages: int = 0
    rejected: int = 0
    warnings: int = 0  # problems with documents that were scored all the same
    labels: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    documents_this_run: int = 0
    rejected_this_run: int = 0
    warnings_this_run: int = 0
    first_rejected: list[Rejected] = field(default_factory=list)  # this run's, at most 20
    first_warnings: list[Warned] = field(default_factory=list)  # this run's, at most 20
    errors_file: str = ""  # where the rejected records and warnings are
    skipped: list[str] = field(default_factory=list)  # files in directories no reader takes
    seconds: float = 0.0
    resumed: bool = False
    already_complete: bool = False

    def text(self) -> str:
        """This run's first warnings (``file:line: warning: ...``), then the summary."""
        rate = self.documents_this_run / self.seconds if self.seconds else 0.0
        labels = ", ".join(f"{k} {v}" for k, v in self.labels.items())
        lines = [f"{_where(w)}: warning: {w.warning}" for w in self.first_warnings]
        more = self.warnings_this_run - len(self.first_warnings)
        if more > 0:
            lines.append(f"... and {counted(more, 'more warning')} in {self.errors_file}")
        warnings = f", {counted(self.warnings, 'warning')}" if self.warnings else ""
        lines += [
            f"{counted(self.documents, 'document')} ({self.documents - self.duplicates} unique, "
            f"{counted(self.duplicates, 'duplicate')}), {counted(self.passages, 'passage')}, "
            f"{counted(self.rejected, 'rejected record')}{warnings}"
            f"{' (the job was already complete)' if self.already_complete else ''}"
            f"{' (job resumed)' if self.resumed and not self.already_complete else ''}",
            f"labels (unique documents): {labels}",
            f"this run: {counted(self.documents_this_run, 'document')} in {self.seconds:.1f} s "
            f"({counted(round(rate), 'document')}/s)",
        ]
        if self.skipped:
            shown = ", ".join(self.skipped[:20])
            more = f" and {len(self.skipped) - 20} more" if len(self.skipped) > 20 else ""
            lines.append(
                f"skipped {counted(len(self.skipped), 'file')} that no reader takes: {shown}{more}"
            )
        return "\n".join(lines)


def _where(record: Document | Rejected | Warned) -> str:
    return record.source if record.line is None else f"{record.source}:{record.line}"


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1 (``1 document``, ``0 documents``): how the
    summary and the command's messages give every count."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _job_description(options: JobOptions, model: str) -> dict:
    def where(source: str) -> str:
        if source == "-" or source.startswith(("http://", "https://")):
            return source
        return str(Path(source).resolve())

    return {
        "sources": [where(s) for s in options.sources],
        "format": options.format,
        "input_format": options.source_options.input_format,
        **column_names(options.source_options),
        "model": model,
    }


def _engine(options: JobOptions, predictor, models_dir: Path) -> Engine:
    if options.engine == "dask":
        return DaskEngine(predictor, options.scheduler, options.workers, options.scheduler_timeout)
    if options.workers > 1:
        return ProcessPoolEngine(predictor, models_dir, options.workers)
    return InProcessEngine(predictor)


@dataclass
class _Batch:
    end: int  # ordinal after the batch's last record
    docs: list[Document]
    rejected: list[Rejected]


def _warn_repeated_ids(records: Iterator) -> Iterator:
    """The records, a document whose id an earlier document of the job has with a warning naming
    where that one is (``duplicate_of`` names documents by id); it is scored all the same. The
    records a resumed job skips pass here too, so their ids count."""
    first: dict[str, str] = {}
    for record in records:
        if isinstance(record, Document):
            if record.id in first:
                record.warnings.append(
                    f"the id {record.id!r} is already the id of the document at "
                    f"{first[record.id]}; duplicate_of names documents by id: give each "
                    "document its own"
                )
            else:
                first[record.id] = _where(record)
        yield record


def _batches(records: Iterator, start: int, size: int, plan: deque) -> Iterator[list[Document]]:
    """Document lists for the engine; each batch's record range and rejects go to ``plan``."""
    docs: list[Document] = []
    rejected: list[Rejected] = []
    last = start - 1
    for record in records:
        if record.ordinal < start:
            continue
        last = record.ordinal
        if isinstance(record, Rejected):
            rejected.append(record)
            if len(rejected) >= size:  # a long run of bad records still checkpoints
                plan.append(_Batch(last + 1, docs, rejected))
                yield docs
                docs, rejected = [], []
            continue
        docs.append(record)
        if len(docs) >= size:
            plan.append(_Batch(last + 1, docs, rejected))
            yield docs
            docs, rejected = [], []
    if docs or rejected:
        plan.append(_Batch(last + 1, docs, rejected))
        yield docs


def run_job(options: JobOptions, models_dir: Path, fetch: Fetcher | None = None) -> Summary:
    """Score every source into ``options.output``, resuming an unfinished job on it. One job at
    a time per output: a second one is refused (``LockedError``) while the first runs."""
    out = options.output
    inputs = expand_sources(options.sources, exclude=job_files(out))
    if (problem := output.missing_folder(out)) is not None:
        raise JournalError(problem)
    with OutputLock(out):
        predictor = _predictor(options, models_dir)
        store = None
        if options.store_url:
            from service.store.db import Database

            store = Database(options.store_url)
            store.check()
            if store.problem:
                raise Unavailable(store.problem, code="store_unavailable")
        journal = Journal(out, _job_description(options, predictor.version), options.restart)
        try:
            return _run(options, inputs, predictor, journal, store, models_dir, fetch)
        finally:
            journal.close()
            if store is not None:
                store.close()


def _predictor(options: JobOptions, models_dir: Path):
    """The job's model: ``--model``, else the one the job on the output began with, else the
    active one."""
    version = options.model or (None if options.restart else stored_model(options.output))
    if version is not None and version not in list_versions(models_dir):
        raise no_such_version(version, models_dir)
    return load_predictor(version, models_dir)[0]


def _run(options, inputs, predictor, journal: Journal, store, models_dir, fetch) -> Summary:
    out = options.output
    fetcher = snapshot.MemoFetcher(fetch or Fetcher(cache_dir=sources_dir(out)))
    if journal.progress.complete:
        fetcher = fetcher.fresh()  # a finished job compares with what the URLs hold now
    stdin_copy = sources_dir(out) / "stdin"
    journal.check_inputs(snapshot.take(inputs.items, fetcher, stdin_copy))
    _check_header(options, journal)
    digest = journal.restore_files()
    summary = Summary(
        resumed=journal.progress.records_done > 0,
        skipped=inputs.skipped,
        errors_file=str(errors_path(out)),
    )
    _restore_totals(summary, journal.progress)
    if journal.progress.complete:
        summary.already_complete = True
        return summary
    index = DuplicateIndex()
    journal.load_index(index)
    records = read_inputs(
        inputs.items, options.source_options, fetcher, stdin=lambda: stdin_copy.open("rb")
    )

    started = time.perf_counter()
    engine = _engine(options, predictor, models_dir)
    plan: deque[_Batch] = deque()
    bar = _progress_bar(options.progress)
    try:
        with out.open("ab") as out_fh, errors_path(out).open("ab") as err_fh:

            def write(data: bytes) -> None:
                out_fh.write(data)
                digest.update(data)

            if journal.progress.out_size == 0:
                write(output.header(options.format).encode("utf-8"))
            batches = _batches(
                _warn_repeated_ids(records), journal.progress.records_done, options.batch_size, plan
            )
            for scored in engine.map(batches):
                batch = plan.popleft()
                if store is not None:
                    _store_batch(store, batch, scored, predictor.thresholds)
                firsts = _write_batch(batch, scored, index, summary, options.format, write)
                err_fh.write(_problems(batch, summary).encode("utf-8"))
                fsync(out_fh)
                fsync(err_fh)
                journal.commit(_progress(summary, batch.end, out_fh, err_fh, digest), firsts)
                if bar is not None:
                    bar.update(len(batch.docs))
            summary.seconds = time.perf_counter() - started
            final = _progress(summary, journal.progress.records_done, out_fh, err_fh, digest)
            final.complete = True
            journal.commit(final, [])
    finally:
        engine.close()
        if bar is not None:
            bar.close()
    return summary


def _check_header(options: JobOptions, journal: Journal) -> None:
    """Refuse to resume a job whose output begins with another header than the one this version
    writes (CSV columns added or removed since the job began): the rows it would add would not
    fit under it. The output is left as it is; a finished job, to which nothing is added, is
    not refused, nor a new one (it writes the header), nor an output shorter than the journal
    says (``Journal.restore_files`` refuses it, saying so)."""
    progress, out = journal.progress, options.output
    if progress.complete or not progress.out_size:
        return
    if not out.exists() or out.stat().st_size < progress.out_size:
        return
    if (difference := output.other_header(out, options.format)) is not None:
        raise JournalError(
            f"{out} has other CSV columns than this version writes ({difference}): the job "
            f"cannot be resumed on it, and it was left as it is; to score again, {START_OVER}"
        )


def _problems(batch: _Batch, summary: Summary) -> str:
    """The batch's lines of the errors file, in input order: its rejected records, and the
    warnings of documents it scored all the same; counted in ``summary``."""
    warned = [(d.ordinal, w) for d in batch.docs for w in d.warned()]
    entries = sorted([(r.ordinal, r) for r in batch.rejected] + warned, key=lambda e: e[0])
    summary.rejected += len(batch.rejected)
    summary.rejected_this_run += len(batch.rejected)
    summary.first_rejected += batch.rejected[: 20 - len(summary.first_rejected)]
    summary.warnings += len(warned)
    summary.warnings_this_run += len(warned)
    summary.first_warnings += [w for _, w in warned][: 20 - len(summary.first_warnings)]
    return "".join(json.dumps(e.as_dict(), ensure_ascii=False) + "\n" for _, e in entries)


def _write_batch(batch: _Batch, scored: list[Scored], index, summary, fmt, write) -> list:
    lines, firsts = [], []
    for item in scored:
        row = item.row
        first = index.find(row.content_hash, item.signature)
        summary.documents += 1
        summary.documents_this_run += 1
        if first is not None:
            summary.duplicates += 1
        else:
            index.add(row.id, row.content_hash, item.signature)
            firsts.append((row.id, row.content_hash, item.signature))
            summary.passages += row.passages
            for label in row.labels:
                summary.labels[label.label] += 1
        lines.append(output.line(row.model_copy(update={"duplicate_of": first}), fmt))
    write("".join(lines).encode("utf-8"))
    return firsts


def _store_batch(store, batch: _Batch, scored: list[Scored], thresholds) -> None:
    """Add the batch's documents and predictions to the review store (idempotent: the same
    text is stored once, one prediction per model), in one transaction."""
    from service.store.repository import store_prediction

    with store.sessions.begin() as session:
        for doc, item in zip(batch.docs, scored, strict=True):
            store_prediction(
                session,
                text=doc.text,
                content_hash=item.row.content_hash,
                prediction=item.prediction(),
                thresholds=thresholds,
                doc_id=doc.id,
                source=doc.source,
                url=doc.url,
                title=doc.title,
                published=doc.published,
            )


def _progress(summary: Summary, records_done: int, out_fh, err_fh, digest) -> Progress:
    totals = {
        "documents": summary.documents,
        "duplicates": summary.duplicates,
        "passages": summary.passages,
        "rejected": summary.rejected,
        "warnings": summary.warnings,
        "labels": summary.labels,
    }
    return Progress(
        records_done=records_done,
        out_size=out_fh.tell(),
        errors_size=err_fh.tell(),
        totals=totals,
        out_sha256=digest.hexdigest(),
    )


def _restore_totals(summary: Summary, progress: Progress) -> None:
    t = progress.totals
    if not t:
        return
    summary.documents = t["documents"]
    summary.duplicates = t["duplicates"]
    summary.passages = t["passages"]
    summary.rejected = t["rejected"]
    summary.warnings = t.get("warnings", 0)  # journals before warnings have none
    summary.labels.update(t["labels"])


def _progress_bar(enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(unit=" docs", file=sys.stderr, dynamic_ncols=True)
