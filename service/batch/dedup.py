"""Exact and near-duplicate detection across a job, including its resumed runs.

Exact: the SHA-256 of the text lowercased with whitespace collapsed. Near: every document's word
3-shingles are hashed; a MinHash signature of them (datasketch, 32 permutations) in 16 LSH
bands of 2 rows finds candidates, and each candidate is confirmed on the shingles of the whole
documents: the share of each document's shingles the other one holds. A copy (a dateline,
byline, headline or sign-off added) keeps most of the original and adds little; two stories
that share a background paragraph, a quote or boilerplate each keep their own incident, so
each holds much that the other lacks. ``benchmarks/dedup_quality.py`` measures both.

A copy with a rewritten lead can lose much of a short original: its lead sentence is gone.
Such a candidate is also confirmed when the documents' bodies match: each document's body (the
text after its first sentence, without headline, dateline or byline lines before it and
without sign-off lines after the last sentence) is almost all (``MIN_BODY_HELD``) held by the
other document, and one document holds at least ``MIN_COVERED`` of the other. Two stories
whose only difference is their first sentence look like that too, when the rest is text they
share; so when a new document's body matches two earlier documents (which are not duplicates
of each other), it is text they share, not a copy, and neither is confirmed on bodies.

The shingles kept per document are its ``SKETCH`` smallest shingle hashes (a bottom-k
sketch): all of them for a document of up to ``SKETCH`` words, an unbiased sample beyond,
with one bit each saying whether the shingle is in the body. datasketch's own LSH index keeps
every band in Python sets, too large for a 200,000-document job in 1 GB and not restorable
from a journal; this index keeps one integer per band and the sketches as bytes, and is rebuilt
from the journal when a job resumes.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from typing import NamedTuple

import numpy as np
from datasketch import MinHash

from training.schemas import normalised_text
from training.segment import segment

NUM_PERM = 32
BANDS = 16  # 2 rows each (``_band_keys`` relies on that): a pair at Jaccard 0.4 shares a band with probability 0.94
ROWS = NUM_PERM // BANDS
SHINGLE_WORDS = 3
SKETCH = 256  # shingle hashes kept per document
MIN_COVERED = 0.6  # a duplicate holds at least this share of the first's shingles, and vice versa
MIN_BODY_HELD = 0.9  # or each one's body is held this much by the other (and one holds MIN_COVERED)
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?…؟][\"'”’»)\]]*$")  # a segment that ends a sentence
_EDGE = 1000  # characters at each end of a text searched for its lead and its sign-off
_SCHEME = "affine32"
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=7, scheme=_SCHEME).permutations


def content_hash(text: str) -> str:
    return hashlib.sha256(normalised_text(text).encode("utf-8")).hexdigest()[:32]


def _shingle_hashes(words: list[str]) -> np.ndarray:
    """The 32-bit hashes of the word 3-shingles, in text order. Words are hashed once (CRC-32);
    a shingle's hash combines its words' hashes, so no shingle string is built."""
    h = np.fromiter(map(zlib.crc32, map(str.encode, words)), dtype=np.uint64, count=len(words))
    if len(h) >= SHINGLE_WORDS:
        h = h[:-2] * np.uint64(0x9E3779B1) + h[1:-1] * np.uint64(0x85EBCA77) + h[2:]
    return (h & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def _shingles(text: str) -> np.ndarray:
    """The distinct hashes of the text's word 3-shingles, sorted."""
    return np.unique(_shingle_hashes(_WORD.findall(text.lower())))


def _body(text: str) -> tuple[int, int]:
    """The words before and after the body: up to the end of the first sentence (headline,
    dateline and byline lines before it included), and the segments after the last sentence
    that do not end one (sign-offs, "Read more"). Only the first and last ``_EDGE`` characters
    are split into sentences, so the cost does not grow with the text. ``(0, 0)`` when no
    sentence ends there."""
    head = segment(text[:_EDGE])
    lead = next((end for start, end in head if _SENTENCE_END.search(text[start:end])), None)
    if lead is None:
        return 0, 0
    cut = max(0, len(text) - _EDGE)
    spans = head if not cut else [(start + cut, end + cut) for start, end in segment(text[cut:])]
    last = next(
        (end for start, end in reversed(spans) if _SENTENCE_END.search(text[start:end])), None
    )
    after = 0 if last is None else len(_WORD.findall(text[last:].lower()))
    return len(_WORD.findall(text[:lead].lower())), after


def signature(text: str) -> bytes:
    """What the index needs of a document, as uint32 values: ``NUM_PERM`` MinHash values, the
    number of distinct shingles, the sketch (the smallest ``SKETCH`` shingle hashes), the
    number of distinct body shingles, then one bit per sketch value: in the body or not."""
    hashes = _shingle_hashes(_WORD.findall(text.lower()))
    shingles = np.unique(hashes)
    m = MinHash(num_perm=NUM_PERM, hashfunc=int, permutations=_PERMUTATIONS, scheme=_SCHEME)
    m.update_batch(shingles.tolist() or [0])
    head = (m.hashvalues & 0xFFFFFFFF).astype(np.uint32)
    before, after = _body(text)
    body = np.unique(hashes[before : max(before, len(hashes) - after)])  # all words in the body
    sketch = shingles[:SKETCH]
    bits = np.packbits(np.isin(sketch, body, assume_unique=True), bitorder="little")
    bits = np.pad(bits, (0, -len(bits) % 4)).view(np.uint32)
    sizes = np.array([len(shingles), len(body)], dtype=np.uint32)
    return np.concatenate([head, sizes[:1], sketch, sizes[1:], bits]).tobytes()


def _sketch(sig: bytes) -> bytes:
    """A signature without its MinHash values: what the index keeps besides bands."""
    return sig[NUM_PERM * 4 :]


class _Sketch(NamedTuple):
    count: int  # distinct shingles
    values: np.ndarray  # the smallest SKETCH shingle hashes, sorted
    body_count: int  # distinct body shingles (0: not known, or no body)
    in_body: np.ndarray  # per value: a body shingle


def _parse(sketch: bytes) -> _Sketch:
    """A sketch as ``signature`` writes it; one from an older journal has no body part."""
    data = np.frombuffer(sketch, dtype=np.uint32)
    count = int(data[0])
    k = min(count, SKETCH)
    values = data[1 : 1 + k]
    if len(data) <= 1 + k:
        return _Sketch(count, values, 0, np.zeros(k, dtype=bool))
    bits = np.unpackbits(data[2 + k :].view(np.uint8), count=k, bitorder="little")
    return _Sketch(count, values, int(data[1 + k]), bits.astype(bool))


def covered(a: bytes, b: bytes) -> tuple[float, float]:
    """For two signatures, the share of ``a``'s shingles that ``b`` holds and of ``b``'s that
    ``a`` holds: exact when both sketches hold every shingle, else estimated from them."""
    return _covered(_parse(_sketch(a)), _parse(_sketch(b)))


def _covered(a: _Sketch, b: _Sketch) -> tuple[float, float]:
    n_a, sk_a = a.count, a.values
    n_b, sk_b = b.count, b.values
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


def _limit(sketch: _Sketch) -> int:
    """The largest hash below which the sketch holds every shingle of its document."""
    return int(sketch.values[-1]) if sketch.count > SKETCH else 0xFFFFFFFF


def _body_held(a: _Sketch, b: _Sketch) -> float:
    """The share of ``a``'s body shingles that ``b`` holds: exact when both sketches hold every
    shingle, else estimated on the body shingles below both sketches' limits."""
    if not a.body_count or not b.count:
        return 0.0
    limit = min(_limit(a), _limit(b))
    body = a.values[a.in_body & (a.values <= limit)]
    if not len(body):
        return 0.0
    return len(np.intersect1d(body, b.values, assume_unique=True)) / len(body)


def _bodies_match(a: _Sketch, b: _Sketch) -> bool:
    """Each document's body is (almost) all held by the other: the copy of a document whose
    lead was rewritten, or two stories that differ only in their first sentence."""
    return _body_held(a, b) >= MIN_BODY_HELD and _body_held(b, a) >= MIN_BODY_HELD


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
        best, best_share, sketch = None, self.min_covered, _parse(_sketch(sig))
        bodies = []  # candidates confirmed on bodies only
        for slot in dict.fromkeys(self._candidates(sig)):
            other = _parse(self._sketches[slot])
            shares = _covered(sketch, other)
            if min(shares) >= best_share:
                best, best_share = slot, min(shares)
            elif max(shares) >= self.min_covered and _bodies_match(sketch, other):
                bodies.append(slot)
        if best is None and len(bodies) == 1:  # two: text those two share, not a copy
            best = bodies[0]
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
