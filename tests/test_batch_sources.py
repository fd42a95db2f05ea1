"""Every input kind of `gravewatch score` becomes documents; bad records become rejects."""

import io
import json

import pytest

from service.batch.documents import Document, Rejected
from service.batch.fetch import Fetcher
from service.batch.sources import SourceError, SourceOptions, check_sources, read_sources
from tests.factories import PAGE, RSS

ATOM = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Feed</title><entry><title>Convoy blocked</title><id>urn:x:1</id>
<link href="https://news.example/c"/><updated>2026-11-01T08:00:00Z</updated>
<content type="html">&lt;p&gt;Trucks were turned back at the crossing.&lt;/p&gt;</content></entry></feed>"""


def read(tmp_path, *paths, **options):
    return list(read_sources([str(p) for p in paths], SourceOptions(**options), Fetcher(None)))


def test_jsonl_with_text_or_title_and_body(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(
        json.dumps({"id": "a", "text": "One."})
        + "\n"
        + json.dumps({"id": "b", "title": "Head", "body": "Body."})
        + "\n"
        + json.dumps({"text": "No id."})
        + "\n"
    )
    docs = read(tmp_path, path)
    assert [(d.id, d.text, d.ordinal) for d in docs] == [
        ("a", "One.", 0),
        ("b", "Head\n\nBody.", 1),
        (f"{path}:3", "No id.", 2),
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"{broken", "invalid JSON"),
        (b'{"id": "x"}', "the field text is missing"),
        (b'{"id": "x", "text": 3}', "the field text is not a string"),
        (b'["a"]', "expected a JSON object"),
        (b'{"id": "x", "text": "caf\xe9"}', "not valid UTF-8 from this line on"),
        (b'{"id": "x", "text": "   "}', "the document has no text"),
    ],
)
def test_bad_jsonl_lines_are_rejected_with_their_line(tmp_path, line, reason):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"id": "ok", "text": "Fine."}\n' + line + b"\n")
    ok, bad = read(tmp_path, path)
    assert isinstance(ok, Document) and isinstance(bad, Rejected)
    assert (bad.source, bad.line, bad.ordinal) == (str(path), 2, 1)
    assert reason in bad.reason


def test_csv_with_named_columns(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('ref,body,url\nr1,"Shelling hit the clinic, wounding two boys.",https://x/1\n')
    (doc,) = read(tmp_path, path, text_column="body", id_column="ref")
    assert (doc.id, doc.url, doc.line) == ("r1", "https://x/1", 2)
    assert doc.text.startswith("Shelling")


SAVE_AS_UTF8 = (
    "Gravewatch reads UTF-8: save it as UTF-8 (iconv -f latin1 -t UTF-8 if it is Latin-1)"
)
LATIN1_RECORD = {  # a format read line by line: its header, a record, what a line is called
    "in.csv": ("id,text\n", "{id},{text}\n", "row"),
    "in.jsonl": ("", '{{"id": "{id}", "text": "{text}"}}\n', "line"),
}


@pytest.mark.parametrize("name", LATIN1_RECORD)
def test_a_latin1_file_read_line_by_line_is_refused_once_at_its_first_bad_line(tmp_path, name):
    """Its lines before are read; the lines after, in the same encoding, are not rejected one
    by one."""
    head, record, unit = LATIN1_RECORD[name]
    rows = [
        record.format(id=f"d{i}", text=f"Enfants enlev\xe9s \xe0 l'\xe9cole {i}.")
        for i in range(200)
    ]
    path = tmp_path / name
    path.write_bytes(
        (head + record.format(id="a", text="Shelling hit the clinic.")).encode()
        + "".join(rows).encode("latin-1")
        + record.format(id="b", text="Fine.").encode()
    )
    ok, bad = read(tmp_path, path)
    assert isinstance(ok, Document) and ok.id == "a"
    assert (bad.source, bad.line) == (str(path), ok.line + 1)
    assert bad.reason == (
        f"the file is not valid UTF-8 from this {unit} on and was read no further; {SAVE_AS_UTF8}"
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("in.txt", "Shelling hit the clinic.\nEnfants enlev\xe9s.\n"),
        (
            "in.json",
            '[{"id": "a", "text": "Shelling hit the clinic."},\n{"id": "b", "text": "\xe9"}]',
        ),
    ],
)
def test_a_latin1_file_read_whole_is_refused_at_the_line_of_its_first_bad_byte(
    tmp_path, name, content
):
    path = tmp_path / name
    path.write_bytes(content.encode("latin-1"))
    (bad,) = read(tmp_path, path)
    byte = content.index("\xe9")
    assert (bad.source, bad.line) == (str(path), 2)
    assert (
        bad.reason == f"the file is not valid UTF-8 (byte {byte}) and was not read; {SAVE_AS_UTF8}"
    )


def test_csv_without_the_text_column_names_the_columns(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("id,body\n1,x\n")
    (bad,) = read(tmp_path, path)
    assert "no column 'text' (columns: id, body)" in bad.reason


def test_rss_entries_become_documents_without_markup(tmp_path):
    path = tmp_path / "feed.rss"
    path.write_text(RSS)
    first, second = read(tmp_path, path)
    assert first.id == "a1" and first.url == "https://news.example/a"
    assert first.text == "School attacked\n\nGunmen burned the school."
    assert first.published == "2026-11-03T10:00:00+00:00"
    assert second.id == "https://news.example/b"


def test_atom_entries_become_documents(tmp_path):
    path = tmp_path / "feed.atom"
    path.write_text(ATOM)
    (doc,) = read(tmp_path, path)
    assert doc.id == "urn:x:1" and doc.text.endswith("Trucks were turned back at the crossing.")


def test_unparseable_feed_is_rejected(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_text("<rss><channel><item><title>cut off")
    (bad,) = read(tmp_path, path)
    assert isinstance(bad, Rejected) and (bad.line, bad.reason) == (
        1,
        "the feed could not be parsed: no element found at column 35; the feed is cut off "
        "(fetch or copy it again)",
    )


def test_html_page_keeps_the_article_not_the_menus(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(PAGE)
    (doc,) = read(tmp_path, path)
    assert "abducted fourteen boys" in doc.text
    assert "Cookie settings" not in doc.text and "Sport" not in doc.text
    assert doc.title == "Village raided"


@pytest.mark.parametrize(
    "declaration",
    [
        '<meta charset="windows-1252">',
        "<meta http-equiv='Content-Type' content='text/html; charset=ISO-8859-1'>",
    ],
)
def test_html_page_is_read_in_the_charset_it_declares(tmp_path, declaration):
    """An older European news page in windows-1252 (ISO-8859-1 is read as windows-1252, as
    browsers do): its accents and curly quotes survive, not replaced by U+FFFD."""
    page = PAGE.replace("<head>", f"<head>{declaration}").replace(
        "abducted fourteen boys", "abducted fourteen écoliers ’s"
    )
    path = tmp_path / "page.html"
    path.write_bytes(page.encode("cp1252"))
    (doc,) = read(tmp_path, path)
    assert "abducted fourteen écoliers ’s" in doc.text
    assert doc.warnings == []


def test_directory_is_read_recursively_in_sorted_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("Text file.")
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "j", "text": "Line."}) + "\n")
    (tmp_path / "notes.md").write_text("ignored")
    docs = read(tmp_path, tmp_path)
    assert [d.id for d in docs] == ["j", str(tmp_path / "b" / "z.txt")]


def test_standard_input_is_sniffed(monkeypatch):
    data = json.dumps({"id": "s", "text": "From stdin."}).encode() + b"\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(data))))
    (doc,) = list(read_sources(["-"], SourceOptions(), Fetcher(None)))
    assert (doc.id, doc.source) == ("s", "-")


def test_missing_path_fails_before_anything_is_read(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        check_sources([str(tmp_path / "nope.jsonl")])


def test_too_long_document_is_rejected(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "x" * 50}) + "\n")
    (bad,) = read(tmp_path, path, max_document_chars=10)
    assert "the limit is 10" in bad.reason


ATOM_PARAGRAPHS = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Feed</title><entry><title>Raid</title><id>urn:x:2</id>
<content type="html">&lt;p&gt;Wire Service&lt;/p&gt;&lt;p&gt;KESSABA - Gunmen raided the school.&lt;/p&gt;
&lt;ul&gt;&lt;li&gt;Two boys were taken.&lt;/li&gt;&lt;/ul&gt;</content></entry></feed>"""


def test_atom_html_keeps_its_paragraph_breaks(tmp_path):
    path = tmp_path / "feed.atom"
    path.write_text(ATOM_PARAGRAPHS)
    (doc,) = read(tmp_path, path)
    assert doc.text == (
        "Raid\n\nWire Service\nKESSABA - Gunmen raided the school.\n- Two boys were taken."
    )


def test_rss_html_keeps_its_paragraph_breaks(tmp_path):
    path = tmp_path / "feed.rss"
    path.write_text(
        RSS.replace(
            "&lt;p&gt;Gunmen &lt;b&gt;burned&lt;/b&gt; the school.&lt;/p&gt;",
            "&lt;p&gt;Wire Service&lt;/p&gt;&lt;p&gt;KESSABA - Gunmen burned it.&lt;/p&gt;",
        ).replace("Markets reopened.", "Plain &amp;amp; text&lt;br&gt;second line")
    )
    first, second = read(tmp_path, path)
    assert first.text == "School attacked\n\nWire Service\nKESSABA - Gunmen burned it."
    assert second.text == "Markets\n\nPlain & text\nsecond line"


def test_csv_title_url_and_published_columns(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(
        "ref,body,headline,link,when\n"
        'r1,"Shelling hit the clinic.",Clinic hit,https://x/1,2026-11-03 10:15\n'
        'r2,"Schools closed.",Closures,https://x/2,3 Nov 2026\n'
        'r3,"Convoy blocked.",Convoy,https://x/3,"Tue, 03 Nov 2026 10:00:00 GMT"\n'
        'r4,"Late.",Late,https://x/4,soon\n'
    )
    options = dict(text_column="body", id_column="ref", title_column="headline")
    docs = read(tmp_path, path, **options, url_column="link", published_column="when")
    assert [(d.id, d.title, d.url, d.published) for d in docs[:3]] == [
        ("r1", "Clinic hit", "https://x/1", "2026-11-03T10:15:00"),
        ("r2", "Closures", "https://x/2", "2026-11-03"),
        ("r3", "Convoy", "https://x/3", "2026-11-03T10:00:00+00:00"),
    ]
    assert (docs[3].id, docs[3].published, docs[3].warnings) == (
        "r4",
        None,
        ["column 'when': 'soon' is not a date; the document is scored without a date"],
    )


def test_csv_column_options_that_name_no_column_are_refused(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("id,text\n1,x\n")
    (bad,) = read(tmp_path, path, title_column="headline")
    assert bad.reason == "no column 'headline' (columns: id, text); check --title-column"


def test_csv_on_standard_input_with_a_text_column(monkeypatch):
    data = b"ref,body\nr1,Gunmen took the boys.\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(data))))
    options = SourceOptions(text_column="body", id_column="ref")
    (doc,) = list(read_sources(["-"], options, Fetcher(None)))
    assert (doc.id, doc.text, doc.source, doc.line) == ("r1", "Gunmen took the boys.", "-", 2)


def test_json_files_holding_an_array_or_an_object_are_read(tmp_path):
    (tmp_path / "many.json").write_text(
        json.dumps([{"id": "a", "text": "One."}, {"id": "b", "title": "T", "body": "Two."}, 3])
    )
    (tmp_path / "one.json").write_text(json.dumps({"id": "c", "text": "Three."}))
    (tmp_path / "scalar.json").write_text("42")
    records = read(tmp_path, tmp_path)
    assert [(r.source, r.line, getattr(r, "id", None) or r.reason) for r in records] == [
        (str(tmp_path / "many.json"), 1, "a"),
        (str(tmp_path / "many.json"), 1, "b"),
        (str(tmp_path / "many.json"), 1, "item 3: expected a JSON object with id and text"),
        (str(tmp_path / "one.json"), 1, "c"),
        (str(tmp_path / "scalar.json"), None, "expected a JSON array of objects, or one object"),
    ]


def test_files_no_reader_takes_are_listed_as_skipped(tmp_path):
    from service.batch.sources import expand_sources

    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "j", "text": "Line."}) + "\n")
    (tmp_path / "notes.md").write_text("ignored")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "report.pdf").write_bytes(b"%PDF-1.4")
    inputs = expand_sources([str(tmp_path)])
    assert [i.name for i in inputs.items] == [str(tmp_path / "a.jsonl")]
    assert inputs.skipped == [str(tmp_path / "notes.md"), str(tmp_path / "sub" / "report.pdf")]


LEAD_RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>Kadugli</title><guid>k1</guid><description><![CDATA[Armed men killed three children \
aged 5 to 9 in Kadugli.<p>The army said it would investigate.</p>]]></description></item>
<item><title>Camp</title><guid>k2</guid><description><![CDATA[Rebels recruited dozens of boys \
in the camp.</p><p>The United Nations condemned the practice.]]></description></item>
</channel></rss>"""


def test_feed_entries_keep_the_text_before_their_first_paragraph(tmp_path):
    path = tmp_path / "lead.rss"
    path.write_text(LEAD_RSS)
    assert [d.text for d in read(tmp_path, path)] == [
        "Kadugli\n\nArmed men killed three children aged 5 to 9 in Kadugli.\n"
        "The army said it would investigate.",
        "Camp\n\nRebels recruited dozens of boys in the camp.\n"
        "The United Nations condemned the practice.",
    ]


def test_a_page_whose_only_year_is_its_copyright_line_has_no_date(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(PAGE.replace("Copyright 2026", "Copyright 2019"))
    (doc,) = read(tmp_path, path)
    assert doc.published is None and doc.warnings == []


def test_a_page_takes_its_date_from_its_publication_date_markup(tmp_path):
    path = tmp_path / "page.html"
    meta = '<meta property="article:published_time" content="2026-11-03T10:00:00Z">'
    path.write_text(PAGE.replace("</title>", "</title>" + meta))
    (doc,) = read(tmp_path, path)
    assert doc.published == "2026-11-03T10:00:00+00:00"


@pytest.mark.parametrize(
    ("feed", "line", "reason"),
    [
        (
            RSS[: RSS.index("Markets reopened.") + len("Markets")],
            6,
            "the feed could not be parsed: no element found at column 21; the feed is cut off "
            "(fetch or copy it again)",
        ),
        (
            RSS.replace("]]>", "").replace("<description>Markets", "<description><![CDATA[Mar")[
                : RSS.index("Markets reopened.") + 20
            ],
            6,
            "the feed could not be parsed: unclosed CDATA section at column 34; the feed is cut "
            "off (fetch or copy it again)",
        ),
        (
            "<rss><channel><title>Nothing here</title>\n<item><title>A & B</titel>",
            2,
            "the feed could not be parsed: not well-formed (invalid token) at column 17",
        ),
    ],
    ids=["cut-in-text", "cut-in-cdata", "nothing-readable"],
)
def test_a_feed_cut_off_or_with_nothing_readable_is_rejected_whole_with_its_line_and_column(
    tmp_path, feed, line, reason
):
    path = tmp_path / "feed.xml"
    path.write_text(feed)
    records = read(tmp_path, path)
    assert [(type(r), r.line, r.reason) for r in records] == [(Rejected, line, reason)]


@pytest.mark.parametrize(
    ("feed", "where"),
    [
        (
            RSS.replace("<title>Markets</title>", "<title>Markets & fish</title>"),
            "line 5: not well-formed (invalid token) at column 23",
        ),
        (
            RSS.replace("Markets reopened.", "Markets&nbsp;reopened."),
            "line 6: undefined entity at column 21",
        ),
    ],
    ids=["bare-ampersand", "undeclared-entity"],
)
def test_a_feed_with_a_stray_character_is_read_with_a_warning_naming_line_and_column(
    tmp_path, feed, where
):
    path = tmp_path / "feed.xml"
    path.write_text(feed)
    records = read(tmp_path, path)
    assert records and all(isinstance(r, Document) for r in records)
    assert all(
        r.warnings
        == [
            f"the feed is not well-formed XML ({where}); its entries were read as a feed reader "
            "reads them: check them against the source"
        ]
        for r in records
    )


def test_a_feed_using_an_entity_its_doctype_declares_is_read(tmp_path):
    path = tmp_path / "feed.rss"
    path.write_text(
        RSS.replace(
            '<?xml version="1.0"?>',
            '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY dash "&#8212;">]>',
        ).replace("Markets reopened.", "Markets&dash;reopened.")
    )
    first, second = read(tmp_path, path)
    assert second.text == "Markets\n\nMarkets\u2014reopened."


def test_a_feed_in_a_legacy_encoding_is_checked_in_that_encoding(tmp_path):
    path = tmp_path / "feed.rss"
    feed = RSS.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="shift_jis"?>')
    path.write_bytes(feed.replace("Markets reopened.", "市場が再開した。").encode("shift_jis"))
    first, second = read(tmp_path, path)
    assert second.text == "Markets\n\n市場が再開した。"
    path.write_bytes(feed.replace("</title>", "</titel>", 1).encode("shift_jis"))
    assert {w for d in read(tmp_path, path) for w in d.warnings} == {
        "the feed is not well-formed XML (line 1: mismatched tag at column 84); its entries were "
        "read as a feed reader reads them: check them against the source"
    }


def test_a_jsonl_line_with_a_raw_control_character_says_so_once(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"id": "b3", "text": "cut\tin two"}\n')
    (bad,) = read(tmp_path, path)
    assert (bad.line, bad.reason) == (1, "invalid JSON: Invalid control character at column 26")


def test_json_array_items_are_located_by_their_line_and_named_by_their_place(tmp_path):
    path = tmp_path / "arr.json"
    items = [{"id": "a", "text": "One."}, {"text": "No id."}, {"id": "c", "text": "  "}, 5]
    path.write_text(json.dumps(items, indent=2))
    records = read(tmp_path, path)
    assert [(r.line, getattr(r, "id", None) or r.reason) for r in records] == [
        (2, "a"),
        (6, f"{path}#2"),
        (9, "the document has no text"),
        (13, "item 4: expected a JSON object with id and text"),
    ]


def test_an_invalid_json_file_is_rejected_with_its_line_and_column(tmp_path):
    path = tmp_path / "arr.json"
    path.write_text('[\n  {"id": "a", "text": "One."},\n  {"id": "b" "text": "Two."}\n]')
    (bad,) = read(tmp_path, path)
    assert (bad.line, bad.reason) == (
        3,
        "invalid JSON: Expecting ',' delimiter at column 14",
    )


def test_a_one_line_json_array_names_items_by_their_place(tmp_path):
    path = tmp_path / "arr.json"
    path.write_text(json.dumps([{"id": "a", "text": "One."}, {"text": "Two."}, 5]))
    records = read(tmp_path, path)
    assert [(r.line, getattr(r, "id", None) or r.reason) for r in records] == [
        (1, "a"),
        (1, f"{path}#2"),
        (1, "item 3: expected a JSON object with id and text"),
    ]


CSV_DATES = (
    "id,text,date\n"
    "1,Shelling hit a school.,2026-12-03\n"
    "2,Girls were abducted.,03/12/2026\n"
    "3,A clinic was struck.,not a date\n"
    "4,Boys were recruited.,2026-13-45\n"
    "5,Convoys were blocked.,\n"
)


def test_csv_dates_that_cannot_be_read_are_left_empty_with_a_warning(tmp_path):
    path = tmp_path / "dates.csv"
    path.write_text(CSV_DATES)
    docs = read(tmp_path, path, published_column="date")
    assert [(type(d), d.id, d.line, d.published, d.warnings) for d in docs] == [
        (Document, "1", 2, "2026-12-03", []),
        (
            Document,
            "2",
            3,
            None,
            [
                "column 'date': '03/12/2026' is not an ISO 8601 date (YYYY-MM-DD); numeric day "
                "and month orders are not guessed; the document is scored without a date"
            ],
        ),
        (
            Document,
            "3",
            4,
            None,
            ["column 'date': 'not a date' is not a date; the document is scored without a date"],
        ),
        (
            Document,
            "4",
            5,
            None,
            ["column 'date': '2026-13-45' is not a date; the document is scored without a date"],
        ),
        (Document, "5", 6, None, []),
    ]


def test_jsonl_published_dates_are_read_like_csv_dates(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(
        json.dumps({"id": "a", "text": "One.", "published": "2026-12-03T14:05:00Z"})
        + "\n"
        + json.dumps({"id": "b", "text": "Two.", "published": "03/12/2026"})
        + "\n"
        + json.dumps({"id": "c", "text": "Three.", "published": 20261203})
        + "\n"
    )
    a, b, c = read(tmp_path, path)
    assert (a.published, a.warnings) == ("2026-12-03T14:05:00+00:00", [])
    assert (b.published, b.warnings) == (
        None,
        [
            "field published: '03/12/2026' is not an ISO 8601 date (YYYY-MM-DD); numeric day "
            "and month orders are not guessed; the document is scored without a date"
        ],
    )
    assert (c.published, c.warnings) == (
        None,
        ["field published: 20261203 is not a string; the document is scored without a date"],
    )


def test_a_semicolon_delimited_csv_is_read_as_such(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text(
        "id;body;when\n"
        "s-en;Two boys, aged 12 and 14, were killed.;2026-12-03\n"
        's-ru;"Боевики похитили школьниц; о судьбе девочек ничего не известно.";\n'
    )
    docs = read(tmp_path, path, text_column="body", published_column="when")
    assert [(d.id, d.text, d.line, d.published) for d in docs] == [
        ("s-en", "Two boys, aged 12 and 14, were killed.", 2, "2026-12-03"),
        ("s-ru", "Боевики похитили школьниц; о судьбе девочек ничего не известно.", 3, None),
    ]


def test_a_comma_delimited_csv_with_semicolons_in_its_cells_stays_comma_delimited(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('id,text\n1,"One; two; three."\n2,Four; five.\n')
    docs = read(tmp_path, path)
    assert [(d.id, d.text) for d in docs] == [("1", "One; two; three."), ("2", "Four; five.")]


def test_a_semicolon_delimited_csv_without_the_text_column_lists_its_columns(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("id;body\ns1;Text.\n")
    (bad,) = read(tmp_path, path)
    assert (bad.line, bad.reason) == (
        1,
        "no column 'text' (columns: id, body; the file is read as semicolon-delimited); name "
        "the text column with --text-column",
    )


def test_a_feed_with_blank_lines_before_its_xml_declaration_is_read(tmp_path):
    path = tmp_path / "feed.rss"
    path.write_bytes(b"\xef\xbb\xbf\n  \n" + RSS.encode())
    assert [d.id for d in read(tmp_path, path)] == ["a1", "https://news.example/b"]
    path.write_bytes(b"\n  " + RSS.replace("</title>", "</titel>", 1).encode())
    assert {w for d in read(tmp_path, path) for w in d.warnings} == {
        "the feed is not well-formed XML (line 2: mismatched tag at column 65); its entries were "
        "read as a feed reader reads them: check them against the source"
    }


def test_html_page_in_another_charset_that_declares_none_is_scored_with_a_warning(tmp_path):
    path = tmp_path / "page.html"
    path.write_bytes(
        PAGE.replace("abducted fourteen boys", "abducted fourteen écoliers").encode("cp1252")
    )
    (doc,) = read(tmp_path, path)
    assert "abducted fourteen \ufffdcoliers" in doc.text
    assert doc.warnings == [
        f"the page is not valid UTF-8 (byte {PAGE.index('abducted fourteen') + 18}) and declares "
        "no charset (<meta charset>): what could not be read was replaced with U+FFFD; save it "
        "as UTF-8 or declare its charset"
    ]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("in.jsonl", '{"id": "a", "text": "One."}\n{"id": "b", "text": "Two."}\n', ["a", "b"]),
        ("in.json", '[{"id": "a", "text": "One."}]', ["a"]),
        ("in.csv", "id,text\na,One.\n", ["a"]),
        ("in.txt", "One.", None),
        ("no-extension", '{"id": "a", "text": "One."}\n', ["a"]),
    ],
)
def test_a_utf8_byte_order_mark_is_not_part_of_the_first_record(tmp_path, name, content, expected):
    """Notepad and PowerShell write one: the first record is read, and evidence offsets
    index the text as an editor shows it, without the mark."""
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + content.encode())
    docs = read(tmp_path, path)
    assert all(isinstance(d, Document) for d in docs), docs
    assert [d.id for d in docs] == (expected or [str(path)])
    assert docs[0].text == "One."
