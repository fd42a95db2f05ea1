"""Request coalescing: concurrent classify calls in one worker are scored as one batch.

The model is several times faster per passage on a batch than one passage at a time. While a
batch is being scored in a thread, new requests queue; the next batch takes everything queued (up
to ``max_batch`` passages). Nothing waits on a timer, so a lone request is scored at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from training.errors import Unavailable
from training.predict import Predictor
from training.schemas import Prediction


@dataclass
class _Job:
    texts: Sequence[str]
    ids: Sequence[str | None]
    future: asyncio.Future = field(repr=False)


class ModelUnavailable(Unavailable):
    """No model is loaded in this worker."""

    code = "model_unavailable"


class Scorer:
    def __init__(self, get_predictor: Callable[[], Predictor | None], max_batch: int) -> None:
        self._get_predictor = get_predictor
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="gravewatch-scorer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        while not self._queue.empty():
            job = self._queue.get_nowait()
            if not job.future.done():
                job.future.set_exception(ModelUnavailable("the server is shutting down"))

    async def predict(self, texts: Sequence[str], ids: Sequence[str | None]) -> list[Prediction]:
        future = asyncio.get_running_loop().create_future()
        await self._queue.put(_Job(texts=texts, ids=ids, future=future))
        return await future

    async def _run(self) -> None:
        while True:
            jobs = [await self._queue.get()]
            size = len(jobs[0].texts)
            while not self._queue.empty() and size < self._max_batch:
                job = self._queue.get_nowait()
                jobs.append(job)
                size += len(job.texts)
            await self._score(jobs)

    async def _score(self, jobs: list[_Job]) -> None:
        predictor = self._get_predictor()
        if predictor is None:
            for job in jobs:
                if not job.future.done():
                    job.future.set_exception(ModelUnavailable("no model is loaded"))
            return
        texts = [t for job in jobs for t in job.texts]
        ids = [i for job in jobs for i in job.ids]
        try:
            predictions = await asyncio.to_thread(predictor.predict, texts, ids)
        except Exception as e:  # handed to the requests, which report it
            for job in jobs:
                if not job.future.done():
                    job.future.set_exception(e)
            return
        start = 0
        for job in jobs:
            end = start + len(job.texts)
            if not job.future.done():
                job.future.set_result(predictions[start:end])
            start = end
