"""HTML to text for batch scoring: a feed entry's HTML keeps every piece of its text, in order,
one paragraph per line; a page's publication date comes only from publication-date markup."""

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.batch.markup import fragment_text, page_published


@pytest.mark.parametrize(
    ("fragment", "text"),
    [
        (
            "Lead sentence one.<p>Second para.</p><p>Third para.</p>",
            "Lead sentence one.\nSecond para.\nThird para.",
        ),
        (
            "Rebels recruited boys aged 13.</p><p>The United Nations condemned it.",
            "Rebels recruited boys aged 13.\nThe United Nations condemned it.",
        ),
        (
            '<img src="x.jpg"/>Militia fighters attacked the camp.<div>More to come.</div>',
            "Militia fighters attacked the camp.\nMore to come.",
        ),
        ("<p>First.</p>Between the blocks.<p>Last.</p>", "First.\nBetween the blocks.\nLast."),
        ("<p>Block.</p>After the last block.", "Block.\nAfter the last block."),
        ("<h2>Heading</h2>Body text.", "Heading\nBody text."),
        ("Gunmen <b>burned</b> the <a href='/s'>school</a>.", "Gunmen burned the school."),
        ("One.<br/><br/>Two.", "One.\nTwo."),
        ("Fish &amp; chips &lt;3", "Fish & chips <3"),
        ("<ul><li>Two boys</li><li>were taken.</li></ul>", "- Two boys\n- were taken."),
        ("<table><tr><td>Killed</td><td>3</td></tr></table>", "Killed 3"),
        ("<p>Kept.</p><script>var x = 1;</script><style>p {}</style><!-- note -->", "Kept."),
        ("  spaced \n  out  text ", "spaced out text"),
        ("", ""),
    ],
)
def test_a_feed_fragment_keeps_all_its_text_one_paragraph_per_line(fragment, text):
    assert fragment_text(fragment) == text


_WORDS = st.lists(st.from_regex(r"[a-z]{1,8}", fullmatch=True), min_size=1, max_size=4)
_PIECES = st.lists(
    st.tuples(st.sampled_from(["", "p", "div", "h3", "b", "span", "blockquote"]), _WORDS),
    min_size=1,
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(pieces=_PIECES, breaks=st.booleans())
def test_no_word_of_a_feed_fragment_is_lost_or_moved(pieces, breaks):
    fragment = (" <br>" if breaks else " ").join(
        f"<{tag}>{' '.join(words)}</{tag}>" if tag else " ".join(words) for tag, words in pieces
    )
    assert fragment_text(fragment).split() == [w for _, words in pieces for w in words]


ARTICLE = "<p>Gunmen abducted fourteen boys from the village of Kalo on Tuesday night.</p>"


def page(head: str = "", body: str = "") -> str:
    return f"<html><head><title>Raid</title>{head}</head><body>{body}{ARTICLE}</body></html>"


@pytest.mark.parametrize(
    ("html", "published"),
    [
        (
            page('<meta property="article:published_time" content="2026-11-03T10:00:00Z">'),
            "2026-11-03T10:00:00+00:00",
        ),
        (page('<meta name="pubdate" content="2026-11-03">'), "2026-11-03"),
        (
            page('<meta itemprop="datePublished" content="2026-11-03T10:00:00+01:00">'),
            "2026-11-03T10:00:00+01:00",
        ),
        (
            page(
                '<script type="application/ld+json">'
                + json.dumps({"@type": "NewsArticle", "datePublished": "2026-11-03T08:30:00"})
                + "</script>"
            ),
            "2026-11-03T08:30:00",
        ),
        (
            page(
                '<script type="application/ld+json">'
                + json.dumps({"@graph": [{"@type": "WebSite"}, {"datePublished": "2026-11-02"}]})
                + "</script>"
            ),
            "2026-11-02",
        ),
        (page(body='<time datetime="2026-11-03" pubdate>3 Nov</time>'), "2026-11-03"),
        (
            page(body='<time itemprop="datePublished" datetime="2026-11-03T09:00">Tue</time>'),
            "2026-11-03T09:00:00",
        ),
    ],
    ids=[
        "og-article",
        "meta-pubdate",
        "meta-itemprop",
        "json-ld",
        "json-ld-graph",
        "time-pubdate",
        "time-itemprop",
    ],
)
def test_a_pages_date_comes_from_its_publication_date_markup(html, published):
    assert page_published(html) == (published, [])


@pytest.mark.parametrize(
    "html",
    [
        page(body="<footer>Copyright 2019 Daily News</footer>"),
        page(body="<footer>&copy; 2026 Daily News. All rights reserved.</footer>"),
        page(body="<p>Published 3 November 2026</p>"),
        page(body='<span class="date">2026-11-03</span>'),
        page(body='<time datetime="2026-11-03">an unrelated time</time>'),
        page('<meta property="article:modified_time" content="2026-11-04T10:00:00Z">'),
        page('<link rel="canonical" href="https://news.example/2026/11/03/raid">'),
    ],
    ids=["copyright", "copyright-sign", "text", "date-class", "plain-time", "modified", "url"],
)
def test_a_page_without_publication_date_markup_has_no_date(html):
    assert page_published(html) == (None, [])


def test_an_unreadable_publication_date_is_a_warning():
    html = page('<meta property="article:published_time" content="03/11/2026">')
    published, warnings = page_published(html)
    assert published is None
    assert warnings == [
        "the page's publication date: '03/11/2026' is not an ISO 8601 date (YYYY-MM-DD); "
        "numeric day and month orders are not guessed; the document is scored without a date"
    ]


def test_the_first_readable_publication_date_wins():
    html = page(
        '<meta property="article:published_time" content="soon">'
        '<meta name="pubdate" content="2026-11-03">'
    )
    assert page_published(html) == ("2026-11-03", [])


def test_fragment_text_has_no_trailing_or_doubled_line_breaks():
    text = fragment_text("<div><p>A.</p>\n\n<p>B.</p></div><p></p><br>")
    assert text == "A.\nB." and not re.search(r"\n\s*\n", text)
