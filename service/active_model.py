"""The model an API worker serves, and how it follows ``models/ACTIVE`` without a restart.

Each worker loads the active model at start-up. A poller re-reads ``models/ACTIVE``; when it
names another version, the new model is verified and loaded beside the old one, then swapped in
with one assignment. Requests already running keep the predictor they started with. A version
that fails verification is refused (and logged once); the old model keeps serving.
"""

from __future__ import annotations

import gc
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from training.predict import Predictor
from training.registry import ModelCard, RegistryError, active_version, load_predictor

log = logging.getLogger("gravewatch.model")


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
