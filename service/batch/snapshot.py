"""What a job read: one content hash per input (file, URL, standard input).

The journal keeps the hashes taken when the job began; every later run on the same output takes
them again and refuses to go on when an input changed, so that new content is never skipped
silently and a resumed job never mixes two versions of a source. Standard input is copied to
``OUT.sources/stdin`` as it is hashed, and URLs are fetched once per run (kept in
``OUT.sources/`` by the fetcher), so the job reads exactly what was hashed.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from service.batch.fetch import Fetched, Fetcher, FetchError
from service.batch.sources import Input

UNAVAILABLE = "unavailable"  # the input could not be read when its hash was taken
_CHUNK = 1 << 20


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return UNAVAILABLE
    return digest.hexdigest()


def spool_stdin(dest: Path) -> str:
    """Copy standard input to ``dest`` and return its hash (a terminal counts as empty)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    tmp = dest.with_name(dest.name + ".tmp")
    with tmp.open("wb") as out:
        while not sys.stdin.isatty() and (chunk := sys.stdin.buffer.read(_CHUNK)):
            digest.update(chunk)
            out.write(chunk)
    os.replace(tmp, dest)
    return digest.hexdigest()


@dataclass
class MemoFetcher:
    """A fetcher that answers each URL once per run, failures included."""

    fetcher: Fetcher

    def __post_init__(self) -> None:
        self._seen: dict[str, Fetched | FetchError] = {}

    def get(self, url: str) -> Fetched:
        if url not in self._seen:
            try:
                self._seen[url] = self.fetcher.get(url)
            except FetchError as e:
                self._seen[url] = e
        result = self._seen[url]
        if isinstance(result, FetchError):
            raise result
        return result

    def fresh(self) -> MemoFetcher:
        """The same fetcher without its on-disk copies: what the URLs hold now."""
        return MemoFetcher(replace(self.fetcher, cache_dir=None))


def take(inputs: list[Input], fetcher: MemoFetcher, stdin_copy: Path) -> dict[str, str]:
    """The hash of every input, in order."""
    hashes = {}
    for item in inputs:
        if item.is_stdin:
            hashes[item.name] = spool_stdin(stdin_copy)
        elif item.is_url:
            try:
                body = fetcher.get(item.name).body
            except FetchError:
                hashes[item.name] = UNAVAILABLE
            else:
                hashes[item.name] = hashlib.sha256(body).hexdigest()
        else:
            hashes[item.name] = _sha256_file(Path(item.name))
    return hashes


def changes(recorded: dict[str, str], now: dict[str, str], since: str) -> list[str]:
    """What differs, one phrase per input: ``"a.rss changed {since} (its content is
    different)"``, where ``since`` says since when (``"since the job on OUT began"``)."""
    out = []
    for name, digest in now.items():
        label = "standard input" if name == "-" else name
        before = recorded.get(name)
        if before is None:
            out.append(f"{label} is new {since}")
        elif before != digest:
            if before == UNAVAILABLE:
                why = "it could not be read then, and can now"
            elif digest == UNAVAILABLE:
                why = "it cannot be read now"
            else:
                why = "its content is different"
            out.append(f"{label} changed {since} ({why})")
    out += [f"{name} is gone {since}" for name in recorded if name not in now]
    return out
