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
        (b'{"id": "x", "text": "caf\xe9"}', "not valid UTF-8"),
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
    assert isinstance(bad, Rejected) and "feed could not be parsed" in bad.reason


def test_html_page_keeps_the_article_not_the_menus(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(PAGE)
    (doc,) = read(tmp_path, path)
    assert "abducted fourteen boys" in doc.text
    assert "Cookie settings" not in doc.text and "Sport" not in doc.text
    assert doc.title == "Village raided"


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
    assert (docs[3].line, docs[3].reason) == (5, "column 'when': 'soon' is not a date")


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
        (str(tmp_path / "many.json"), 2, "b"),
        (str(tmp_path / "many.json"), 3, "expected a JSON object with id and text"),
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
