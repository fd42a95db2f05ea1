"""HTML in batch inputs: the text of a feed entry's HTML (every piece of it, one paragraph per
line), and a page's publication date (only from markup that states it)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from service.batch.dates import published_date

# elements that start and end a line; every other element's text flows into the line it is in
_BLOCKS = frozenset(
    "address article aside blockquote caption center dd details dialog div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main nav ol p pre "
    "section summary table tbody tfoot thead tr ul".split()
)
_CELLS = frozenset({"td", "th"})  # table cells: separated by a space on their row's line
_HIDDEN = frozenset({"script", "style", "template"})  # not text


def fragment_text(fragment: str) -> str:
    """The text of a feed entry's HTML, in order: each paragraph, heading, list item (``- ``)
    or other block on its own line, text outside any block included; spaces collapsed, entities
    decoded, scripts and styles left out."""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):  # not markup lxml can read: keep it as it is
        return " ".join(fragment.split())
    lines = (" ".join(line.split()) for line in "".join(_pieces(root, pre=False)).split("\n"))
    return "\n".join(line for line in lines if line)


def _pieces(el, pre: bool) -> Iterator[str]:
    """``el``'s text and its tail, with a newline where a block starts or ends."""
    tag = el.tag.lower() if isinstance(el.tag, str) else None  # None: a comment
    if tag is not None and tag not in _HIDDEN:
        inner = pre or tag == "pre"
        if tag in _BLOCKS or tag == "br":
            yield "\n"
        elif tag in _CELLS:
            yield " "
        if tag == "li" and "".join(el.itertext()).strip():
            yield "- "
        if el.text:
            yield _flow(el.text, inner)
        for child in el:
            yield from _pieces(child, inner)
        if tag in _BLOCKS:
            yield "\n"
        elif tag in _CELLS:
            yield " "
    if el.tail:
        yield _flow(el.tail, pre)


def _flow(text: str, pre: bool) -> str:
    """A line break in HTML text is a space, except in ``<pre>``."""
    return text if pre else text.replace("\n", " ")


# <meta name|property|itemprop="..."> that state when the page was published (lower case)
_PUBLISHED_META = frozenset(
    {
        "article:published_time",
        "og:published_time",
        "datepublished",
        "pubdate",
        "publishdate",
        "publish-date",
        "publish_date",
        "publication_date",
        "date_published",
        "dc.date.issued",
        "dcterms.issued",
        "dc.date",
        "dcterms.date",
        "dcterms.created",
        "citation_publication_date",
        "parsely-pub-date",
    }
)


def page_published(html: str) -> tuple[str | None, list[str]]:
    """A page's publication date (ISO 8601) and warnings: the first date the page states in
    publication-date markup that can be read (``<meta>`` such as ``article:published_time``,
    JSON-LD ``datePublished``, microdata ``itemprop="datePublished"``, ``<time pubdate>``);
    None when it states none. Dates in its text (a copyright line, a list of other articles) and
    its URL are not publication dates. A stated date that cannot be read is a warning."""
    import lxml.html
    from lxml import etree

    try:
        tree = lxml.html.fromstring(html.encode(), parser=lxml.html.HTMLParser(encoding="utf-8"))
    except (etree.ParserError, ValueError):
        return None, []
    first_warnings: list[str] = []
    for value in _stated_dates(tree):
        published, warnings = published_date(value, "the page's publication date")
        if published is not None:
            return published, []
        first_warnings = first_warnings or warnings
    return None, first_warnings


def _stated_dates(tree) -> Iterator[str]:
    for meta in tree.iter("meta"):
        names = (meta.get(a, "").strip().lower() for a in ("name", "property", "itemprop"))
        if any(n in _PUBLISHED_META for n in names) and meta.get("content", "").strip():
            yield meta.get("content")
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        yield from _json_ld_dates(data)
    for el in tree.xpath('//*[@itemprop="datePublished"][not(self::meta)] | //time[@pubdate]'):
        value = el.get("datetime") or el.get("content") or el.text_content()
        if value.strip():
            yield value


def _json_ld_dates(data) -> Iterator[str]:
    """Every ``datePublished`` in a JSON-LD value, in document order."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "datePublished" and isinstance(value, str):
                yield value
            else:
                yield from _json_ld_dates(value)
    elif isinstance(data, list):
        for value in data:
            yield from _json_ld_dates(value)
