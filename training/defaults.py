"""Defaults the training code needs, written once; ``service.config.Settings`` takes its
defaults for the same settings from here (training never imports ``service/``)."""

from __future__ import annotations

from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
"""Where model versions, ``ACTIVE`` and the activation log live (GRAVEWATCH_MODELS_DIR)."""

RETRAIN_MACRO_TOLERANCE = 0.01
"""Largest macro-F1 drop a retrained model may show (GRAVEWATCH_RETRAIN_MACRO_TOLERANCE)."""

RETRAIN_LABEL_TOLERANCE = 0.05
"""Largest per-label F1 drop a retrained model may show (GRAVEWATCH_RETRAIN_LABEL_TOLERANCE)."""
