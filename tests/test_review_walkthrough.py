"""A reviewer's walk through the review page in a real browser (Debian's Chromium driven by
Playwright), on documents with emoji and Arabic text, checking what the store holds after each
step: undo and struck spans, reopening a past review, filters and jumping to evidence, double
review with adjudication, bulk acceptance with undo, and the page used by keyboard alone.
Screenshots at 1280 and 390 px wide go to /tmp/shots/ (outside the repository)."""

from pathlib import Path

import pytest

from service.config import Settings
from service.store import repository as repo
from service.store.db import Database, upgrade
from service.store.tables import DocumentRow
from tests.browser import ASTRAL, TEXT, Site, select_text, shown_text
from tests.servers import live_server

SHOTS = Path("/tmp/shots")
ARABIC = (
    "قال شهود إن مسلحين اقتحموا المدرسة الداخلية فجراً 🚨. "
    "اختطف المسلحون 40 فتاة تتراوح أعمارهن بين 11 و16 عاماً 👧🏽. "
    "وأضرموا النار في المهجع."
)
WORKSPACE = "#workspace:not([hidden])"


@pytest.fixture
def make_site(trained, tmp_path):
    """A live API with a migrated SQLite store and keys for every role plus a second reviewer;
    settings as given."""
    opened = []

    def make(**settings) -> Site:
        url = f"sqlite:///{tmp_path / 'store.db'}"
        upgrade(url)
        store = Database(url)
        with store.sessions.begin() as session:
            keys = {role: repo.create_key(session, f"k-{role}", role) for role in repo.ROLES}
            keys["reviewer2"] = repo.create_key(session, "k-reviewer2", "reviewer")
        config = Settings(models_dir=trained[0], database_url=url, data_dir=tmp_path, **settings)
        server = live_server(config)
        site = Site(server.__enter__(), store, keys)
        site.settings = config
        opened.append((server, store))
        return site

    yield make
    for server, store in opened:
        server.__exit__(None, None, None)
        store.close()


def labels_on(page) -> list[str]:
    return page.eval_on_selector_all("#labels li.on", "els => els.map(e => e.dataset.label)")


def submitted(page, count: int) -> None:
    page.wait_for_function(
        f"() => document.getElementById('progress').textContent.startsWith('{count} ')"
    )


def test_switching_a_label_off_keeps_its_spans_and_undo_and_reopen_correct_a_review(
    make_site, browser
):
    site = make_site()
    doc_id, predicted = site.add(ASTRAL, "astral")
    first = predicted[0]["label"]
    page = site.open(browser)
    page.wait_for_selector(WORKSPACE)
    # Decision help: names and definitions from /v1/labels, each score beside its threshold.
    row = page.locator(f"#labels li[data-label={first}]")
    assert "_" not in row.locator(".name").inner_text()
    assert " ≥ " in row.locator(".score").inner_text()
    assert "model: yes" in row.inner_text()
    row.locator("button").hover()
    assert "Excludes" in page.inner_text("#definition")
    assert "suggested" in page.inner_text("#suggestion")
    spans_before = page.locator("#spans li").count()

    row.locator("button").click()  # off: its spans stay, struck through
    assert first not in labels_on(page)
    assert page.locator("#spans li").count() == spans_before
    assert page.locator("#spans li.off").count() >= 1
    assert page.locator("#text .struck").count() >= 1
    page.locator("#text").focus()
    page.keyboard.press("u")  # undo
    assert first in labels_on(page) and page.locator("#spans li.off").count() == 0
    row.locator("button").click()
    page.locator("#spans li.off .restore").first.click()  # restore brings label and spans back
    assert first in labels_on(page) and page.locator("#spans li.off").count() == 0
    row.locator("button").click()  # off again, and submitted so
    page.click("#submit")
    submitted(page, 1)
    (review,) = site.reviews()
    assert first not in review.labels

    # Reopen it from the document list: the editor starts from the review, a new version is
    # stored and the history panel shows both, the latest training.
    page.click("#to-list")
    page.select_option("#filters select[name=reviewed]", "true")
    page.click("#filters button[type=submit]")
    page.wait_for_selector(f"#doc-table tr[data-id={doc_id}]")
    page.click(f"#doc-table tr[data-id={doc_id}] button")
    page.wait_for_selector(WORKSPACE)
    assert "Reopened your review (version 1)" in page.inner_text("#message")
    assert first not in labels_on(page)
    page.wait_for_selector("#history li:nth-child(2)")
    row.locator("button").click()  # the correction: the label back on
    page.click("#submit")
    page.wait_for_selector("#list:not([hidden])")
    old, new = site.reviews()
    assert first in new.labels and first not in old.labels
    with site.store.sessions() as session:
        ((_, trains),) = list(repo.training_reviews(session))
        assert trains.id == new.id
    page.click(f"#doc-table tr[data-id={doc_id}] button")
    page.wait_for_selector("#history li:nth-child(3)")  # the model, then v1 and v2
    history = page.inner_text("#history")
    assert "k-reviewer v1" in history and "k-reviewer v2" in history and "trains" in history
    assert page.errors == []


def test_filters_find_documents_and_evidence_jumps_to_the_text(make_site, browser):
    site = make_site()
    arabic_id, _ = site.add(ARABIC, "wire/ar-1")
    english_id, _ = site.add(TEXT, "wire/en-1")
    with site.store.sessions.begin() as session:
        arabic = session.get(DocumentRow, arabic_id)
        arabic.title = "<img src=x onerror=alert(1)> تقرير"
        arabic.url = "https://example.org/ar?a=1&b=<2>"
        session.get(DocumentRow, english_id).url = "javascript:alert(1)"
    site.add("The city council approved the new library budget on Monday 📚.", "council")
    page = site.open(browser)
    page.wait_for_selector(WORKSPACE)
    page.click("#to-list")
    page.wait_for_selector("#doc-table tbody tr")
    assert page.locator("#doc-table tbody tr").count() == 3
    page.fill("#filters input[name=q]", "مسلحين")
    page.fill("#filters input[name=source]", "WIRE")
    page.click("#filters button[type=submit]")
    page.wait_for_function("() => document.querySelectorAll('#doc-table tbody tr').length === 1")
    assert page.locator(f"#doc-table tr[data-id={arabic_id}]").count() == 1
    assert page.locator("#doc-table td[dir=auto]").count() >= 1
    page.click(f"#doc-table tr[data-id={arabic_id}] button")
    page.wait_for_selector(WORKSPACE)
    assert shown_text(page) == ARABIC
    assert page.get_attribute("#text", "dir") == "auto"
    # Text from the store is text, never markup; only an http(s) address is a link.
    assert "<img src=x onerror=alert(1)>" in page.inner_text("#meta")
    assert page.locator("#meta img, #doc-table img").count() == 0
    assert page.get_attribute("#source-link a", "href") == "https://example.org/ar?a=1&b=%3C2%3E"

    # Overlap: the same sentence as evidence of two labels is shown as both.
    start, end = ARABIC.index("اختطف"), ARABIC.index(". وأضرموا")
    select_text(page, ARABIC, start, end)
    page.keyboard.press("5")
    select_text(page, ARABIC, start, end)
    page.keyboard.press("2")
    multi = page.locator("#text .hl.multi").first
    assert "+" in multi.get_attribute("title")
    assert page.locator("#text .hl[data-tag='2+5'], #text .hl[data-tag='5+2']").count() == 1

    # Clicking an evidence item scrolls to it and marks it; n and p move on.
    page.set_viewport_size({"width": 1280, "height": 300})
    quotes = page.locator("#spans li:not(.off) .quote")
    quotes.last.click()
    current = page.locator("#text .current").first
    assert current.is_visible()
    assert page.evaluate(
        "() => { const r = document.querySelector('#text .current').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }"
    )
    before = page.evaluate("state.current")
    page.locator("#text").focus()
    page.keyboard.press("n")
    assert page.evaluate("state.current") != before or page.locator("#spans li").count() == 1
    page.keyboard.press("p")
    assert page.evaluate("state.current") == before
    assert "Evidence" in page.inner_text("#message")

    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.evaluate("() => { document.querySelector('aside').scrollTop = 0; }")
    page.screenshot(path=str(SHOTS / "review-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "review-390.png"), full_page=True)
    page.click("#to-list")
    page.fill("#filters input[name=q]", "")
    page.click("#filters button[type=submit]")
    page.wait_for_selector(f"#doc-table tr[data-id={english_id}]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The table is wider than the phone and scrolls sideways inside its box.
    box = "document.getElementById('doc-table').parentElement"
    assert page.evaluate(f"{box}.getBoundingClientRect().right") <= 390
    assert page.evaluate(f"{box}.scrollWidth > {box}.clientWidth")
    page.click(f"#doc-table tr[data-id={english_id}] button")
    page.wait_for_selector(WORKSPACE)
    assert page.locator("#source-link a").count() == 0
    assert "javascript:alert(1) (not a web address)" in page.inner_text("#source-link")
    page.click("#to-list")
    page.wait_for_selector("#doc-table tbody tr")
    page.screenshot(path=str(SHOTS / "list-390.png"), full_page=True)
    assert page.errors == []


def test_double_review_sends_disagreement_to_an_admin_who_adjudicates(make_site, browser):
    site = make_site(double_review=True)
    doc_id, predicted = site.add(ASTRAL, "astral")
    assert predicted
    alice = site.open(browser)
    alice.wait_for_selector(WORKSPACE)
    alice.click("#submit")  # the model's suggestion as it is
    alice.wait_for_selector("#empty:not([hidden])")  # she is not offered it again

    bob = site.open(browser, role="reviewer2")
    bob.wait_for_selector(WORKSPACE)
    assert shown_text(bob) == ASTRAL
    bob.locator("#text").focus()
    for label in labels_on(bob):
        bob.keyboard.press(
            str(
                1
                + [
                    "killing_maiming",
                    "recruitment_use",
                    "sexual_violence",
                    "attacks_schools_hospitals",
                    "abduction",
                    "denial_humanitarian_access",
                ].index(label)
            )
        )
    assert labels_on(bob) == []
    bob.keyboard.press("Enter")
    bob.wait_for_selector("#empty:not([hidden])")
    with site.store.sessions() as session:
        assert list(repo.training_reviews(session, 2)) == []
        assert repo.disputed_documents(session) == [doc_id]

    lead = site.open(browser, role="admin")
    lead.wait_for_selector("#nav:not([hidden])")
    lead.click("#to-admin")
    lead.wait_for_selector(f"#disputes li[data-id={doc_id}]")
    assert "k-reviewer2: no label" in lead.inner_text("#disputes")
    lead.click(f"#disputes li[data-id={doc_id}] button")
    lead.wait_for_selector(WORKSPACE)
    lead.wait_for_selector("#status:has-text('disagree')")  # set once the history has loaded
    assert "disagree" in lead.inner_text("#status")
    lead.wait_for_selector("#history li:nth-child(3)")
    lead.locator("#history li", has_text="k-reviewer v1").locator("button").click()
    assert sorted(labels_on(lead)) == sorted(p["label"] for p in predicted)
    lead.click("#submit")
    lead.wait_for_selector("#disputes li:has-text('No disagreement')")
    with site.store.sessions() as session:
        ((_, trains),) = list(repo.training_reviews(session, 2))
        assert trains.reviewer == "k-admin"
        assert sorted(trains.labels) == sorted(p["label"] for p in predicted)

    # The figures the page shows are the API's.
    lead.click("#to-stats")
    lead.wait_for_selector("#kappa-table tbody tr")
    stats = site.get("/v1/review/stats", "admin")
    assert stats["paired_documents"] == 1
    for row in stats["agreement"]:
        shown = lead.inner_text(f"#kappa-table tr[data-label={row['label']}] td:last-child")
        assert shown == ("undefined" if row["kappa"] is None else f"{row['kappa']:.2f}")
    assert "k-reviewer2" in lead.inner_text("#reviewer-table")
    SHOTS.mkdir(exist_ok=True)
    lead.screenshot(path=str(SHOTS / "stats-1280.png"), full_page=True)
    for page in (alice, bob, lead):
        assert page.errors == []


def test_bulk_accept_and_its_undo_from_the_admin_view(make_site, browser):
    site = make_site()
    ids = [site.add(text, f"d{i}")[0] for i, text in enumerate((ASTRAL, ARABIC, TEXT))]
    ids.append(site.add("The city council approved the library budget 📚.", "d3")[0])
    with site.store.sessions() as session:
        margins = {d: session.get(DocumentRow, d).margin for d in ids}
    cut = sorted(margins.values())[2]
    site.settings.bulk_accept_margin = cut
    far = {d for d, m in margins.items() if m >= cut}
    lead = site.open(browser, role="admin")
    lead.wait_for_selector("#nav:not([hidden])")
    lead.click("#to-admin")
    assert str(cut) in lead.inner_text("#bulk-rule")
    lead.click("#bulk-accept")
    lead.wait_for_selector("#bulk-undo")
    assert f"Accepted {len(far)} document(s)" in lead.inner_text("#bulk-result")
    rows = site.reviews()
    assert {r.document_id for r in rows} == far
    assert all(r.bulk and r.reviewer == "k-admin" and r.withdrawn_at is None for r in rows)
    lead.click("#bulk-undo")
    lead.wait_for_function(
        "() => document.getElementById('bulk-result').textContent.startsWith('Undone')"
    )
    assert all(r.withdrawn_at is not None for r in site.reviews())
    with site.store.sessions() as session:
        assert list(repo.training_reviews(session)) == []
        assert not any(session.get(DocumentRow, d).reviewed for d in ids)
    assert lead.errors == []

    # Sign out forgets the key; another key signs in as someone else.
    lead.click("#signout")
    lead.wait_for_selector("#login:not([hidden])")
    assert lead.evaluate("() => sessionStorage.getItem('gravewatch-key')") is None
    lead.fill("#api-key", site.keys["reviewer"])
    lead.click("text=Start reviewing")
    lead.wait_for_selector(WORKSPACE)
    assert lead.inner_text("#who") == "k-reviewer (reviewer)"
    assert lead.locator("#to-admin").is_hidden()


def test_the_page_is_used_by_keyboard_alone(make_site, browser):
    site = make_site()
    doc_id, _ = site.add(ASTRAL, "astral")
    page = browser.new_page()
    page.goto(f"{site.base}/review")
    page.wait_for_selector("#login:not([hidden])")
    page.keyboard.type(site.keys["reviewer"])  # the key field has the focus
    page.keyboard.press("Enter")
    page.wait_for_selector(WORKSPACE)
    assert page.evaluate("document.activeElement.id") == "text"

    page.keyboard.press("?")
    assert page.evaluate("document.getElementById('help').open")
    page.keyboard.press("Escape")  # closes the help, skips nothing
    assert not page.evaluate("document.getElementById('help').open")
    assert shown_text(page) == ASTRAL

    page.keyboard.press("]")
    page.keyboard.press("]")  # the Arabic sentence
    assert "اختطف" in page.inner_text("#sentence-status")
    page.keyboard.press("5")  # marks it as abduction evidence
    page.keyboard.press("x")
    page.keyboard.press("n")
    assert page.locator("#text .current").count() >= 1

    # Tab to the labels: recruitment_use toggled on with Space, and off again.
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('#labels li')?.dataset.label") == (
            "recruitment_use"
        ):
            break
    else:
        pytest.fail("Tab never reached the recruitment_use label")
    recruitment = "#labels li[data-label=recruitment_use] button"
    pressed = page.get_attribute(recruitment, "aria-pressed")
    page.keyboard.press("Space")
    flipped = {"true": "false", "false": "true"}[pressed]
    assert page.get_attribute(recruitment, "aria-pressed") == flipped
    focused = "document.activeElement.closest('#labels li')?.dataset.label"
    assert page.evaluate(focused) == "recruitment_use"  # the focus stays on the label
    page.keyboard.press("Space")
    assert page.get_attribute(recruitment, "aria-pressed") == pressed
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "submit":
            break
    else:
        pytest.fail("Tab never reached Submit")
    page.keyboard.press("Enter")
    page.wait_for_selector("#empty:not([hidden])")
    (review,) = site.reviews()
    start, end = ASTRAL.index("اختطف"), ASTRAL.index(". They") + 1
    assert {"label": "abduction", "start": start, "end": end} in review.evidence
    assert review.document_id == doc_id
