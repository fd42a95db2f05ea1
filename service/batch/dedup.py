"""Exact and near-duplicate detection across a job, including its resumed runs.

Exact: the SHA-256 of the text lowercased with whitespace collapsed. Near: every document's word
3-shingles are hashed; a MinHash signature of them (datasketch, 32 permutations) in 16 LSH
bands of 2 rows finds candidates, and each candidate is confirmed on the shingles of the whole
documents: the share of each document's shingles the other one holds. A copy (a dateline,
byline, headline or sign-off added, the lead rewritten) keeps most of the original and adds
little; two stories that share a background paragraph, a quote or boilerplate each keep their
own incident, so each holds much that the other lacks. ``benchmarks/dedup_quality.py``
measures both.

The shingles kept per document are its ``SKETCH`` smallest shingle hashes (a bottom-k
sketch): all of them for a document of up to ``SKETCH`` words, an unbiased sample beyond.
datasketch's own LSH index keeps every band in Python sets, too large for a 200,000-document
job in 1 GB and not restorable from a journal; this index keeps one integer per band, the
signatures in a numpy array and the sketches as bytes, and is rebuilt from the journal when a
job resumes.
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
SKETCH = 256  # shingle hashes kept per document
MIN_COVERED = 0.6  # a duplicate holds at least this share of the first's shingles, and vice versa
_WORD = re.compile(r"\w+")
_SCHEME = "affine32"
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=7, scheme=_SCHEME).permutations


def normalised_text(text: str) -> str:
    return " ".join(text.lower().split())


def content_hash(text: str) -> str:
    return hashlib.sha256(normalised_text(text).encode("utf-8")).hexdigest()[:32]


def _shingles(text: str) -> np.ndarray:
    """The distinct 32-bit hashes of the text's word 3-shingles, sorted. Words are hashed once
    (CRC-32); a shingle's hash combines its words' hashes, so no shingle string is built."""
    words = _WORD.findall(text.lower())
    h = np.fromiter(map(zlib.crc32, map(str.encode, words)), dtype=np.uint64, count=len(words))
    if len(h) >= SHINGLE_WORDS:
        h = h[:-2] * np.uint64(0x9E3779B1) + h[1:-1] * np.uint64(0x85EBCA77) + h[2:]
    return np.unique((h & np.uint64(0xFFFFFFFF)).astype(np.uint32))


def signature(text: str) -> bytes:
    """What the index needs of a document, as uint32 values: ``NUM_PERM`` MinHash values, the
    number of distinct shingles, then the sketch (the smallest ``SKETCH`` shingle hashes)."""
    shingles = _shingles(text)
    m = MinHash(num_perm=NUM_PERM, hashfunc=int, permutations=_PERMUTATIONS, scheme=_SCHEME)
    m.update_batch(shingles.tolist() or [0])
    head = (m.hashvalues & 0xFFFFFFFF).astype(np.uint32)
    count = np.array([len(shingles)], dtype=np.uint32)
    return np.concatenate([head, count, shingles[:SKETCH]]).tobytes()


def _sketch(sig: bytes) -> bytes:
    """The shingle count and sketch of a signature (what the index keeps besides bands)."""
    return sig[NUM_PERM * 4 :]


def _count_and_sketch(sketch: bytes) -> tuple[int, np.ndarray]:
    values = np.frombuffer(sketch, dtype=np.uint32)
    return int(values[0]), values[1:]


def covered(a: bytes, b: bytes) -> tuple[float, float]:
    """For two signatures, the share of ``a``'s shingles that ``b`` holds and of ``b``'s that
    ``a`` holds: exact when both sketches hold every shingle, else estimated from them."""
    return _covered(_sketch(a), _sketch(b))


def _covered(a: bytes, b: bytes) -> tuple[float, float]:
    n_a, sk_a = _count_and_sketch(a)
    n_b, sk_b = _count_and_sketch(b)
    if not n_a or not n_b:
        return 0.0, 0.0
    if n_a <= SKETCH and n_b <= SKETCH:
        common = len(np.intersect1d(sk_a, sk_b, assume_unique=True))
    else:  # the k smallest hashes of the union are a uniform sample of it
        union = np.union1d(sk_a, sk_b)[:SKETCH]
        limit = union[-1]
        both = np.intersect1d(sk_a[sk_a <= limit], sk_b[sk_b <= limit], assume_unique=True)
        jaccard = len(both) / len(union)
        common = jaccard * (n_a + n_b) / (1 + jaccard)
    return common / n_a, common / n_b


class DuplicateIndex:
    """Remembers first documents; says which earlier document a new one duplicates."""

    def __init__(self, min_covered: float = MIN_COVERED) -> None:
        self.min_covered = min_covered
        self._exact: dict[str, str] = {}
        self._bands: dict[int, int] = {}
        self._ids: list[str] = []
        self._sketches: list[bytes] = []

    def __len__(self) -> int:
        return len(self._ids)

    def find(self, digest: str, sig: bytes) -> str | None:
        """Id of an earlier document with the same text or nearly the same, else None."""
        first = self._exact.get(digest)
        if first is not None:
            return first
        best, best_share, sketch = None, self.min_covered, _sketch(sig)
        for slot in dict.fromkeys(self._candidates(sig)):
            share = min(_covered(sketch, self._sketches[slot]))
            if share >= best_share:
                best, best_share = slot, share
        return None if best is None else self._ids[best]

    def add(self, doc_id: str, digest: str, sig: bytes) -> None:
        """Remember a first (non-duplicate) document."""
        slot = len(self._ids)
        self._ids.append(doc_id)
        self._sketches.append(_sketch(sig))
        self._exact.setdefault(digest, doc_id)
        for key in _band_keys(sig):
            self._bands.setdefault(key, slot)

    def _candidates(self, sig: bytes) -> list[int]:
        bands = self._bands
        return [bands[key] for key in _band_keys(sig) if key in bands]


def _band_keys(sig: bytes) -> list[int]:
    """One integer per band: its two values, and the band number in the top bits."""
    values = np.frombuffer(sig, dtype=np.uint32, count=NUM_PERM)
    pairs = values.astype(np.uint64).reshape(BANDS, ROWS)
    keys = (pairs[:, 0] << np.uint64(32)) | pairs[:, 1]
    return (keys ^ (np.arange(BANDS, dtype=np.uint64) << np.uint64(58))).tolist()
