"""Where batches are scored: in this process, in a pool of processes, or on a Dask cluster.

Every engine returns results in input order and keeps only a few batches in flight, so memory
stays bounded whatever the input size. Each worker process holds one copy of the model: pool
workers load it from the registry when they start; Dask workers receive it once, scattered to
every worker, and tasks refer to it rather than carry it.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from service.batch.dedup import content_hash, signature
from service.batch.documents import Document, DocumentPrediction
from service.config import setting_default
from training.errors import Unavailable
from training.predict import Predictor
from training.registry import load_predictor
from training.schemas import Prediction


@dataclass(slots=True)
class Scored:
    """A scored document as the job's writer needs it: its output row (``duplicate_of`` still
    None: only the writer knows it) and its near-duplicate signature."""

    ordinal: int
    row: DocumentPrediction
    signature: bytes

    def prediction(self) -> dict:
        """The prediction alone, as the review store keeps it."""
        return self.row.model_dump(mode="json", include=set(Prediction.model_fields))


class EngineError(Unavailable):
    """The engine cannot start (a Dask scheduler that does not answer); the message says why."""


def score_batch(predictor: Predictor, docs: list[Document]) -> list[Scored]:
    if not docs:  # a batch of rejected records only
        return []
    predictions, passages = predictor.predict_with_passages(
        [d.text for d in docs], [d.id for d in docs]
    )
    out = []
    for doc, pred, n_passages in zip(docs, predictions, passages, strict=True):
        row = DocumentPrediction(
            **dict(pred),
            source=doc.source,
            url=doc.url,
            title=doc.title,
            published=doc.published,
            content_hash=content_hash(doc.text),
            passages=n_passages,
        )
        out.append(Scored(ordinal=doc.ordinal, row=row, signature=signature(doc.text)))
    return out


class Engine:
    """Scores batches in order. ``workers`` is how many batches may run at once."""

    workers: int = 1

    def map(self, batches: Iterable[list[Document]]) -> Iterator[list[Scored]]:
        """Scored batches in order."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class InProcessEngine(Engine):
    def __init__(self, predictor: Predictor) -> None:
        self.predictor = predictor

    def map(self, batches):
        for batch in batches:
            yield score_batch(self.predictor, batch)


_worker_predictor: Predictor | None = None
_worker_error: Exception | None = None


def _load_in_worker(version: str, models_dir: str) -> None:
    # A forked worker already holds the parent's verified model; a spawned one loads it from
    # the registry. An initializer that raises makes multiprocessing restart the worker
    # forever: keep the error and report it with the first task instead.
    global _worker_predictor, _worker_error
    # Ctrl-C reaches the whole process group: the parent stops the job; a worker interrupted
    # mid-task would never answer, and the pool would wait for it forever.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _worker_predictor is not None and _worker_predictor.version == version:
        return
    try:
        _worker_predictor, _ = load_predictor(version, Path(models_dir))
    except Exception as e:  # noqa: BLE001 - reported to the parent by _score_in_worker
        _worker_error = e


def _score_in_worker(batch: list[Document]) -> list[Scored]:
    if _worker_error is not None:
        raise _worker_error
    return score_batch(_worker_predictor, batch)


def _bounded_in_order(submit, batches: Iterable, in_flight: int) -> Iterator:
    pending: deque = deque()
    for batch in batches:
        pending.append(submit(batch))
        if len(pending) >= in_flight:
            yield pending.popleft()
    yield from pending


class ProcessPoolEngine(Engine):
    """``workers`` processes on this machine, each holding the model once: forked workers
    (Linux) inherit the parent's copy; spawned workers load it from the registry at start."""

    def __init__(self, predictor: Predictor, models_dir: Path, workers: int) -> None:
        global _worker_predictor
        self.workers = workers
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        _worker_predictor = predictor  # inherited by forked workers: no second load
        self.pool = context.Pool(
            workers, initializer=_load_in_worker, initargs=(predictor.version, str(models_dir))
        )

    def map(self, batches):
        try:
            for result in _bounded_in_order(
                lambda b: self.pool.apply_async(_score_in_worker, (b,)),
                batches,
                2 * self.workers,
            ):
                yield result.get()
        except BaseException:  # interrupted or failed: the batches in flight are not wanted
            self.pool.terminate()
            raise

    def close(self) -> None:
        self.pool.close()
        self.pool.join()


def _score_with(predictor: Predictor, batch: list[Document]) -> list[Scored]:
    return score_batch(predictor, batch)


class DaskEngine(Engine):
    """An existing Dask cluster (``scheduler``), or a local one with ``workers`` processes."""

    def __init__(
        self,
        predictor: Predictor,
        scheduler: str | None,
        workers: int,
        timeout: float = setting_default("dask_connect_timeout"),
    ) -> None:
        from distributed import Client, LocalCluster

        self.cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout=f"{timeout}s")
            except (OSError, TimeoutError):
                raise EngineError(
                    f"the Dask scheduler at {scheduler} did not answer within {timeout:g} s; "
                    "start it or correct --scheduler (GRAVEWATCH_DASK_CONNECT_TIMEOUT sets the "
                    "wait)"
                ) from None
            except ValueError as e:
                raise EngineError(f"--scheduler {scheduler}: {e}") from None
        else:
            self.cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            self.client = Client(self.cluster)
        self.workers = max(1, len(self.client.scheduler_info()["workers"]))
        self.model = self.client.scatter(predictor, broadcast=True)

    def map(self, batches):
        for future in _bounded_in_order(
            lambda b: self.client.submit(_score_with, self.model, b, pure=False),
            batches,
            2 * self.workers,
        ):
            yield future.result()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
