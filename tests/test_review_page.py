"""The review page in a real browser (Debian's Chromium driven by Playwright): load the queue,
toggle labels, add spans by selecting text, submit or skip, and find the reviews in the database
exactly as shown."""

import os
import shutil

import httpx
import pytest
from sqlalchemy import select

from service.config import Settings
from service.store import repository as repo
from service.store.db import Database, upgrade
from service.store.tables import DocumentRow, ReviewRow
from tests.servers import live_server

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TEXT = (
    "Witnesses said gunmen stormed the boarding school before dawn. "
    "They abducted 40 girls aged 11 to 16 and set fire to the dormitory."
)
# Astral characters (emoji, a skin-tone modifier, mathematical bold letters) before, inside and
# after the spans, and Arabic: JavaScript counts two UTF-16 units for each astral character.
ASTRAL = (
    "🚨📢 𝐔𝐫𝐠𝐞𝐧𝐭: witnesses said gunmen 🔫 stormed the boarding school before dawn. "
    "اختطف مسلحون 40 فتاة من المدرسة الداخلية. "
    "They abducted 40 girls 👧🏽 aged 11 to 16 and set fire to the dormitory 🔥."
)

SELECT_RANGE = """([a, b]) => {
  const box = document.getElementById("text");
  const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  let pos = 0, startNode, startOffset, endNode, endOffset;
  while (walker.nextNode()) {
    const node = walker.currentNode, len = node.data.length;
    if (!startNode && a < pos + len) { startNode = node; startOffset = a - pos; }
    if (!endNode && b <= pos + len) { endNode = node; endOffset = b - pos; }
    pos += len;
  }
  const range = document.createRange();
  range.setStart(startNode, startOffset);
  range.setEnd(endNode, endOffset);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}"""
CHOSEN_SPANS = "state.spans.filter((s) => state.chosen.has(s.label))"


def utf16(text: str, index: int) -> int:
    """The UTF-16 offset (what the DOM counts) of code point ``index``."""
    return len(text[:index].encode("utf-16-le")) // 2


def select_text(page, text: str, start: int, end: int) -> None:
    page.evaluate(SELECT_RANGE, [utf16(text, start), utf16(text, end)])


@pytest.fixture
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


class Site:
    """A live API with a migrated SQLite store, an ingest key to store documents and a
    reviewer key to review them."""

    def __init__(self, base: str, store: Database, keys: dict[str, str]) -> None:
        self.base, self.store, self.keys = base, store, keys

    def add(self, text: str, source_id: str) -> tuple[str, list]:
        response = httpx.post(
            f"{self.base}/v1/classify",
            json={"id": source_id, "text": text, "store": True},
            headers={"Authorization": f"Bearer {self.keys['ingest']}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()["document"], response.json()["labels"]

    def open(self, browser, role: str = "reviewer"):
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "response",
            lambda r: (
                r.status >= 400
                and not r.url.endswith("/favicon.ico")
                and errors.append(f"{r.status} {r.url}")
            ),
        )
        page.goto(f"{self.base}/review")
        assert not page.is_visible("#workspace")  # hidden under the login form
        page.fill("#api-key", self.keys[role])
        page.click("text=Start reviewing")
        page.errors = errors
        return page

    def get(self, path: str, role: str) -> dict:
        response = httpx.get(
            f"{self.base}{path}", headers={"Authorization": f"Bearer {self.keys[role]}"}
        )
        assert response.status_code == 200, response.text
        return response.json()

    def reviews(self) -> list[ReviewRow]:
        with self.store.sessions() as session:
            return list(session.scalars(select(ReviewRow).order_by(ReviewRow.id)).all())


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


def shown_text(page) -> str:
    return page.inner_text("#text")


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
