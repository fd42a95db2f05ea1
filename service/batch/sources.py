"""Read documents from the sources of a batch job, in a fixed order.

Sources are taken in the order given; a directory is walked recursively in sorted order. Every
input record gets the next ordinal, whether it is read or rejected, so that a resumed job can
skip exactly what an earlier run finished.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from service.batch.documents import Document, Rejected
from service.batch.fetch import Fetcher, FetchError
from service.schemas import is_blank

InputFormat = Literal["auto", "jsonl", "csv", "feed", "html", "text"]
EXTENSIONS: dict[str, InputFormat] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
    ".html": "html",
    ".htm": "html",
    ".txt": "text",
}


class SourceError(Exception):
    """A source that cannot be read at all (missing path, unknown format)."""


@dataclass
class SourceOptions:
    input_format: InputFormat = "auto"
    text_column: str = "text"
    id_column: str = "id"
    max_document_chars: int = 2_000_000


Record = Document | Rejected


class _Ordinals:
    def __init__(self) -> None:
        self.next = 0

    def take(self) -> int:
        self.next += 1
        return self.next - 1


def check_sources(sources: list[str]) -> None:
    """Fail early, before any output, on a local path that does not exist."""
    for source in sources:
        if source == "-" or source.startswith(("http://", "https://")):
            continue
        if not Path(source).exists():
            raise SourceError(f"{source}: no such file or directory")


def read_sources(sources: list[str], options: SourceOptions, fetcher: Fetcher) -> Iterator[Record]:
    """Every document and rejected record of ``sources``, in order, with ordinals."""
    ordinals = _Ordinals()
    for source in sources:
        if source == "-":
            yield from _read_stream(sys.stdin.buffer, "-", options, ordinals, None)
        elif source.startswith(("http://", "https://")):
            try:
                fetched = fetcher.get(source)
            except FetchError as e:
                yield Rejected(ordinals.take(), source, None, f"fetch failed: {e}")
                continue
            kind = _kind_from_content_type(fetched.content_type)
            stream = io.BufferedReader(io.BytesIO(fetched.body))
            yield from _read_stream(stream, source, options, ordinals, kind)
        else:
            path = Path(source)
            files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
            for file in files:
                kind = EXTENSIONS.get(file.suffix.lower())
                if kind is None and path.is_dir():
                    continue  # other files in a directory are not inputs
                name = str(file)
                try:
                    stream = file.open("rb")
                except OSError as e:
                    yield Rejected(ordinals.take(), name, None, f"cannot read: {e.strerror}")
                    continue
                with stream:
                    yield from _read_stream(stream, name, options, ordinals, kind)


def _kind_from_content_type(content_type: str) -> InputFormat | None:
    ct = content_type.lower()
    if any(x in ct for x in ("rss", "atom", "xml")):
        return "feed"
    if "html" in ct:
        return "html"
    if "json" in ct:
        return "jsonl"
    if "csv" in ct:
        return "csv"
    return None


def _sniff(data: bytes) -> InputFormat:
    head = data[:2048].lstrip().lower()
    if head.startswith(b"{"):
        return "jsonl"
    if head.startswith(b"<"):
        return "feed" if (b"<rss" in head or b"<feed" in head or b"<rdf" in head) else "html"
    return "text"


def _read_stream(
    stream: io.BufferedReader,
    source: str,
    options: SourceOptions,
    ordinals: _Ordinals,
    kind: InputFormat | None,
) -> Iterator[Record]:
    if options.input_format != "auto":
        kind = options.input_format
    kind = kind or _sniff(stream.peek(2048))
    reader = {
        "jsonl": _read_jsonl,
        "csv": _read_csv,
        "feed": _read_feed,
        "html": _read_html,
        "text": _read_text,
    }[kind]
    for item in reader(stream, source, options):
        if isinstance(item, Rejected):
            yield Rejected(ordinals.take(), item.source, item.line, item.reason)
            continue
        if is_blank(item.text):
            yield Rejected(ordinals.take(), source, item.line, "the document has no text")
        elif len(item.text) > options.max_document_chars:
            yield Rejected(
                ordinals.take(),
                source,
                item.line,
                f"the document has {len(item.text)} characters; the limit is "
                f"{options.max_document_chars} (GRAVEWATCH_MAX_DOCUMENT_CHARS)",
            )
        else:
            item.ordinal = ordinals.take()
            yield item


def _reject(source: str, line: int | None, reason: str) -> Rejected:
    return Rejected(-1, source, line, reason)


def _read_jsonl(stream, source: str, options: SourceOptions) -> Iterator[Record]:
    for n, raw in enumerate(stream, 1):
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            yield _reject(source, n, f"the line is not valid UTF-8 (byte {e.start})")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            yield _reject(source, n, f"invalid JSON: {e.msg} at column {e.colno}")
            continue
        if not isinstance(obj, dict):
            yield _reject(source, n, "expected a JSON object with id and text")
            continue
        text = obj.get("text")
        if text is None and ("title" in obj or "body" in obj):
            parts = [obj.get("title"), obj.get("body")]
            if not all(p is None or isinstance(p, str) for p in parts):
                yield _reject(source, n, "title and body must be strings")
                continue
            text = "\n\n".join(p for p in parts if p)
        if not isinstance(text, str):
            why = "missing" if text is None else "not a string"
            yield _reject(source, n, f"the field text is {why} (give text, or title and body)")
            continue
        doc_id = obj.get("id")
        yield Document(
            ordinal=-1,
            id=str(doc_id) if doc_id not in (None, "") else f"{source}:{n}",
            text=text,
            source=source,
            line=n,
            url=_str_or_none(obj.get("url")),
            title=_str_or_none(obj.get("title")),
            published=_str_or_none(obj.get("published")),
        )


def _str_or_none(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _read_csv(stream, source: str, options: SourceOptions) -> Iterator[Record]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.DictReader(text)
    fields = reader.fieldnames or []
    if options.text_column not in fields:
        yield _reject(
            source,
            1,
            f"no column {options.text_column!r} (columns: {', '.join(fields) or 'none'}); "
            "name the text column with --text-column",
        )
        return
    try:
        for row in reader:
            n = reader.line_num
            value = row.get(options.text_column)
            if value is None:
                yield _reject(source, n, f"the row has no {options.text_column!r} value")
                continue
            if any("\udc80" <= ch <= "\udcff" for ch in value):
                yield _reject(source, n, "the row is not valid UTF-8")
                continue
            doc_id = row.get(options.id_column) or f"{source}:{n}"
            yield Document(
                ordinal=-1,
                id=doc_id,
                text=value,
                source=source,
                line=n,
                url=row.get("url") or None,
                title=row.get("title") or None,
                published=row.get("published") or None,
            )
    except csv.Error as e:
        yield _reject(source, reader.line_num, f"CSV error: {e}")


def _html_to_text(fragment: str) -> str:
    import lxml.html

    try:
        return lxml.html.fromstring(fragment).text_content().strip()
    except Exception:  # noqa: BLE001 - lxml raises several types for malformed markup
        return fragment.strip()


def _read_feed(stream, source: str, options: SourceOptions) -> Iterator[Record]:
    import feedparser

    feed = feedparser.parse(stream.read())
    if not feed.entries or (
        feed.bozo and not any(e.get("content") or e.get("summary") for e in feed.entries)
    ):
        reason = getattr(feed, "bozo_exception", None) or "no entries"
        yield _reject(source, None, f"the feed could not be parsed: {reason}")
        return
    for i, entry in enumerate(feed.entries, 1):
        title = entry.get("title") or None
        content = entry.get("content")
        body = content[0].get("value", "") if content else entry.get("summary", "")
        text = "\n\n".join(x for x in (title, _html_to_text(body) if body else "") if x)
        published = None
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        if stamp:
            published = datetime(*stamp[:6], tzinfo=UTC).isoformat()
        yield Document(
            ordinal=-1,
            id=entry.get("id") or entry.get("link") or f"{source}#{i}",
            text=text,
            source=source,
            line=i,
            url=entry.get("link") or None,
            title=title,
            published=published,
        )


def _read_html(stream, source: str, options: SourceOptions) -> Iterator[Record]:
    import trafilatura

    html = stream.read().decode("utf-8", errors="replace")
    text = trafilatura.extract(html, include_comments=False, include_tables=False)
    if not text:
        yield _reject(source, None, "no main text found in the HTML page")
        return
    meta = trafilatura.extract_metadata(html)
    yield Document(
        ordinal=-1,
        id=(meta.url if meta and meta.url else None) or source,
        text=text,
        source=source,
        url=(meta.url if meta and meta.url else None)
        or (source if source.startswith("http") else None),
        title=meta.title if meta else None,
        published=meta.date if meta else None,
    )


def _read_text(stream, source: str, options: SourceOptions) -> Iterator[Record]:
    data = stream.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        yield _reject(source, None, f"the file is not valid UTF-8 (byte {e.start})")
        return
    yield Document(ordinal=-1, id=source, text=text, source=source)
