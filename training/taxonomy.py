"""The label taxonomy (``labels/taxonomy.toml``) as a typed object."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from pydantic import BaseModel, Field

from training.resources import packaged
from training.schemas import LabelId

LABELS_DIR = packaged("training", "labels")
TAXONOMY_PATH = LABELS_DIR / "taxonomy.toml"


class LabelDefinition(BaseModel):
    id: LabelId = Field(description="Stable label id.")
    name: str = Field(description="Display name.")
    definition: str = Field(description="What the violation is.")
    resolutions: list[int] = Field(description="Security Council resolutions it rests on.")
    includes: list[str] = Field(description="What counts.")
    excludes: list[str] = Field(description="What does not count.")
    cues: list[str] = Field(description="Typical words and phrases in reports.")


class Taxonomy(BaseModel):
    version: str = Field(description="Taxonomy version.")
    child_definition: str = Field(description="Who counts as a child.")
    labels: list[LabelDefinition] = Field(description="The six labels, in canonical order.")


@cache
def load_taxonomy(path: Path = TAXONOMY_PATH) -> Taxonomy:
    """Read and validate the taxonomy file."""
    with path.open("rb") as fh:
        return Taxonomy.model_validate(tomllib.load(fh))
