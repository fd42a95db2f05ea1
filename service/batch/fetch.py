"""Fetching sources over HTTP: a timeout for the whole download, a size limit, retries with
backoff, and a copy on disk so that a resumed job reads exactly what the first run read."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from service.config import setting_default
from training.errors import Unavailable


class FetchError(Unavailable):
    """A URL could not be fetched; the message says why."""


@dataclass(frozen=True)
class Fetched:
    body: bytes
    content_type: str
    final_url: str


@dataclass(frozen=True)
class Fetcher:
    cache_dir: Path | None
    timeout: float = setting_default("fetch_timeout")
    max_bytes: int = setting_default("fetch_max_bytes")
    attempts: int = setting_default("fetch_attempts")
    backoff: float = 0.5

    def get(self, url: str) -> Fetched:
        cached = self._cached(url)
        if cached is not None:
            return cached
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            try:
                fetched = self._get_once(url)
                self._store(url, fetched)
                return fetched
            except _Retryable as e:
                if attempt == self.attempts:
                    tries = f"{self.attempts} attempt{'s' if self.attempts > 1 else ''}"
                    raise FetchError(f"{e} (after {tries})") from None
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def _get_once(self, url: str) -> Fetched:
        # httpx's timeout bounds each read; the deadline bounds the whole download (checked after
        # each read, so at worst one more read's timeout), so that a server sending a byte every
        # few seconds cannot hold the job.
        deadline = time.monotonic() + self.timeout
        try:
            with httpx.stream(
                "GET",
                url,
                timeout=httpx.Timeout(self.timeout),
                follow_redirects=True,
                headers={"User-Agent": "gravewatch (+https://github.com/gravewatch)"},
            ) as response:
                if response.status_code >= 500 or response.status_code == 429:
                    raise _Retryable(f"HTTP {response.status_code}")
                if response.status_code >= 400:
                    raise FetchError(f"HTTP {response.status_code}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    raise FetchError(f"response of {declared} bytes exceeds {self.max_bytes}")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FetchError(f"response exceeds {self.max_bytes} bytes")
                    if time.monotonic() > deadline:
                        raise _Retryable(f"the download took longer than {self.timeout:g} s")
                    chunks.append(chunk)
                return Fetched(
                    body=b"".join(chunks),
                    content_type=response.headers.get("content-type", ""),
                    final_url=str(response.url),
                )
        except httpx.TimeoutException:
            raise _Retryable(f"timed out after {self.timeout:g} s") from None
        except httpx.TransportError as e:
            raise _Retryable(f"connection failed: {e}") from None

    def _paths(self, url: str) -> tuple[Path, Path] | None:
        if self.cache_dir is None:
            return None
        key = hashlib.sha256(url.encode()).hexdigest()[:24]
        return self.cache_dir / f"{key}.body", self.cache_dir / f"{key}.json"

    def _cached(self, url: str) -> Fetched | None:
        paths = self._paths(url)
        if paths is None or not paths[1].is_file():
            return None
        meta = json.loads(paths[1].read_text(encoding="utf-8"))
        return Fetched(paths[0].read_bytes(), meta["content_type"], meta["final_url"])

    def _store(self, url: str, fetched: Fetched) -> None:
        paths = self._paths(url)
        if paths is None:
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        paths[0].write_bytes(fetched.body)
        meta = {"url": url, "content_type": fetched.content_type, "final_url": fetched.final_url}
        tmp = paths[1].with_suffix(".tmp")
        tmp.write_text(json.dumps(meta), encoding="utf-8")
        tmp.replace(paths[1])  # the metadata file appears last: a cached copy is complete


class _Retryable(Exception):
    pass
