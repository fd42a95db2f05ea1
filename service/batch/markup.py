"""HTML to text with trafilatura, for whole pages (the article without menus or footers) and
for the HTML fragments of feed entries (every paragraph, one per line)."""

from __future__ import annotations

from functools import cache


@cache
def _fragment_config():
    from trafilatura.settings import use_config

    config = use_config()
    for key in ("MIN_EXTRACTED_SIZE", "MIN_OUTPUT_SIZE"):
        config.set("DEFAULT", key, "0")  # a feed entry may be one short sentence
    return config


def fragment_text(fragment: str) -> str:
    """The text of a feed entry's HTML, paragraphs and list items on their own lines."""
    import lxml.html
    import trafilatura

    text = trafilatura.extract(
        f"<html><body><article><div>{fragment}</div></article></body></html>",
        config=_fragment_config(),
        favor_recall=True,
        include_comments=False,
    )
    if text:
        return text.strip()
    try:  # no block structure trafilatura keeps: plain text with entities decoded
        return lxml.html.fromstring(f"<div>{fragment}</div>").text_content().strip()
    except Exception:  # noqa: BLE001 - lxml raises several types for malformed markup
        return fragment.strip()
