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

from service.batch import output
from service.batch.dedup import DuplicateIndex
from service.batch.documents import Document, Rejected
from service.batch.engines import (
    DaskEngine,
    Engine,
    InProcessEngine,
    ProcessPoolEngine,
    Scored,
)
from service.batch.fetch import Fetcher
from service.batch.journal import (
    Journal,
    JournalError,
    Progress,
    errors_path,
    fsync,
    stored_model,
)
from service.batch.sources import SourceOptions, check_sources, read_sources
from training.registry import load_predictor
from training.schemas import LABELS


@dataclass
class JobOptions:
    sources: list[str]
    output: Path
    format: output.OutputFormat = "jsonl"
    source_options: SourceOptions = field(default_factory=SourceOptions)
    batch_size: int = 256
    engine: Literal["local", "dask"] = "local"
    workers: int = 1
    scheduler: str | None = None
    model: str | None = None
    progress: bool = False
    store_url: str | None = None  # also add documents and predictions to this review store


@dataclass
class Summary:
    documents: int = 0
    duplicates: int = 0
    passages: int = 0
    rejected: int = 0
    labels: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    documents_this_run: int = 0
    first_rejected: list[Rejected] = field(default_factory=list)  # this run's, at most 20
    seconds: float = 0.0
    resumed: bool = False
    already_complete: bool = False

    def text(self) -> str:
        rate = self.documents_this_run / self.seconds if self.seconds else 0.0
        labels = ", ".join(f"{k} {v}" for k, v in self.labels.items())
        return (
            f"documents {self.documents} ({self.documents - self.duplicates} unique, "
            f"{self.duplicates} duplicates), passages {self.passages}, rejected {self.rejected}"
            f"{' (the job was already complete)' if self.already_complete else ''}"
            f"{' (job resumed)' if self.resumed and not self.already_complete else ''}\n"
            f"labels (unique documents): {labels}\n"
            f"this run: {self.documents_this_run} documents in {self.seconds:.1f} s "
            f"({rate:.0f} documents/s)"
        )


def _job_description(options: JobOptions, model: str) -> dict:
    def where(source: str) -> str:
        if source == "-" or source.startswith(("http://", "https://")):
            return source
        return str(Path(source).resolve())

    so = options.source_options
    return {
        "sources": [where(s) for s in options.sources],
        "format": options.format,
        "input_format": so.input_format,
        "text_column": so.text_column,
        "id_column": so.id_column,
        "model": model,
    }


def _engine(options: JobOptions, predictor, models_dir: Path) -> Engine:
    if options.engine == "dask":
        return DaskEngine(predictor, options.scheduler, options.workers)
    if options.workers > 1:
        return ProcessPoolEngine(predictor, models_dir, options.workers)
    return InProcessEngine(predictor)


@dataclass
class _Batch:
    end: int  # ordinal after the batch's last record
    docs: list[Document]
    rejected: list[Rejected]


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
    """Score every source into ``options.output``, resuming an unfinished job on it."""
    check_sources(options.sources)
    out = options.output
    predictor, _ = load_predictor(options.model or stored_model(out), models_dir)
    store = None
    if options.store_url:
        from service.store.service import Store

        store = Store(options.store_url)
        store.check()
        if store.problem:
            raise JournalError(store.problem)
    journal = Journal(out, _job_description(options, predictor.version))
    summary = Summary(resumed=journal.progress.records_done > 0)
    _restore_totals(summary, journal.progress)
    if journal.progress.complete:
        journal.close()
        summary.already_complete = True
        return summary
    journal.restore_files()
    index = DuplicateIndex()
    journal.load_index(index)
    fetcher = fetch or Fetcher(cache_dir=out.with_name(out.name + ".sources"))
    records = read_sources(options.sources, options.source_options, fetcher)

    started = time.perf_counter()
    engine = _engine(options, predictor, models_dir)
    plan: deque[_Batch] = deque()
    bar = _progress_bar(options.progress)
    try:
        with out.open("ab") as out_fh, errors_path(out).open("ab") as err_fh:
            if journal.progress.out_size == 0:
                out_fh.write(output.header(options.format).encode("utf-8"))
            batches = _batches(records, journal.progress.records_done, options.batch_size, plan)
            for scored in engine.map(batches, options.format, keep=store is not None):
                batch = plan.popleft()
                if store is not None:
                    _store_batch(store, batch, scored, predictor.thresholds)
                firsts = _write_batch(batch, scored, index, summary, options.format, out_fh)
                for r in batch.rejected:
                    err_fh.write((json.dumps(r.as_dict(), ensure_ascii=False) + "\n").encode())
                summary.rejected += len(batch.rejected)
                summary.first_rejected += batch.rejected[: 20 - len(summary.first_rejected)]
                fsync(out_fh)
                fsync(err_fh)
                journal.commit(_progress(summary, batch.end, out_fh, err_fh), firsts)
                if bar is not None:
                    bar.update(len(batch.docs))
            summary.seconds = time.perf_counter() - started
            final = _progress(summary, journal.progress.records_done, out_fh, err_fh)
            final.complete = True
            journal.commit(final, [])
    finally:
        engine.close()
        journal.close()
        if store is not None:
            store.close()
        if bar is not None:
            bar.close()
    return summary


def _write_batch(batch: _Batch, scored: list[Scored], index, summary, fmt, out_fh) -> list:
    lines, firsts = [], []
    for item in scored:
        first = index.find(item.content_hash, item.signature)
        summary.documents += 1
        summary.documents_this_run += 1
        if first is not None:
            summary.duplicates += 1
        else:
            index.add(item.id, item.content_hash, item.signature)
            firsts.append((item.id, item.content_hash, item.signature))
            summary.passages += item.passages
            for label in item.labels:
                summary.labels[label] += 1
        lines.append(output.fill_duplicate(item.head, item.tail, first, fmt))
    out_fh.write("".join(lines).encode("utf-8"))
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
                content_hash=item.content_hash,
                prediction=item.prediction,
                thresholds=thresholds,
                doc_id=doc.id,
                source=doc.source,
                url=doc.url,
                title=doc.title,
                published=doc.published,
            )


def _progress(summary: Summary, records_done: int, out_fh, err_fh) -> Progress:
    totals = {
        "documents": summary.documents,
        "duplicates": summary.duplicates,
        "passages": summary.passages,
        "rejected": summary.rejected,
        "labels": summary.labels,
    }
    return Progress(
        records_done=records_done,
        out_size=out_fh.tell(),
        errors_size=err_fh.tell(),
        totals=totals,
    )


def _restore_totals(summary: Summary, progress: Progress) -> None:
    t = progress.totals
    if not t:
        return
    summary.documents = t["documents"]
    summary.duplicates = t["duplicates"]
    summary.passages = t["passages"]
    summary.rejected = t["rejected"]
    summary.labels.update(t["labels"])


def _progress_bar(enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(unit=" docs", file=sys.stderr, dynamic_ncols=True)
