"""The model an API worker serves, and how it follows ``models/ACTIVE`` without a restart.

Each worker loads the active model at start-up. A poller re-reads ``models/ACTIVE``; when it
names another version, the new model is verified and loaded beside the old one, then swapped in
with one assignment. Requests already running keep the predictor they started with. A version
that fails verification is refused (and logged once); the old model keeps serving.

A model scores ``PROBE_TEXT`` before it serves: its lazy set-up (the language identifier, the
vectoriser's tables, about 1.5 s) is done at start-up or beside the old model, never in a
request; a model that cannot score it is refused.
"""

from __future__ import annotations

import gc
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from training.predict import Predictor
from training.registry import (
    ModelCard,
    ModelRefused,
    RegistryError,
    active_version,
    load_predictor,
)

log = logging.getLogger("gravewatch.model")

PROBE_TEXT = "Shelling hit the school and two children were wounded."
"""Scored by every model before it serves, and by /readyz."""


@dataclass(frozen=True)
class LoadedModel:
    predictor: Predictor
    card: ModelCard


class ActiveModel:
    """The currently served model of one worker."""

    def __init__(self, models_dir: Path) -> None:
        self.models_dir = models_dir
        self._current: LoadedModel | None = None
        self._refused: dict[str, str] = {}
        self._lock = threading.Lock()
        self.last_error: str | None = None

    @property
    def current(self) -> LoadedModel | None:
        return self._current

    def refresh(self) -> bool:
        """Load the version named in ACTIVE if it is new and trustworthy; True if swapped."""
        with self._lock:
            try:
                version = active_version(self.models_dir)
            except RegistryError as e:
                self.last_error = str(e)
                return False
            if self._current is not None and self._current.predictor.version == version:
                return False
            if version in self._refused:
                return False
            try:
                predictor, card = load_predictor(version, self.models_dir)
                _warm_up(predictor)
            except (RegistryError, OSError, ValueError, EOFError) as e:
                self._refused[version] = str(e)
                self.last_error = str(e)
                log.error(
                    "refused model",
                    extra={"event": "model_refused", "version": version, "reason": str(e)},
                )
                return False
            previous = self._current.predictor.version if self._current else None
            self._current = LoadedModel(predictor=predictor, card=card)
            # The model's many long-lived objects would otherwise be rescanned by every full
            # garbage collection, pausing requests for tens of milliseconds.
            gc.unfreeze()  # let the previous model's objects be collected
            gc.collect()
            gc.freeze()
            self.last_error = None
            log.info(
                "serving model",
                extra={"event": "model_loaded", "version": version, "previous": previous},
            )
            return True


def _warm_up(predictor: Predictor) -> None:
    """Score ``PROBE_TEXT`` once, so that the first request does not pay for lazy set-up."""
    try:
        predictor.predict([PROBE_TEXT])
    except Exception as e:  # whatever breaks it would break every request
        raise ModelRefused(
            f"model {predictor.version} cannot score a passage ({type(e).__name__}: {e}): it is "
            "refused; train or promote another"
        ) from e
