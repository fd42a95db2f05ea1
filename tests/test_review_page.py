"""The review page in a real browser (Debian's Chromium driven by Playwright): load the queue,
toggle labels, add spans by selecting text, submit or skip, and find the reviews in the database
exactly as shown."""

import pytest

from service.config import Settings
from service.store import repository as repo
from service.store.db import Database, upgrade
from service.store.tables import DocumentRow
from tests.browser import ASTRAL, CHOSEN_SPANS, TEXT, Site, select_text, shown_text
from tests.servers import live_server

pytestmark = pytest.mark.browser


@pytest.fixture
def site(trained, tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    store = Database(url)
    with store.sessions.begin() as session:
        keys = {role: repo.create_key(session, f"k-{role}", role) for role in repo.ROLES}
    settings = Settings(models_dir=trained[0], database_url=url, data_dir=tmp_path)
    with live_server(settings) as base:
        yield Site(base, store, keys)
    store.close()


def test_review_in_the_browser_is_stored_as_shown(site, browser):
    doc_id, labels = site.add(TEXT, "feeds/2026/boarding-school.txt")
    predicted = [label["label"] for label in labels]
    assert "abduction" in predicted

    page = site.open(browser)
    page.wait_for_selector("#workspace:not([hidden])")
    assert shown_text(page) == TEXT
    assert "feeds/2026/boarding-school.txt" in page.inner_text("#meta")
    assert page.locator("#labels li.on").count() == len(predicted)

    page.locator("#text").focus()
    page.keyboard.press("1")  # toggles killing_maiming
    start, end = TEXT.index("They abducted"), TEXT.index(" and set fire")
    select_text(page, TEXT, start, end)
    page.keyboard.press("5")  # adds the selection as abduction evidence
    shown_labels = page.eval_on_selector_all(
        "#labels li.on", "els => els.map(e => e.dataset.label)"
    )
    if "killing_maiming" in shown_labels:  # turned on with no span: give it one
        select_text(page, TEXT, start, end)
        page.keyboard.press("1")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('progress').textContent.startsWith('1 ')")

    (review,) = site.reviews()
    assert review.reviewer == "k-reviewer" and review.document_id == doc_id
    assert sorted(review.labels) == sorted(shown_labels)
    assert {"label": "abduction", "start": start, "end": end} in review.evidence
    assert page.errors == []


def highlighted_segments(text: str, labels: list) -> list[str]:
    """The pieces of ``text`` the page should highlight for the predicted spans (code points)."""
    spans = [(e["start"], e["end"]) for label in labels for e in label["evidence"]]
    cuts = sorted({0, len(text), *(a for a, _ in spans), *(b for _, b in spans)})
    return [
        text[a:b]
        for a, b in zip(cuts, cuts[1:], strict=False)
        if any(s <= a and b <= e for s, e in spans)
    ]


def test_emoji_and_arabic_text_is_reviewed_by_keyboard_and_mouse_with_exact_offsets(site, browser):
    doc_id, labels = site.add(ASTRAL, "astral")
    assert labels, "the model should find something in this text"

    page = site.open(browser)
    page.wait_for_selector("#workspace:not([hidden])")
    assert shown_text(page) == ASTRAL
    marks = page.eval_on_selector_all("#text .hl", "els => els.map(e => e.textContent)")
    assert marks == highlighted_segments(ASTRAL, labels)

    # Keyboard: select across the emoji and mark it as abduction evidence.
    start = ASTRAL.index("They abducted")
    end = ASTRAL.index(" and set fire")
    select_text(page, ASTRAL, start, end)
    page.keyboard.press("5")
    arabic, arabic_end = ASTRAL.index("اختطف"), ASTRAL.index(". They")
    select_text(page, ASTRAL, arabic, arabic_end)
    page.keyboard.press("5")
    # Mouse: recruitment_use off, a span for it from the selection (key 2), then its × button
    # and a click on the label take it away again.
    recruitment = "#labels li[data-label=recruitment_use]"
    if page.locator(f"{recruitment}.on").count():
        page.click(recruitment)
    select_text(page, ASTRAL, ASTRAL.index("the dormitory"), len(ASTRAL))
    page.keyboard.press("2")
    assert page.locator(f"{recruitment}.on").count() == 1
    page.click("#spans li:last-child button")  # × on the recruitment span
    page.click(recruitment)
    assert page.locator(f"{recruitment}.on").count() == 0
    shown = page.evaluate(CHOSEN_SPANS)
    page.click("#submit")
    page.wait_for_function("() => document.getElementById('progress').textContent.startsWith('1 ')")

    (review,) = site.reviews()
    assert review.document_id == doc_id
    assert "recruitment_use" not in review.labels
    assert {"label": "abduction", "start": start, "end": end} in review.evidence
    assert {"label": "abduction", "start": arabic, "end": arabic_end} in review.evidence
    for span in review.evidence:
        assert 0 <= span["start"] < span["end"] <= len(ASTRAL)
    # What the page showed (UTF-16) is what was stored (code points), span for span.
    assert sorted((s["label"], ASTRAL[s["start"] : s["end"]]) for s in review.evidence) == sorted(
        (s["label"], page_slice(ASTRAL, s)) for s in shown
    )
    assert page.errors == []


def page_slice(text: str, span: dict) -> str:
    """``text`` cut at UTF-16 offsets, as the page holds them."""
    units = text.encode("utf-16-le")
    return units[2 * span["start"] : 2 * span["end"]].decode("utf-16-le")


def test_skip_moves_on_and_releases_the_claim(site, browser):
    first, _ = site.add(TEXT, "one")
    second, _ = site.add(ASTRAL, "two")
    page = site.open(browser)
    page.wait_for_selector("#workspace:not([hidden])")
    shown_first = shown_text(page)
    page.keyboard.press("Escape")
    page.wait_for_function(f"() => document.getElementById('text').innerText !== {shown_first!r}")
    assert {shown_first, shown_text(page)} == {TEXT, ASTRAL}
    with site.store.sessions() as session:
        skipped = first if shown_first == TEXT else second
        assert session.get(DocumentRow, skipped).claimed_by is None
    page.click("#skip")
    page.wait_for_selector("#empty:not([hidden])")
    assert not page.is_visible("#workspace") and not page.is_visible("#submit")
    assert site.reviews() == []
    assert page.errors == []


def test_enter_on_a_button_never_submits_and_one_view_stores_one_review(site, browser):
    site.add(TEXT, "one")
    site.add(ASTRAL, "two")
    page = site.open(browser)
    page.wait_for_selector("#workspace:not([hidden])")
    spans_before = page.locator("#spans li").count()
    assert spans_before > 0
    page.focus("#spans li button")  # ×
    page.keyboard.press("Enter")  # removes that span, and nothing else
    assert page.locator("#spans li").count() == spans_before - 1
    page.focus("#comment")
    page.keyboard.press("Enter")  # a new line in the comment
    page.focus("#skip")
    first = shown_text(page)
    page.keyboard.press("Enter")  # skips
    page.wait_for_function(f"() => document.getElementById('text').innerText !== {first!r}")
    assert site.reviews() == []

    page.evaluate("state.chosen.clear(); state.spans = []; render()")  # a review with no label
    page.locator("#text").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.wait_for_selector("#empty:not([hidden])")
    page.wait_for_timeout(300)
    assert len(site.reviews()) == 1
    assert page.errors == []


def test_an_empty_queue_leaves_nothing_to_submit(site, browser):
    page = site.open(browser)
    page.wait_for_selector("#empty:not([hidden])")
    assert not page.is_visible("#workspace") and not page.is_visible("#login")
    page.keyboard.press("Enter")
    page.wait_for_timeout(200)
    assert site.reviews() == []


def test_a_reader_key_is_told_what_it_lacks_and_can_try_another(site, browser):
    site.add(TEXT, "one")
    page = site.open(browser, role="reader")
    page.wait_for_selector("#login:not([hidden])")
    assert not page.is_visible("#workspace")
    assert "needs reviewer" in page.inner_text("#login-message")
    page.fill("#api-key", site.keys["reviewer"])
    page.click("text=Start reviewing")
    page.wait_for_selector("#workspace:not([hidden])")
    assert shown_text(page) == TEXT


def test_the_page_loads_and_signs_in_without_a_failed_request_or_console_error(site, browser):
    """Not even the browser's own request for an icon."""
    site.add(TEXT, "one")
    page = browser.new_page()
    failures: list[str] = []
    page.on("console", lambda m: m.type == "error" and failures.append(m.text))
    page.on("response", lambda r: r.status >= 400 and failures.append(f"{r.status} {r.url}"))
    page.goto(f"{site.base}/review")
    page.wait_for_selector("#login:not([hidden])")
    page.fill("#api-key", site.keys["reviewer"])
    page.click("text=Start reviewing")
    page.wait_for_selector("#workspace:not([hidden])")
    page.wait_for_load_state("networkidle")
    assert failures == []


def segments(page) -> list[dict]:
    """The pieces the text box is drawn in: offsets (UTF-16), classes, title and whether the
    browser draws them struck through."""
    return page.evaluate(
        """() => {
      let at = 0;
      return [...document.getElementById('text').childNodes].map((node) => {
        const piece = { start: at, end: at + node.textContent.length, classes: [], title: '',
          struck: false };
        at = piece.end;
        if (node.nodeType === Node.ELEMENT_NODE) {
          piece.classes = [...node.classList];
          piece.title = node.title;
          piece.struck = getComputedStyle(node).textDecorationLine.includes('line-through');
        }
        return piece;
      });
    }"""
    )


def test_a_label_switched_off_stays_struck_through_where_its_span_overlaps_another_label(
    site, browser
):
    site.add(TEXT, "one")
    page = site.open(browser)
    page.wait_for_selector("#workspace:not([hidden])")
    abducted = (TEXT.index("They abducted"), TEXT.index(" aged"))  # "They abducted 40 girls"
    girls = (TEXT.index("40 girls"), TEXT.index(" and set fire"))  # "40 girls aged 11 to 16"
    select_text(page, TEXT, *abducted)
    page.keyboard.press("5")  # abduction
    select_text(page, TEXT, *girls)
    page.keyboard.press("1")  # killing_maiming
    killing = "#labels li[data-label=killing_maiming]"
    assert page.locator(f"{killing}.on").count() == 1
    page.click(f"{killing} button")  # off: its spans stay, struck through
    assert page.locator(f"{killing}.on").count() == 0

    pieces = [p for p in segments(page) if girls[0] <= p["start"] and p["end"] <= girls[1]]
    assert "".join(TEXT[p["start"] : p["end"]] for p in pieces) == TEXT[girls[0] : girls[1]]
    for piece in pieces:
        shown = TEXT[piece["start"] : piece["end"]]
        assert piece["struck"], f"{shown!r} is not struck through"
        assert "switched off: Killing and maiming of children" in piece["title"], shown
    overlap = [p for p in pieces if p["end"] <= abducted[1]]
    assert overlap and all("hl" in p["classes"] for p in overlap)  # still abduction evidence
    assert all("Abduction of children" in p["title"] for p in overlap)
    assert page.errors == []


LIST_TEXT = (
    "Armed groups blocked the humanitarian convoy carrying vaccines for children at the "
    "checkpoint outside the city for the third week in a row."
)


def test_below_700_px_the_document_table_scrolls_sideways_with_whole_words_and_every_column(
    site, browser
):
    prediction = {
        "id": None,
        "model": "m",
        "labels": [
            {
                "label": "denial_humanitarian_access",
                "score": 0.93,
                "evidence": [
                    {"start": 0, "end": 43, "text": LIST_TEXT[:43], "score": 0.93},
                ],
            }
        ],
        "scores": {"denial_humanitarian_access": 0.93},
        "lang": "en",
        "flags": [],
    }
    with site.store.sessions.begin() as session:
        repo.store_prediction(
            session,
            text=LIST_TEXT,
            content_hash="h",
            prediction=prediction,
            thresholds={"denial_humanitarian_access": 0.33},
            source="Humanitarian situation reports",
            title="Vaccination convoy blocked at the checkpoint",
            published="2026-11-03",
        )
    page = site.open(browser)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_selector("#workspace:not([hidden])")
    page.click("#to-list")
    page.wait_for_selector("#doc-table tbody tr")

    source = page.locator("#doc-table tbody td:nth-child(2)")
    assert page.locator("#doc-table th:nth-child(2)").is_visible()
    assert source.is_visible() and "Humanitarian situation reports" in source.inner_text()
    # No word is broken inside itself: each is drawn on one line.
    broken = page.evaluate(
        """() => {
      const broken = [];
      const walker = document.createTreeWalker(
        document.getElementById('doc-table'), NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) {
        const node = walker.currentNode;
        for (const word of node.data.matchAll(/\\p{L}+/gu)) {
          const range = document.createRange();
          range.setStart(node, word.index);
          range.setEnd(node, word.index + word[0].length);
          if (range.getClientRects().length > 1) broken.push(word[0]);
        }
      }
      return broken;
    }"""
    )
    assert broken == []
    # The page itself does not scroll sideways; the table does, to its last column.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate("document.getElementById('doc-table').offsetWidth") > 390
    open_button = page.locator("#doc-table tbody button").first
    open_button.scroll_into_view_if_needed()
    box = open_button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("window.scrollX") == 0
    open_button.click()
    page.wait_for_selector("#workspace:not([hidden])")
    assert shown_text(page) == LIST_TEXT
    assert page.errors == []
