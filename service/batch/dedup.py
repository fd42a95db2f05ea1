"""Exact and near-duplicate detection across a job, including its resumed runs.

Exact: the SHA-256 of the text lowercased with whitespace collapsed. Near: MinHash signatures
(datasketch, 32 permutations) over word 3-shingles, indexed by 16 LSH bands of 2 rows; a band
collision is confirmed when the signatures agree on at least ``threshold`` (0.4) of their values,
the estimated Jaccard similarity. ``benchmarks/dedup_quality.py`` measures the choice.

datasketch's own LSH index keeps every band in Python sets, too large for a 200,000-document
job in 1 GB and not restorable from a journal; this index keeps one integer per band and the
signatures in a numpy array, and is rebuilt from the journal when a job resumes.
"""

from __future__ import annotations

import hashlib
import re
import zlib

import numpy as np
from datasketch import MinHash

NUM_PERM = 32
BANDS = 16  # 2 rows each (``_band_keys`` relies on that): a pair at Jaccard 0.4 shares a band with probability 0.94
ROWS = NUM_PERM // BANDS
SHINGLE_WORDS = 3
_WORD = re.compile(r"\w+")
_SCHEME = "affine32"
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=7, scheme=_SCHEME).permutations


def normalised_text(text: str) -> str:
    return " ".join(text.lower().split())


def content_hash(text: str) -> str:
    return hashlib.sha256(normalised_text(text).encode("utf-8")).hexdigest()[:32]


def signature(text: str) -> bytes:
    """The MinHash signature of the text's word 3-shingles, as ``NUM_PERM`` uint32 bytes.

    Words are hashed once (CRC-32); a shingle's hash combines its words' hashes, so no shingle
    string is built. datasketch applies its permutations to those hashes."""
    words = _WORD.findall(text.lower())
    h = np.fromiter(map(zlib.crc32, map(str.encode, words)), dtype=np.uint64, count=len(words))
    if len(h) >= SHINGLE_WORDS:
        h = h[:-2] * np.uint64(0x9E3779B1) + h[1:-1] * np.uint64(0x85EBCA77) + h[2:]
    m = MinHash(num_perm=NUM_PERM, hashfunc=int, permutations=_PERMUTATIONS, scheme=_SCHEME)
    m.update_batch((h & np.uint64(0xFFFFFFFF)).tolist() or [0])
    return (m.hashvalues & 0xFFFFFFFF).astype(np.uint32).tobytes()


class DuplicateIndex:
    """Remembers first documents; says which earlier document a new one duplicates."""

    def __init__(self, threshold: float = 0.4) -> None:
        self.threshold = threshold
        self._exact: dict[str, str] = {}
        self._bands: dict[int, int] = {}
        self._ids: list[str] = []
        self._signatures = np.zeros((1024, NUM_PERM), dtype=np.uint32)

    def __len__(self) -> int:
        return len(self._ids)

    def find(self, digest: str, sig: bytes) -> str | None:
        """Id of an earlier document with the same text or nearly the same, else None."""
        first = self._exact.get(digest)
        if first is not None:
            return first
        values = np.frombuffer(sig, dtype=np.uint32)
        for key in self._band_keys(values):
            slot = self._bands.get(key)
            if slot is not None and np.mean(self._signatures[slot] == values) >= self.threshold:
                return self._ids[slot]
        return None

    def add(self, doc_id: str, digest: str, sig: bytes) -> None:
        """Remember a first (non-duplicate) document."""
        slot = len(self._ids)
        if slot == len(self._signatures):
            self._signatures = np.concatenate([self._signatures, np.zeros_like(self._signatures)])
        values = np.frombuffer(sig, dtype=np.uint32)
        self._signatures[slot] = values
        self._ids.append(doc_id)
        self._exact.setdefault(digest, doc_id)
        for key in self._band_keys(values):
            self._bands.setdefault(key, slot)

    @staticmethod
    def _band_keys(values: np.ndarray) -> list[int]:
        """One integer per band: its two values, and the band number in the top bits."""
        pairs = values.astype(np.uint64).reshape(BANDS, ROWS)
        keys = (pairs[:, 0] << np.uint64(32)) | pairs[:, 1]
        return (keys ^ (np.arange(BANDS, dtype=np.uint64) << np.uint64(58))).tolist()
