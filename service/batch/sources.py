"""Read documents from the sources of a batch job, in a fixed order.

Sources are taken in the order given; a directory is walked recursively in sorted order, and
its files that no reader takes are listed as skipped. Every input record gets the next ordinal,
whether it is read or rejected, so that a resumed job can skip exactly what an earlier run
finished.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import sys
from codecs import BOM_UTF8 as UTF8_BOM
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Literal
from xml.parsers import expat

from service.batch.dates import published_date
from service.batch.documents import Document, Rejected
from service.batch.fetch import Fetcher, FetchError
from service.batch.markup import fragment_text, page_published
from service.config import setting_default
from training.errors import NotFound
from training.schemas import is_blank

InputFormat = Literal["auto", "jsonl", "json", "csv", "feed", "html", "text"]
INPUT_FORMATS: tuple[str, ...] = InputFormat.__args__
EXTENSIONS: dict[str, InputFormat] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
    ".html": "html",
    ".htm": "html",
    ".txt": "text",
}


class SourceError(NotFound):
    """A source that cannot be read at all (missing path, unknown format)."""


@dataclass
class SourceOptions:
    """How to read the sources. A CSV column option left at None takes the column of the
    default name when there is one (``text``, ``id``, ``title``, ``url``, ``published``); a
    named column must exist. Standard input is read as CSV when ``text_column`` is given."""

    input_format: InputFormat = "auto"
    text_column: str | None = None
    id_column: str | None = None
    title_column: str | None = None
    url_column: str | None = None
    published_column: str | None = None
    max_document_chars: int = setting_default("max_document_chars")


SourceItem = Document | Rejected
"""What a source yields: a document to score, or a record that could not be read."""


@dataclass(frozen=True)
class Input:
    """One thing to read: a file, a URL or standard input (``name`` is ``-``)."""

    name: str
    kind: InputFormat | None = None  # from the file's extension; None: by content

    @property
    def is_url(self) -> bool:
        return self.name.startswith(("http://", "https://"))

    @property
    def is_stdin(self) -> bool:
        return self.name == "-"


@dataclass
class Inputs:
    items: list[Input] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files in directories no reader takes


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


def expand_sources(sources: list[str], exclude: Iterable[Path] = ()) -> Inputs:
    """The inputs of ``sources`` in reading order: directories walked recursively in sorted
    order, keeping the files a reader takes (by extension) and listing the others as skipped.
    A directory's files and folders in ``exclude`` (the job's own output) are left out."""
    check_sources(sources)
    excluded = {p.resolve() for p in exclude}
    inputs = Inputs()
    for source in sources:
        path = Path(source)
        if source == "-" or source.startswith(("http://", "https://")):
            inputs.items.append(Input(source))
        elif path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                resolved = file.resolve()
                if resolved in excluded or not excluded.isdisjoint(resolved.parents):
                    continue
                kind = EXTENSIONS.get(file.suffix.lower())
                if kind is None:
                    inputs.skipped.append(str(file))
                else:
                    inputs.items.append(Input(str(file), kind))
        else:
            inputs.items.append(Input(source, EXTENSIONS.get(path.suffix.lower())))
    return inputs


def read_sources(
    sources: list[str], options: SourceOptions, fetcher: Fetcher
) -> Iterator[SourceItem]:
    """Every document and rejected record of ``sources``, in order, with ordinals."""
    return read_inputs(expand_sources(sources).items, options, fetcher)


def read_inputs(
    inputs: list[Input],
    options: SourceOptions,
    fetcher: Fetcher,
    stdin: Callable[[], BinaryIO] | None = None,
) -> Iterator[SourceItem]:
    """Every document and rejected record of ``inputs``, in order, with ordinals. ``stdin``
    opens what to read for ``-`` (default: this process's standard input)."""
    ordinals = _Ordinals()
    for item in inputs:
        if item.is_stdin:
            kind = "csv" if options.text_column is not None else None
            if stdin is None:
                yield from _read_stream(
                    sys.stdin.buffer, "-", options, ordinals, kind, "standard input"
                )
                continue
            with stdin() as stream:
                yield from _read_stream(stream, "-", options, ordinals, kind, "standard input")
        elif item.is_url:
            try:
                fetched = fetcher.get(item.name)
            except FetchError as e:
                yield Rejected(ordinals.take(), item.name, None, f"fetch failed: {e}")
                continue
            kind = _kind_from_content_type(fetched.content_type)
            stream = io.BufferedReader(io.BytesIO(fetched.body))
            yield from _read_stream(stream, item.name, options, ordinals, kind, "the response")
        else:
            try:
                stream = open(item.name, "rb")  # noqa: SIM115 - closed below
            except OSError as e:
                yield Rejected(ordinals.take(), item.name, None, f"cannot read: {e.strerror}")
                continue
            with stream:
                yield from _read_stream(stream, item.name, options, ordinals, item.kind)


def _kind_from_content_type(content_type: str) -> InputFormat | None:
    ct = content_type.lower()
    if any(x in ct for x in ("rss", "atom", "xml")):
        return "feed"
    if "html" in ct:
        return "html"
    if any(x in ct for x in ("ndjson", "jsonl", "json-seq")):
        return "jsonl"
    if "csv" in ct:
        return "csv"
    return None


def _sniff(data: bytes) -> InputFormat:
    head = data[:2048].lstrip().lower()
    if head.startswith(b"{"):
        return "jsonl"
    if head.startswith(b"["):
        return "json"
    if head.startswith(b"<"):
        return "feed" if (b"<rss" in head or b"<feed" in head or b"<rdf" in head) else "html"
    return "text"


# Byte order marks of the encodings whose text holds NUL bytes (UTF-32 first: its little-endian
# mark begins with UTF-16's).
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def _read_stream(
    stream: io.BufferedReader,
    source: str,
    options: SourceOptions,
    ordinals: _Ordinals,
    kind: InputFormat | None,
    what: str = "the file",
) -> Iterator[SourceItem]:
    head = stream.peek(8192)
    if head.startswith(UTF8_BOM):  # Notepad's and PowerShell's mark: not part of the text
        stream.read(len(UTF8_BOM))
        head = stream.peek(8192)
    if not head:
        yield Rejected(ordinals.take(), source, None, f"{what} is empty")
        return
    if b"\x00" in head[:8192]:
        encoding = next((name for bom, name in _WIDE_BOMS if head.startswith(bom)), None)
        reason = (
            f"{what} is {encoding} text; {_save_as_utf8(encoding)}"
            if encoding
            else f"{what} is binary, not text"
        )
        yield Rejected(ordinals.take(), source, None, reason)
        return
    if options.input_format != "auto":
        kind = options.input_format
    kind = kind or _sniff(head)
    reader = {
        "jsonl": _read_jsonl,
        "json": _read_json,
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


def _save_as_utf8(encoding: str | None = None) -> str:
    """What to do with a source in another encoding than UTF-8: the ``iconv`` command that
    converts it from ``encoding``, or from Latin-1 (the usual one) when it is not known."""
    if encoding is None:
        return (
            "Gravewatch reads UTF-8: save it as UTF-8 (iconv -f latin1 -t UTF-8 if it is Latin-1)"
        )
    return f"Gravewatch reads UTF-8: save it as UTF-8 (iconv -f {encoding} -t UTF-8)"


def _not_utf8_from(source: str, line: int, unit: str = "line") -> Rejected:
    """The one rejection of a line-based source (JSONL, CSV) whose ``line`` (a ``unit``: line or
    row) is not UTF-8: the lines after it are in the same wrong encoding, so the source is read
    no further rather than rejected line by line."""
    return _reject(
        source,
        line,
        f"the file is not valid UTF-8 from this {unit} on and was read no further; "
        + _save_as_utf8(),
    )


def _not_utf8_whole(source: str, data: bytes, e: UnicodeDecodeError) -> Rejected:
    """The rejection of a source read whole (JSON, text) that is not UTF-8, at the line of its
    first bad byte."""
    return _reject(
        source,
        data.count(b"\n", 0, e.start) + 1,
        f"the file is not valid UTF-8 (byte {e.start}) and was not read; {_save_as_utf8()}",
    )


def _read_jsonl(stream, source: str, options: SourceOptions) -> Iterator[SourceItem]:
    for n, raw in enumerate(stream, 1):
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield _not_utf8_from(source, n)
            return
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            yield _reject(source, n, _invalid_json(e))
            continue
        yield _from_object(obj, source, n, f"{source}:{n}")


def _invalid_json(e: json.JSONDecodeError) -> str:
    # some of json's messages end with "at" ("Invalid control character at")
    return f"invalid JSON: {e.msg.removesuffix(' at')} at column {e.colno}"


def _read_json(stream, source: str, options: SourceOptions) -> Iterator[SourceItem]:
    """A JSON array of records, or one record. ``line`` is the line a record begins on; a
    record without an id is ``FILE#N``, N its place in the array."""
    data = stream.read()
    try:
        text = data.decode("utf-8")
        value = json.loads(text)
    except UnicodeDecodeError as e:
        yield _not_utf8_whole(source, data, e)
        return
    except json.JSONDecodeError as e:
        yield _reject(source, e.lineno, _invalid_json(e))
        return
    if isinstance(value, dict):
        line = 1 + text.count("\n", 0, json.decoder.WHITESPACE.match(text).end())
        yield _from_object(value, source, line, f"{source}#1")
    elif isinstance(value, list):
        for n, (obj, line) in enumerate(zip(value, _item_lines(text), strict=True), 1):
            yield _from_object(obj, source, line, f"{source}#{n}", f"item {n}: ")
    else:
        yield _reject(source, None, "expected a JSON array of objects, or one object")


def _item_lines(text: str) -> Iterator[int]:
    """The line each item of the JSON array ``text`` (valid JSON) begins on."""
    decoder, skip = json.JSONDecoder(), json.decoder.WHITESPACE.match
    pos = skip(text, 0).end() + 1  # after the array's "["
    line, counted = 1, 0
    while True:
        pos = skip(text, pos).end()
        if text[pos] == "]":
            return
        line += text.count("\n", counted, pos)
        counted = pos
        yield line
        pos = skip(text, decoder.raw_decode(text, pos)[1]).end()
        if text[pos] == ",":
            pos += 1


def _from_object(obj, source: str, line: int, default_id: str, item: str = "") -> SourceItem:
    """A document from a JSON record: ``id`` and ``text``, or ``id``, ``title`` and ``body``.
    ``item`` ("item 3: ") begins the reason when the record is rejected."""
    if not isinstance(obj, dict):
        return _reject(source, line, f"{item}expected a JSON object with id and text")
    text = obj.get("text")
    if text is None and ("title" in obj or "body" in obj):
        parts = [obj.get("title"), obj.get("body")]
        if not all(p is None or isinstance(p, str) for p in parts):
            return _reject(source, line, f"{item}title and body must be strings")
        text = "\n\n".join(p for p in parts if p)
    if not isinstance(text, str):
        why = "missing" if text is None else "not a string"
        return _reject(
            source, line, f"{item}the field text is {why} (give text, or title and body)"
        )
    doc_id = obj.get("id")
    published, warnings = published_date(obj.get("published"), "field published")
    return Document(
        ordinal=-1,
        id=str(doc_id) if doc_id not in (None, "") else default_id,
        text=text,
        source=source,
        line=line,
        url=_str_or_none(obj.get("url")),
        title=_str_or_none(obj.get("title")),
        published=published,
        warnings=warnings,
    )


def _str_or_none(value) -> str | None:
    return value if isinstance(value, str) and value else None


_CSV_COLUMNS = {  # option: (default column name, flag)
    "text_column": ("text", "--text-column"),
    "id_column": ("id", "--id-column"),
    "title_column": ("title", "--title-column"),
    "url_column": ("url", "--url-column"),
    "published_column": ("published", "--published-column"),
}


def column_names(options: SourceOptions) -> dict[str, str]:
    """The CSV columns the options name, with the default names for those not given."""
    return {k: getattr(options, k) or default for k, (default, _) in _CSV_COLUMNS.items()}


def _read_csv(stream, source: str, options: SourceOptions) -> Iterator[SourceItem]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    header = text.readline()
    delimiter = _delimiter(header)
    reader = csv.DictReader(itertools.chain([header], text), delimiter=delimiter)
    fields = reader.fieldnames or []
    columns: dict[str, str | None] = {}
    for option, (default, flag) in _CSV_COLUMNS.items():
        name = getattr(options, option)
        if name is None:
            name = default if default in fields or option == "text_column" else None
        if name is not None and name not in fields:
            hint = "name the text column with" if option == "text_column" else "check"
            read_as = "; the file is read as semicolon-delimited" if delimiter == ";" else ""
            yield _reject(
                source,
                1,
                f"no column {name!r} (columns: {', '.join(fields) or 'none'}{read_as}); "
                f"{hint} {flag}",
            )
            return
        columns[option] = name
    text_column = columns["text_column"]

    def cell(row: dict, option: str) -> str | None:
        name = columns[option]
        return (row.get(name) or None) if name else None

    try:
        for row in reader:
            n = reader.line_num
            value = row.get(text_column)
            if value is None:
                yield _reject(source, n, f"the row has no {text_column!r} value")
                continue
            if any("\udc80" <= ch <= "\udcff" for v in row.values() if v for ch in v):
                yield _not_utf8_from(source, n, "row")
                return
            published, warnings = published_date(
                cell(row, "published_column"), f"column {columns['published_column']!r}"
            )
            yield Document(
                ordinal=-1,
                id=cell(row, "id_column") or f"{source}:{n}",
                text=value,
                source=source,
                line=n,
                url=cell(row, "url_column"),
                title=cell(row, "title_column"),
                published=published,
                warnings=warnings,
            )
    except csv.Error as e:
        yield _reject(source, reader.line_num, f"CSV error: {e}")


def _delimiter(header: str) -> str:
    """``,``, or ``;`` when the header read with commas is one column holding a ``;`` (as
    spreadsheets write CSV where the comma is the decimal mark)."""
    fields = next(csv.reader([header]), [])
    return ";" if len(fields) == 1 and ";" in fields[0] else ","


def _read_feed(stream, source: str, options: SourceOptions) -> Iterator[SourceItem]:
    import feedparser

    data = stream.read()
    feed = feedparser.parse(data)
    problem = _xml_problem(data, feed.get("encoding"))
    readable = feed.entries and any(e.get("content") or e.get("summary") for e in feed.entries)
    if problem is not None and (problem.cut_off or not readable):
        yield _reject(source, problem.line, f"the feed could not be parsed: {problem.reason}")
        return
    if not readable:
        yield _reject(source, None, "the feed has no entries")
        return
    # Real feeds often hold a stray "&" or an undeclared "&nbsp;": their entries are read as a
    # feed reader reads them, each with a warning; only a feed that ends too soon is refused.
    warnings = (
        []
        if problem is None
        else [
            f"the feed is not well-formed XML (line {problem.line}: {problem.reason}); its "
            "entries were read as a feed reader reads them: check them against the source"
        ]
    )
    for i, entry in enumerate(feed.entries, 1):
        title = entry.get("title") or None
        content = entry.get("content")
        body = content[0].get("value", "") if content else entry.get("summary", "")
        text = "\n\n".join(x for x in (title, fragment_text(body) if body else "") if x)
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
            warnings=list(warnings),
        )


@dataclass(frozen=True)
class _XmlProblem:
    line: int
    reason: str
    cut_off: bool  # the document ends too soon: part of the feed is missing


_CUT_OFF = frozenset(  # expat's errors for a document that ends too soon
    expat.errors.codes[message]
    for message in (
        expat.errors.XML_ERROR_NO_ELEMENTS,
        expat.errors.XML_ERROR_UNCLOSED_TOKEN,
        expat.errors.XML_ERROR_UNCLOSED_CDATA_SECTION,
        expat.errors.XML_ERROR_PARTIAL_CHAR,
    )
)


def _xml_problem(data: bytes, encoding: str | None) -> _XmlProblem | None:
    """Where ``data`` is not well-formed XML (a feed cut off, a mismatched tag, a bare ``&``):
    its line, what is wrong at which column, and whether it is cut off; None when it is
    well-formed. Feed readers recover from such errors by guessing, so a feed cut off would
    pass as complete. Blank space before the XML declaration, a common and harmless slip, is
    allowed."""
    body = data.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte order mark
    xml = body.lstrip()
    blank = body[: len(body) - len(xml)]
    parser = expat.ParserCreate(namespace_separator=" ")
    try:
        try:
            parser.Parse(xml, True)
        except ValueError:  # a multi-byte encoding expat does not decode: check the text
            parser = expat.ParserCreate(namespace_separator=" ")
            parser.Parse(_decode(xml, encoding), True)
    except expat.ExpatError as e:
        column = e.offset + 1 + (len(blank) - blank.rfind(b"\n") - 1 if e.lineno == 1 else 0)
        reason = f"{expat.errors.messages[e.code]} at column {column}"
        cut_off = e.code in _CUT_OFF
        if cut_off:
            reason += "; the feed is cut off (fetch or copy it again)"
        return _XmlProblem(e.lineno + blank.count(b"\n"), reason, cut_off)
    return None


def _decode(data: bytes, encoding: str | None) -> str:
    try:
        return data.decode(encoding or "utf-8", errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([-\w.:]+)""", re.IGNORECASE)
# What browsers read these declarations as (the WHATWG Encoding Standard): pages that declare
# Latin-1 often hold windows-1252's curly quotes and dashes, and a <meta> cannot be UTF-16.
_AS_BROWSERS_READ = {
    **dict.fromkeys(
        ("iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii"), "cp1252"
    ),
    **dict.fromkeys(("utf-16", "utf-16le", "utf-16be"), "utf-8"),
}


def _page_text(data: bytes) -> tuple[str, list[str]]:
    """A page's text, read in the charset its ``<meta>`` declares (else UTF-8), and a warning
    when some of its bytes are not in that charset (replaced with U+FFFD)."""
    found = _META_CHARSET.search(data[:4096])
    declared = found.group(1).decode("ascii").lower() if found else None
    charset = _AS_BROWSERS_READ.get(declared, declared) or "utf-8"
    try:
        return data.decode(charset), []
    except UnicodeDecodeError as e:
        what = f"{declared} as it declares" if declared else "UTF-8"
        why = "" if declared else " and declares no charset (<meta charset>)"
        warning = (
            f"the page is not valid {what} (byte {e.start}){why}: what could not be read was "
            "replaced with U+FFFD; save it as UTF-8 or declare its charset"
        )
        return _decode(data, charset), [warning]
    except LookupError:  # a charset Python does not know
        return _decode(data, None), []


def _read_html(stream, source: str, options: SourceOptions) -> Iterator[SourceItem]:
    import trafilatura

    html, warnings = _page_text(stream.read())
    text = trafilatura.extract(html, include_comments=False, include_tables=False)
    if not text:
        yield _reject(source, None, "no main text found in the HTML page")
        return
    meta = trafilatura.extract_metadata(html)
    published, date_warnings = page_published(html)
    yield Document(
        ordinal=-1,
        id=(meta.url if meta and meta.url else None) or source,
        text=text,
        source=source,
        url=(meta.url if meta and meta.url else None)
        or (source if source.startswith("http") else None),
        title=meta.title if meta else None,
        published=published,
        warnings=[*warnings, *date_warnings],
    )


def _read_text(stream, source: str, options: SourceOptions) -> Iterator[SourceItem]:
    data = stream.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        yield _not_utf8_whole(source, data, e)
        return
    yield Document(ordinal=-1, id=source, text=text, source=source)
