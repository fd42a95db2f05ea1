"""Defaults the training code needs, written once; ``service.config.Settings`` takes its
defaults for the same settings from here (training never imports ``service/``)."""

from __future__ import annotations

from training.resources import default_home

MODELS_DIR = default_home() / "models"
"""Where model versions, ``ACTIVE`` and the activation log live (GRAVEWATCH_MODELS_DIR): the
checkout's ``models/``, or under the working directory for an installed wheel."""

RETRAIN_MACRO_TOLERANCE = 0.01
"""Largest macro-F1 drop a retrained model may show (GRAVEWATCH_RETRAIN_MACRO_TOLERANCE)."""

RETRAIN_LABEL_TOLERANCE = 0.05
"""Largest per-label F1 drop a retrained model may show (GRAVEWATCH_RETRAIN_LABEL_TOLERANCE)."""
