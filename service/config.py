"""The one settings class: every knob, read from ``GRAVEWATCH_*`` environment variables."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRAVEWATCH_", extra="ignore")

    models_dir: Path = Field(
        default=PROJECT_ROOT / "models", description="Where model versions and ACTIVE live."
    )
    data_dir: Path = Field(
        default=PROJECT_ROOT / "data", description="Where local state (reports, database) lives."
    )
    reports_dir: Path = Field(
        default=PROJECT_ROOT / "reports", description="Where evaluation HTML reports are written."
    )
    max_text_chars: int = Field(default=100_000, ge=1, description="Longest passage accepted.")
    score_batch_size: int = Field(default=256, ge=1, description="Passages scored per batch.")


@cache
def get_settings() -> Settings:
    return Settings()
